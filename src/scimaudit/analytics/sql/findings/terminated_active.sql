-- grain: one row per active account linked to a person who is terminated on the analysis date and
-- whose deprovisioning deadline had passed when the app snapshot was collected (assess/leaver.sql;
-- a leaver still inside the SLA is pending, recorded in deprovision_pending, not a finding).
-- Critical: the SLA is breached (or HR gives no termination date to start it from).
SELECT
    'terminated_active' AS kind,
    app,
    account_id,
    user_name,
    employee_id,
    'critical' AS severity,
    concat(
        full_name, ' (', employee_id, ') ',
        CASE
            WHEN termination_date IS NULL THEN 'is terminated in HR (no termination date)'
            ELSE 'left on ' || termination_date || ' (' || days_text(days_since) || ' ago)'
        END,
        '; account is still active; ',
        CASE
            WHEN deadline IS NULL THEN 'no termination date to start the deprovisioning SLA from'
            ELSE 'deprovisioning SLA of ' || $deprovision_sla_hours || 'h breached (deadline '
                || strftime(deadline, '%Y-%m-%d %H:%M UTC') || ')'
        END,
        CASE WHEN note IS NOT NULL THEN ' (' || note || ')' ELSE '' END
    ) AS reason,
    json_object(
        'person', full_name,
        'hr_status', status,
        'worker_type', worker_type,
        'termination_date', termination_date,
        'days_since_termination', days_since,
        'deprovision_sla_hours', $deprovision_sla_hours,
        'deprovision_deadline', deadline,
        'collected_at', collected_at,
        'sla_breached', true,
        'link_rule', rule,
        'link_confidence', confidence,
        'link_note', note
    ) AS evidence,
    [snapshot_id, $hr_snapshot_id] AS snapshot_ids
FROM assess_leaver
WHERE NOT pending
