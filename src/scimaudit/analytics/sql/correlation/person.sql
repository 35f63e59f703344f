-- grain: one row per person in the current HR snapshot (numbered: pidx, for cheap joins): the HR
-- row of their current employment (employment.sql: a rehired person's earlier rows are listed in
-- previous_ids, never people of their own), with whether they count as terminated on the
-- analysis date and the department they held in the latest earlier HR snapshot where it differed.
-- Leave of absence is employment: never terminated. "active" with a termination date on or before
-- the analysis date (HR exported before a scheduled leave date) counts as terminated unless a later
-- hire date says the person was rehired.
WITH current_hr AS (
    SELECT e.*
    FROM employee AS e
    SEMI JOIN employment AS j ON j.employee_id = e.employee_id AND j.is_current
    WHERE e.snapshot_id = $hr_snapshot_id
),
earlier_employment AS (
    SELECT j.person_id, list(e.employee_id ORDER BY e.hire_date NULLS FIRST, e.employee_id)
        AS previous_ids
    FROM employment AS j
    JOIN employee AS e ON e.snapshot_id = $hr_snapshot_id AND e.employee_id = j.employee_id
    WHERE NOT j.is_current
    GROUP BY j.person_id
),
earlier_hr AS (
    SELECT e.employee_id, e.department, h.as_of
    FROM employee AS e
    JOIN run_hr_history AS h ON h.snapshot_id = e.snapshot_id
    WHERE text_key(e.department) IS NOT NULL
),
moved AS (
    SELECT
        c.employee_id,
        arg_max(p.department, p.as_of) AS previous_department,
        max(p.as_of)::DATE AS previous_department_as_of
    FROM earlier_hr AS p
    JOIN current_hr AS c ON c.employee_id = p.employee_id
    WHERE text_key(p.department) IS DISTINCT FROM text_key(c.department)
    GROUP BY c.employee_id
),
dept AS (
    SELECT key, row_number() OVER (ORDER BY key) AS idx
    FROM (
        SELECT text_key(department) AS key FROM current_hr
        UNION
        SELECT text_key(previous_department) FROM moved
    )
    WHERE key IS NOT NULL
),
shaped AS (
    SELECT
        row_number() OVER () AS pidx,
        c.employee_id,
        text_key(c.employee_id) AS employee_key,
        c.email,
        text_key(c.email) AS email_key,
        c.first_name,
        c.last_name,
        coalesce(nullif(trim(concat_ws(' ', c.first_name, c.last_name)), ''), c.employee_id)
            AS full_name,
        c.status,
        c.worker_type,
        c.hire_date,
        c.termination_date,
        c.contract_end_date,
        c.department,
        c.title,
        c.manager_id,
        text_key(c.department) AS department_key,
        text_key(c.title) AS title_key,
        coalesce(
            (c.status = 'terminated' AND coalesce(c.termination_date <= $as_of::DATE, true))
            OR (
                c.status = 'active'
                AND c.termination_date <= $as_of::DATE
                AND coalesce(c.hire_date <= c.termination_date, true)
            ),
            false
        ) AS terminated,
        m.previous_department,
        text_key(m.previous_department) AS previous_department_key,
        m.previous_department_as_of,
        x.previous_ids
    FROM current_hr AS c
    LEFT JOIN moved AS m ON m.employee_id = c.employee_id
    LEFT JOIN earlier_employment AS x ON x.person_id = c.employee_id
),
-- one number per (department, title) role: numbered on the few distinct roles and joined back,
-- rather than ranked over every person (a sort of 200k rows)
role AS (
    SELECT
        r.department_key, r.title_key,
        row_number() OVER (ORDER BY d.idx, r.title_key) AS role_idx
    FROM (SELECT DISTINCT department_key, title_key FROM shaped) AS r
    LEFT JOIN dept AS d ON d.key = r.department_key
)
SELECT
    s.*,
    d.idx AS dept_idx,
    pd.idx AS prev_dept_idx,
    r.role_idx,
    CASE
        WHEN d.idx IS NULL THEN NULL
        WHEN $peer_by_title THEN r.role_idx
        ELSE d.idx
    END AS peer_idx
FROM shaped AS s
LEFT JOIN dept AS d ON d.key = s.department_key
LEFT JOIN dept AS pd ON pd.key = s.previous_department_key
JOIN role AS r
    ON r.department_key IS NOT DISTINCT FROM s.department_key
    AND r.title_key IS NOT DISTINCT FROM s.title_key
