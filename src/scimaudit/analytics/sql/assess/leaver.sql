-- grain: one row per active account linked to a person who is terminated on the analysis date: when
-- the app snapshot saw it active (collected_at = snapshot.as_of, the start of the pull), the
-- deprovisioning deadline (the termination date taken at 00:00 UTC, HR dates being day-resolution,
-- plus policy.deprovision_sla_hours) and whether it is pending: the deadline was still ahead when
-- the account was seen active and is still ahead at the start of the analysis date (old app data
-- cannot hide a leaver whose deadline has passed since). Pending is not a control exception yet
-- (recorded in deprovision_pending); otherwise a terminated_active finding. No termination date:
-- no deadline, never pending. Shared by both so they can never disagree.
SELECT
    l.k, l.snapshot_id, l.app, l.account_id, l.user_name, l.employee_id, l.rule, l.confidence,
    l.note, p.full_name, p.status, p.termination_date, p.worker_type,
    date_diff('day', p.termination_date, $as_of::DATE) AS days_since,
    s.as_of AS collected_at,
    p.termination_date::TIMESTAMPTZ + to_hours($deprovision_sla_hours::BIGINT) AS deadline,
    coalesce(
        s.as_of <= p.termination_date::TIMESTAMPTZ + to_hours($deprovision_sla_hours::BIGINT)
        AND $as_of::DATE::TIMESTAMPTZ
            < p.termination_date::TIMESTAMPTZ + to_hours($deprovision_sla_hours::BIGINT),
        false
    ) AS pending
FROM link AS l
JOIN person AS p ON p.pidx = l.pidx
JOIN snapshot AS s ON s.snapshot_id = l.snapshot_id
WHERE l.active AND l.account_type = 'human' AND p.terminated
