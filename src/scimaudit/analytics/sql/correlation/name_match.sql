-- grain: one row per account k that no strong rule matched but whose first+last name (from
-- name.givenName + name.familyName, or displayName) equals that of one or more HR people, when the
-- name rule is enabled. Low confidence: these are hints for whoever investigates, never links.
WITH undecided AS (
    SELECT a.k, a.snapshot_id, a.account_id
    FROM acct AS a
    ANTI JOIN link_decision AS d ON d.k = a.k
),
names AS (
    SELECT u.k, name_key(concat_ws(' ', x.given_name, x.family_name)) AS key
    FROM undecided AS u
    JOIN account AS x ON x.snapshot_id = u.snapshot_id AND x.account_id = u.account_id
    WHERE text_key(x.given_name) IS NOT NULL AND text_key(x.family_name) IS NOT NULL
    UNION
    SELECT u.k, name_key(x.display_name)
    FROM undecided AS u
    JOIN account AS x ON x.snapshot_id = u.snapshot_id AND x.account_id = u.account_id
)
SELECT n.k, list_sort(list(DISTINCT p.employee_id)) AS candidates
FROM names AS n
JOIN hr_key AS h ON h.rule = 'name' AND h.key = n.key
JOIN cfg_rule AS c ON c.rule = h.rule
JOIN person AS p ON p.pidx = h.pidx
GROUP BY n.k
