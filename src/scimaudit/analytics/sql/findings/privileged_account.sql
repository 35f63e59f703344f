-- grain: one row per (active account, privileged group it holds directly or through nesting)
WITH hit AS (
    SELECT
        m.snapshot_id, m.app, m.account_id, l.user_name, l.employee_id, l.account_type,
        m.group_name, m.group_key, m.via_group_id, g.pattern,
        p.full_name, p.status, p.terminated
    FROM member AS m
    JOIN cfg_privileged_group AS g ON g.app = m.app AND g.group_id = m.group_id
    JOIN identity_link AS l
        ON l.run_id = $run_id AND l.app = m.app AND l.account_id = m.account_id
    LEFT JOIN person AS p ON p.employee_id = l.employee_id
    WHERE l.active
)
SELECT
    'privileged_account' AS kind,
    app,
    account_id,
    user_name,
    employee_id,
    group_name,
    group_key AS detail,
    concat(
        coalesce(full_name, user_name, account_id),
        CASE
            WHEN account_type = 'service' THEN ' (service account)'
            WHEN account_type = 'unmatched' THEN ' (no HR person)'
            ELSE ''
        END,
        ' is in privileged group ', app, '/', group_name,
        CASE WHEN via_group_id IS NOT NULL THEN ' through a nested group' ELSE '' END,
        '; confirm it is still needed'
    ) AS reason,
    json_object(
        'group', group_name,
        'matched_pattern', pattern,
        'via_group_id', via_group_id,
        'account_type', account_type,
        'person', full_name,
        'hr_status', status
    ) AS evidence,
    [snapshot_id, $hr_snapshot_id] AS snapshot_ids
FROM hit
