-- grain: one row per (active account, group it holds directly or through nesting) in the app
-- snapshots current on the asked date; an account with no group gives one row with group NULL.
-- The one answer to "who has access": `scimaudit access`, the dashboard's Access explorer and
-- access-review items all read it (analytics/access.py).
-- Filters: person (employee id, an earlier employment's id, or work email, any case), app, group
-- (display name, any case).
WITH asked AS (
    SELECT p.pidx
    FROM person AS p
    WHERE p.employee_key = lower(trim($person)) OR p.email_key = lower(trim($person))
    UNION
    SELECT p.pidx
    FROM employment AS j
    JOIN person AS p ON p.employee_id = j.person_id
    WHERE j.employee_key = lower(trim($person))
)
SELECT
    l.app,
    l.account_id,
    l.user_name,
    l.employee_id,
    p.full_name AS person,
    p.status AS hr_status,
    p.department,
    l.account_type,
    l.rule AS linked_by,
    l.service_owner,
    l.note AS link_note,
    g.group_id,
    g.group_name,
    CASE WHEN g.gidx IS NULL THEN NULL WHEN m.via_gidx IS NULL THEN 'direct' ELSE 'nested' END
        AS membership,
    l.snapshot_id
FROM link AS l
LEFT JOIN member AS m ON m.k = l.k
LEFT JOIN grp AS g ON g.gidx = m.gidx
LEFT JOIN person AS p ON p.pidx = l.pidx
WHERE l.active
    AND ($person IS NULL OR l.pidx IN (SELECT pidx FROM asked))
    AND ($app IS NULL OR l.app = $app)
    AND ($group IS NULL OR g.group_key = lower($group))
ORDER BY l.app, l.user_name, l.account_id, g.group_name
