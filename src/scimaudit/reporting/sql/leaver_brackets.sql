-- grain: one row per (leaver, in-scope app account linked to the leaver): between which two stored
-- snapshots the account stopped being active. Leavers are people of the run's HR snapshot whose
-- termination date (or, for contractors without one, contract end date) falls in the period.
-- Accounts are those any complete analysis run up to $as_of linked to the person, so accounts that
-- were already removed by the run being reported are still found. Snapshots: every complete
-- snapshot of the app up to the one the run used.
WITH leavers AS (
    SELECT * FROM period_leavers($hr_snapshot_id, $period_start, $period_end)  -- macros.sql
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
cutoff AS (
    SELECT c.app, s.as_of AS cutoff_at
    FROM (SELECT unnest($app_names) AS app, unnest($app_snapshot_ids) AS snapshot_id) AS c
    JOIN snapshot AS s ON s.snapshot_id = c.snapshot_id
),
series AS (
    SELECT s.snapshot_id, s.source_name AS app, s.as_of
    FROM snapshot AS s
    JOIN cutoff AS c ON c.app = s.source_name
    WHERE s.source_kind = 'app' AND s.status = 'complete' AND s.as_of <= c.cutoff_at
),
observed AS (
    SELECT
        l.app, l.account_id, l.employee_id, s.as_of,
        a.account_id IS NOT NULL AS present,
        a.account_id IS NOT NULL AND coalesce(a.active, true) AS is_active,
        a.last_modified
    FROM links AS l
    JOIN series AS s ON s.app = l.app
    LEFT JOIN account AS a ON a.snapshot_id = s.snapshot_id AND a.account_id = l.account_id
),
spans AS (
    SELECT
        app, account_id, employee_id,
        max(as_of) FILTER (WHERE is_active) AS last_active_at,
        min(as_of) AS first_observed_at,
        max(as_of) AS last_observed_at,
        count(*) AS snapshots
    FROM observed
    GROUP BY app, account_id, employee_id
),
removal AS (
    SELECT
        o.app, o.account_id, o.employee_id,
        min(o.as_of) AS removed_by,
        arg_min(o.present, o.as_of) AS deactivated,
        arg_min(o.last_modified, o.as_of) AS removed_modified
    FROM observed AS o
    JOIN spans AS sp USING (app, account_id, employee_id)
    WHERE NOT o.is_active AND (sp.last_active_at IS NULL OR o.as_of > sp.last_active_at)
    GROUP BY o.app, o.account_id, o.employee_id
)
SELECT
    lv.employee_id, lv.person_name, lv.worker_type, lv.event, lv.event_date,
    sp.app, sp.account_id, l.user_name,
    sp.first_observed_at, sp.last_active_at, sp.last_observed_at, sp.snapshots,
    r.removed_by, coalesce(r.deactivated, false) AS deactivated, r.removed_modified
FROM leavers AS lv
JOIN spans AS sp ON sp.employee_id = lv.employee_id
JOIN links AS l
    ON l.app = sp.app AND l.account_id = sp.account_id AND l.employee_id = sp.employee_id
LEFT JOIN removal AS r
    ON r.app = sp.app AND r.account_id = sp.account_id AND r.employee_id = sp.employee_id
ORDER BY lv.event_date, lv.employee_id, sp.app, sp.account_id;
