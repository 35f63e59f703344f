-- grain: one row per active account of a leaver still inside the deprovisioning SLA when its app
-- snapshot was collected (assess/leaver.sql): visible with its deadline, not a finding; a later run
-- past the deadline reports it as terminated_active.
SELECT
    $run_id AS run_id,
    snapshot_id,
    app,
    account_id,
    user_name,
    employee_id,
    full_name AS person,
    termination_date,
    collected_at,
    deadline,
    concat(
        full_name, ' (', employee_id, ') left on ', termination_date,
        '; account still active when collected ', strftime(collected_at, '%Y-%m-%d %H:%M UTC'),
        '; deprovision by ', strftime(deadline, '%Y-%m-%d %H:%M UTC'),
        ' (', $deprovision_sla_hours, 'h SLA)'
    ) AS reason
FROM assess_leaver
WHERE pending
