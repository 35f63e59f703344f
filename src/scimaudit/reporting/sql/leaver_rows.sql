-- grain: one row per (HR leaver of the period, in-scope app, account linked to the leaver in that
-- app), plus one row with a NULL account per (leaver, in-scope app) where no account was ever
-- linked: every leaver appears once per app, so leavers.csv reconciles to HR. Leavers are people of
-- the run's HR snapshot whose termination date (or, for contractors without one, contract end date)
-- falls in the period (the same rule as leaver_brackets.sql and leaver_count.sql). status_by_snapshot
-- lists the account's state in every complete snapshot of the app up to the one the run used.
WITH leavers AS (
    SELECT * FROM period_leavers($hr_snapshot_id, $period_start, $period_end)  -- macros.sql
),
apps AS (
    SELECT unnest($apps) AS app
),
cutoff AS (
    SELECT unnest($app_names) AS app, unnest($app_snapshot_ids) AS snapshot_id
),
links AS (
    SELECT il.app, il.account_id, il.employee_id, any_value(il.user_name) AS user_name
    FROM identity_link AS il
    JOIN analysis_run AS r ON r.run_id = il.run_id
    WHERE r.status = 'complete' AND r.as_of <= $as_of
      AND il.employee_id IN (SELECT employee_id FROM leavers)
      AND list_contains($apps, il.app)
    GROUP BY il.app, il.account_id, il.employee_id
),
series AS (
    SELECT s.snapshot_id, s.source_name AS app, s.as_of
    FROM snapshot AS s
    JOIN cutoff AS c ON c.app = s.source_name
    JOIN snapshot AS cut ON cut.snapshot_id = c.snapshot_id
    WHERE s.source_kind = 'app' AND s.status = 'complete' AND s.as_of <= cut.as_of
),
observed AS (
    SELECT
        l.app, l.account_id, l.employee_id,
        string_agg(
            strftime(s.as_of AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M') || ' '
            || CASE
                WHEN a.account_id IS NULL THEN 'absent'
                WHEN coalesce(a.active, true) THEN 'active'
                ELSE 'inactive'
            END,
            '; ' ORDER BY s.as_of
        ) AS status_by_snapshot
    FROM links AS l
    JOIN series AS s ON s.app = l.app
    LEFT JOIN account AS a ON a.snapshot_id = s.snapshot_id AND a.account_id = l.account_id
    GROUP BY l.app, l.account_id, l.employee_id
)
SELECT
    lv.employee_id, lv.person_name, lv.worker_type, lv.event, lv.event_date,
    ap.app, l.account_id, l.user_name, o.status_by_snapshot
FROM leavers AS lv
CROSS JOIN apps AS ap
LEFT JOIN links AS l ON l.employee_id = lv.employee_id AND l.app = ap.app
LEFT JOIN observed AS o
    ON o.app = l.app AND o.account_id = l.account_id AND o.employee_id = l.employee_id
ORDER BY lv.event_date, lv.employee_id, ap.app, l.account_id NULLS FIRST;
