-- grain: one row per account k that no strong rule matched but whose first+last name (from
-- name.givenName + name.familyName, or displayName) equals that of one or more HR people, when the
-- name rule is enabled (hr_key has name rows only then). Low confidence: these are hints for
-- whoever investigates, never links.
WITH undecided AS (
    SELECT a.rowid AS k, a.given_name, a.family_name, a.display_name
    FROM account AS a
    JOIN run_app AS r ON r.snapshot_id = a.snapshot_id
    ANTI JOIN link_decision AS d ON d.k = a.rowid
),
names AS (
    SELECT k, name_key(concat_ws(' ', given_name, family_name)) AS key
    FROM undecided
    WHERE text_key(given_name) IS NOT NULL AND text_key(family_name) IS NOT NULL
    UNION
    SELECT k, name_key(display_name) FROM undecided
)
SELECT n.k, list_sort(list(DISTINCT p.employee_id)) AS candidates
FROM names AS n
JOIN hr_key AS h ON h.rule_no = rule_no('name') AND h.key = n.key
JOIN person AS p ON p.pidx = h.pidx
GROUP BY n.k
