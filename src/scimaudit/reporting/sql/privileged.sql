-- grain: one row per privileged account (app, account) of an in-scope app in the run ($run_id),
-- with the privileged groups it holds and every other finding raised on the same account.
WITH privileged AS (
    SELECT
        app,
        account_id,
        any_value(user_name) AS user_name,
        any_value(employee_id) AS employee_id,
        string_agg(DISTINCT group_name, '; ' ORDER BY group_name) AS groups,
        bool_or(status = 'exempted') AS risk_accepted
    FROM finding
    WHERE run_id = $run_id AND kind = 'privileged_account' AND list_contains($apps, app)
    GROUP BY app, account_id
),
other AS (
    SELECT app, account_id, string_agg(DISTINCT kind, '; ' ORDER BY kind) AS other_findings
    FROM finding
    WHERE run_id = $run_id AND kind <> 'privileged_account'
    GROUP BY app, account_id
)
SELECT
    p.app, p.account_id, p.user_name, p.employee_id,
    nullif(concat_ws(' ', e.first_name, e.last_name), '') AS person_name,
    e.status AS person_status,
    il.account_type,
    coalesce(il.active, true) AS active,
    p.groups,
    p.risk_accepted,
    coalesce(o.other_findings, '') AS other_findings
FROM privileged AS p
LEFT JOIN identity_link AS il
    ON il.run_id = $run_id AND il.app = p.app AND il.account_id = p.account_id
LEFT JOIN employee AS e ON e.snapshot_id = $hr_snapshot_id AND e.employee_id = p.employee_id
LEFT JOIN other AS o ON o.app = p.app AND o.account_id = p.account_id
ORDER BY (o.other_findings IS NULL), p.app, p.account_id
LIMIT $cap;
