-- grain: one row per declared break-glass account ($declared: 'app/lower(userName)', from
-- apps.break_glass_accounts) found among the in-scope accounts of the run ($run_id): its owner (the
-- linked HR person, else the declared service owner) and its last sign-in where any data says so.
WITH bg AS (
    SELECT app, account_id, user_name, active, employee_id, service_owner, snapshot_id
    FROM identity_link
    WHERE run_id = $run_id
      AND list_contains($apps, app)
      AND list_contains($declared, app || '/' || lower(user_name))
),
signal AS (
    -- apps with any sign-in data in the run: an activity export row, or an activity attribute
    SELECT DISTINCT app FROM activity WHERE list_contains($activity_ids, snapshot_id)
    UNION
    SELECT DISTINCT app FROM account
    WHERE list_contains($app_snapshot_ids, snapshot_id) AND last_activity IS NOT NULL
),
signin AS (
    SELECT b.app, b.account_id, max(x.last_seen) AS last_seen
    FROM bg AS b
    JOIN activity AS x ON x.app = b.app AND lower(x.login) = lower(b.user_name)
    WHERE list_contains($activity_ids, x.snapshot_id)
    GROUP BY b.app, b.account_id
)
SELECT
    b.app, b.account_id, b.user_name, b.active,
    coalesce(b.employee_id, b.service_owner) AS owner_id,
    CASE
        WHEN b.employee_id IS NOT NULL THEN 'HR correlation'
        WHEN b.service_owner IS NOT NULL THEN 'declared service owner'
    END AS owner_source,
    nullif(concat_ws(' ', e.first_name, e.last_name), '') AS owner_name,
    e.status AS owner_status,
    greatest(s.last_seen, a.last_activity) AS last_used,
    g.app IS NOT NULL AS app_has_signin_data
FROM bg AS b
LEFT JOIN signin AS s ON s.app = b.app AND s.account_id = b.account_id
LEFT JOIN account AS a ON a.snapshot_id = b.snapshot_id AND a.account_id = b.account_id
LEFT JOIN signal AS g ON g.app = b.app
LEFT JOIN employee AS e
    ON e.snapshot_id = $hr_snapshot_id AND e.employee_id = coalesce(b.employee_id, b.service_owner)
ORDER BY b.app, b.user_name, b.account_id;
