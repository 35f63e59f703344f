-- grain: one row per (active account, group it holds directly or through nesting) in the app
-- snapshots current on the asked date; an account with no group gives one row with group NULL.
-- Filters: person (employee id or work email, any case), app, group (display name, any case).
SELECT
    l.app,
    l.account_id,
    l.user_name,
    l.employee_id,
    p.full_name AS person,
    p.status AS hr_status,
    l.account_type,
    l.rule AS linked_by,
    g.group_name,
    CASE WHEN g.gidx IS NULL THEN NULL WHEN m.via_gidx IS NULL THEN 'direct' ELSE 'nested' END
        AS membership,
    l.snapshot_id
FROM link AS l
LEFT JOIN member AS m ON m.k = l.k
LEFT JOIN grp AS g ON g.gidx = m.gidx
LEFT JOIN person AS p ON p.pidx = l.pidx
WHERE l.active
    AND ($person IS NULL OR p.employee_key = lower($person) OR p.email_key = lower($person))
    AND ($app IS NULL OR l.app = $app)
    AND ($group IS NULL OR g.group_key = lower($group))
ORDER BY l.app, l.user_name, l.account_id, g.group_name
