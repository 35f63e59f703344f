-- grain: one row per (correlation rule, normalised key, person): the values HR offers for matching.
-- sub = 0 for the current HR snapshot, 1 for an address the same person had in an earlier HR
-- snapshot (a renamed person's old email); the current value always outranks an old one.
WITH current_hr AS (
    SELECT employee_id, email, first_name, last_name
    FROM employee
    WHERE snapshot_id = $hr_snapshot_id
),
old_email AS (
    SELECT DISTINCT e.employee_id, e.email
    FROM employee AS e
    JOIN run_hr_history AS h ON h.snapshot_id = e.snapshot_id
    JOIN current_hr AS c ON c.employee_id = e.employee_id
    WHERE text_key(e.email) IS DISTINCT FROM text_key(c.email)
),
email_raw AS (
    SELECT employee_id, text_key(email) AS raw, 0 AS sub FROM current_hr
    UNION ALL
    SELECT employee_id, text_key(email) AS raw, 1 AS sub FROM old_email
),
email_norm AS (
    SELECT
        r.employee_id,
        r.raw,
        r.sub,
        email_local(r.raw, $fold_plus) || '@' || coalesce(a.canonical, email_domain(r.raw)) AS key
    FROM email_raw AS r
    LEFT JOIN cfg_domain_alias AS a ON a.alias = email_domain(r.raw)
    WHERE contains(r.raw, '@')
)
SELECT 'external_id' AS rule, text_key(employee_id) AS key, employee_id, NULL AS raw, 0 AS sub
FROM current_hr
UNION ALL
SELECT 'employee_number', text_key(employee_id), employee_id, NULL, 0
FROM current_hr
UNION ALL
SELECT 'email', key, employee_id, raw, sub
FROM email_norm
UNION ALL
SELECT 'name', name_key(concat_ws(' ', first_name, last_name)), employee_id, NULL, 0
FROM current_hr
WHERE text_key(first_name) IS NOT NULL AND text_key(last_name) IS NOT NULL
