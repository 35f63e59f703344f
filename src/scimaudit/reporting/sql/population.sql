-- grain: one row per account of an in-scope app in the analysis run ($run_id): the population the
-- rules tested. Text values are CSV-safe, i.e. exactly as population.csv shows them, so the sort key
-- (app, account_id) and the sample ranking can be re-derived from the attachment alone.
CREATE OR REPLACE TEMP TABLE report_population AS
WITH privileged AS (
    SELECT app, account_id, string_agg(DISTINCT group_name, '; ' ORDER BY group_name) AS groups
    FROM finding
    WHERE run_id = $run_id AND kind = 'privileged_account' AND account_id IS NOT NULL
    GROUP BY app, account_id
),
person AS (
    SELECT employee_id, status, worker_type
    FROM employee
    WHERE snapshot_id = $hr_snapshot_id
)
SELECT
    csv_safe(il.app) AS app,
    csv_safe(il.account_id) AS account_id,
    csv_safe(il.user_name) AS user_name,
    il.active,
    il.account_type,
    p.account_id IS NOT NULL AS privileged,
    csv_safe(p.groups) AS privileged_groups,
    csv_safe(il.employee_id) AS employee_id,
    pe.status AS person_status,
    pe.worker_type AS person_worker_type,
    il.rule AS link_rule,
    il.confidence AS link_confidence,
    il.snapshot_id
FROM identity_link AS il
LEFT JOIN privileged AS p ON p.app = il.app AND p.account_id = il.account_id
LEFT JOIN person AS pe ON pe.employee_id = il.employee_id
WHERE il.run_id = $run_id AND list_contains($apps, il.app);
