-- grain: one row per active declared service account whose named owner is terminated on the
-- analysis date or is not in the current HR export at all
WITH svc AS (
    SELECT l.snapshot_id, l.app, l.account_id, l.user_name, l.service_owner, l.note
    FROM link AS l
    WHERE l.active AND l.account_type = 'service'
        AND l.service_owner IS NOT NULL
),
hit AS (
    SELECT s.*, p.employee_id AS owner_id, p.full_name, p.status, p.termination_date
    FROM svc AS s
    LEFT JOIN person AS p ON p.employee_id = s.service_owner
    WHERE p.employee_id IS NULL OR p.terminated
)
SELECT
    'service_owner_left' AS kind,
    app,
    account_id,
    user_name,
    service_owner AS employee_id,
    concat(
        'service account ', coalesce(user_name, account_id), ': owner ',
        CASE
            WHEN owner_id IS NULL THEN service_owner || ' is not in the HR export'
            ELSE full_name || ' (' || owner_id || ') left'
                || coalesce(' on ' || termination_date, '')
        END,
        '; assign a current owner or retire it'
    ) AS reason,
    json_object(
        'owner', service_owner,
        'owner_name', full_name,
        'owner_hr_status', status,
        'owner_termination_date', termination_date,
        'owner_in_hr', owner_id IS NOT NULL,
        'declaration', note
    ) AS evidence,
    [snapshot_id, $hr_snapshot_id] AS snapshot_ids
FROM hit
