-- grain: one row per active account linked to a person who is terminated on the analysis date.
-- Severity is critical once the deprovisioning SLA has passed (termination date + sla hours, the
-- termination taken at 00:00 of its date) or when HR gives no termination date.
WITH hit AS (
    SELECT
        l.snapshot_id, l.app, l.account_id, l.user_name, l.employee_id, l.rule, l.confidence,
        p.full_name, p.status, p.termination_date, p.worker_type,
        date_diff('day', p.termination_date, $as_of::DATE) AS days_since
    FROM link AS l
    JOIN person AS p ON p.pidx = l.pidx
    WHERE l.active AND l.account_type = 'human' AND p.terminated
),
judged AS (
    SELECT *, coalesce(days_since * 24 > $deprovision_sla_hours, true) AS sla_breached
    FROM hit
)
SELECT
    'terminated_active' AS kind,
    app,
    account_id,
    user_name,
    employee_id,
    CASE WHEN sla_breached THEN 'critical' ELSE 'high' END AS severity,
    concat(
        full_name, ' (', employee_id, ') ',
        CASE
            WHEN termination_date IS NULL THEN 'is terminated in HR (no termination date)'
            ELSE 'left on ' || termination_date || ' (' || days_text(days_since) || ' ago)'
        END,
        '; account is still active; ',
        CASE
            WHEN sla_breached THEN 'deprovisioning SLA of ' || $deprovision_sla_hours || 'h breached'
            ELSE 'within the ' || $deprovision_sla_hours || 'h deprovisioning SLA'
        END
    ) AS reason,
    json_object(
        'person', full_name,
        'hr_status', status,
        'worker_type', worker_type,
        'termination_date', termination_date,
        'days_since_termination', days_since,
        'deprovision_sla_hours', $deprovision_sla_hours,
        'sla_breached', sla_breached,
        'link_rule', rule,
        'link_confidence', confidence
    ) AS evidence,
    [snapshot_id, $hr_snapshot_id] AS snapshot_ids
FROM judged
