-- grain: one row per HR row (employee id) of the current HR snapshot: which person it is an
-- employment of (person_id = the employee id of that person's current employment) and whether it is
-- that current one. HR rows are one person when a later row continues an earlier one: it names the
-- earlier id in previous_employee_id (when the export has that column), or it has the same work
-- email (trimmed, any case, normalised like hr_key: plus-address folding, domain aliases) and was
-- hired after the earlier one ended (its termination date, or a
-- contractor's contract end date). Chains of rehires join transitively. The current employment is
-- the latest hired on or before the analysis date (a rehire that starts later is not current yet).
-- Two rows that share an email but overlap in time are different people (left ambiguous).
WITH RECURSIVE hr AS (
    SELECT
        e.employee_id,
        text_key(e.employee_id) AS employee_key,
        CASE WHEN contains(text_key(e.email), '@') THEN
            email_local(text_key(e.email), $fold_plus) || '@'
            || coalesce(a.canonical, email_domain(text_key(e.email)))
        END AS email_key,
        text_key(e.previous_employee_id) AS previous_key,
        e.hire_date,
        coalesce(
            e.termination_date,
            CASE WHEN e.worker_type = 'contractor' THEN e.contract_end_date END
        ) AS ended
    FROM employee AS e
    LEFT JOIN cfg_domain_alias AS a ON a.alias = email_domain(text_key(e.email))
    WHERE e.snapshot_id = $hr_snapshot_id
),
edge AS (
    SELECT o.employee_id AS a, n.employee_id AS b
    FROM hr AS o
    JOIN hr AS n ON n.email_key = o.email_key
    WHERE n.employee_id <> o.employee_id AND n.hire_date > o.ended
    UNION
    SELECT o.employee_id, n.employee_id
    FROM hr AS o
    JOIN hr AS n ON n.previous_key = o.employee_key
    WHERE n.employee_id <> o.employee_id AND coalesce(n.hire_date > o.ended, true)
),
both_ways AS (
    SELECT a, b FROM edge
    UNION
    SELECT b, a FROM edge
),
reach(a, b) AS (
    SELECT a, b FROM both_ways
    UNION
    SELECT r.a, w.b
    FROM reach AS r
    JOIN both_ways AS w ON w.a = r.b
),
grouped AS (
    SELECT a AS employee_id, least(a, min(b)) AS person_key
    FROM reach
    GROUP BY a
),
member AS (
    SELECT h.*, coalesce(g.person_key, h.employee_id) AS person_key, g.person_key IS NOT NULL AS rehire
    FROM hr AS h
    LEFT JOIN grouped AS g ON g.employee_id = h.employee_id
),
ranked AS (
    SELECT
        *,
        row_number() OVER (
            PARTITION BY person_key
            ORDER BY coalesce(hire_date <= $as_of::DATE, true) DESC, hire_date DESC NULLS LAST,
                employee_id DESC
        ) AS recency
    FROM member
    WHERE rehire
)
SELECT m.employee_id, m.employee_key, coalesce(r.person_id, m.employee_id) AS person_id,
    coalesce(r.person_id, m.employee_id) = m.employee_id AS is_current
FROM member AS m
LEFT JOIN (
    SELECT person_key, employee_id AS person_id FROM ranked WHERE recency = 1
) AS r ON r.person_key = m.person_key AND m.rehire
