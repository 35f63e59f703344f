-- grain: one row per (active account, privileged group it holds directly or through nesting).
-- member.active is the account's (copied from link): link is not filtered again, so that DuckDB
-- sees all 2M of it against the few held rows and builds its hash table on the held rows.
WITH privileged AS (
    SELECT g.gidx, g.app, g.group_id, g.group_name, c.pattern
    FROM grp AS g
    JOIN cfg_privileged_group AS c ON c.app = g.app AND c.group_id = g.group_id
),
held AS MATERIALIZED (
    SELECT m.k, m.via_gidx, g.group_id, g.group_name, g.pattern
    FROM member AS m
    JOIN privileged AS g ON g.gidx = m.gidx
    WHERE m.active
),
hit AS (
    SELECT
        l.snapshot_id, l.app, l.account_id, l.user_name, l.employee_id, l.account_type,
        h.group_id, h.group_name, h.pattern, v.group_name AS via_group,
        p.full_name, p.status
    FROM held AS h
    JOIN link AS l ON l.k = h.k
    LEFT JOIN grp AS v ON v.gidx = h.via_gidx
    LEFT JOIN person AS p ON p.pidx = l.pidx
)
SELECT
    'privileged_account' AS kind,
    app,
    account_id,
    user_name,
    employee_id,
    group_name,
    group_id AS detail,
    concat(
        coalesce(full_name, user_name, account_id),
        CASE
            WHEN account_type = 'service' THEN ' (service account)'
            WHEN account_type = 'unmatched' THEN ' (no HR person)'
            ELSE ''
        END,
        ' is in privileged group ', app, '/', group_name,
        CASE WHEN via_group IS NOT NULL THEN ' through nested group ' || via_group ELSE '' END,
        '; confirm it is still needed'
    ) AS reason,
    json_object(
        'group', group_name,
        'matched_pattern', pattern,
        'via_group', via_group,
        'account_type', account_type,
        'person', full_name,
        'hr_status', status
    ) AS evidence,
    [snapshot_id, $hr_snapshot_id] AS snapshot_ids
FROM hit
