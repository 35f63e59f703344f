-- grain: one row per (enabled correlation rule, normalised key, person pidx): the values HR offers
-- for matching. rule_no is the rule's integer code (macros.sql); priority = the rule's position in
-- [correlation] rules × 10 + sub, where sub = 0 for the current HR snapshot and 1 for an address
-- the same person had in an earlier HR snapshot (a renamed person's old email) or on an earlier
-- employment (employment.sql), and sub = 2 for the id of a rehired person's earlier employment (an
-- account still carrying it belongs to the person, and is worth a stale_identifier note): the
-- current value always outranks an old one. Rules the config does not enable have no rows, so
-- nothing matches them.
WITH old_email AS (
    SELECT DISTINCT p.pidx, text_key(e.email) AS raw
    FROM employee AS e
    JOIN run_hr_history AS h ON h.snapshot_id = e.snapshot_id
    JOIN person AS p ON p.employee_id = e.employee_id
    WHERE text_key(e.email) IS DISTINCT FROM p.email_key
    UNION
    SELECT p.pidx, text_key(e.email)
    FROM employment AS j
    JOIN employee AS e ON e.snapshot_id = $hr_snapshot_id AND e.employee_id = j.employee_id
    JOIN person AS p ON p.employee_id = j.person_id
    WHERE NOT j.is_current AND text_key(e.email) IS DISTINCT FROM p.email_key
),
earlier_id AS (
    SELECT p.pidx, j.employee_key
    FROM employment AS j
    JOIN person AS p ON p.employee_id = j.person_id
    WHERE NOT j.is_current
),
email_raw AS (
    SELECT pidx, email_key AS raw, 0 AS sub FROM person
    UNION ALL
    SELECT pidx, raw, 1 AS sub FROM old_email
),
email_norm AS (
    SELECT
        r.pidx,
        r.raw,
        r.sub,
        email_local(r.raw, $fold_plus) || '@' || coalesce(a.canonical, email_domain(r.raw)) AS key
    FROM email_raw AS r
    LEFT JOIN cfg_domain_alias AS a ON a.alias = email_domain(r.raw)
    WHERE contains(r.raw, '@')
),
keyed AS (
    SELECT 'external_id' AS rule, employee_key AS key, pidx, NULL AS raw, 0 AS sub
    FROM person
    UNION ALL
    SELECT 'employee_number', employee_key, pidx, NULL, 0
    FROM person
    UNION ALL
    SELECT 'external_id', employee_key, pidx, NULL, 2
    FROM earlier_id
    UNION ALL
    SELECT 'employee_number', employee_key, pidx, NULL, 2
    FROM earlier_id
    UNION ALL
    SELECT 'email', key, pidx, raw, sub
    FROM email_norm
    UNION ALL
    SELECT 'name', name_key(concat_ws(' ', first_name, last_name)), pidx, NULL, 0
    FROM person
    WHERE text_key(first_name) IS NOT NULL AND text_key(last_name) IS NOT NULL
)
SELECT rule_no(k.rule) AS rule_no, k.key, k.pidx, k.raw, c.priority * 10 + k.sub AS priority
FROM keyed AS k
JOIN cfg_rule AS c ON c.rule = k.rule
