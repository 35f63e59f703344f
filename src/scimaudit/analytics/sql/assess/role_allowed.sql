-- grain: one row per (role_idx, group gidx) the role policy allows: entries without a title apply
-- to every title of the department, entries with one only to that title. Group names match
-- case-insensitively within the entry's app.
WITH roles AS (
    SELECT DISTINCT role_idx, department_key, title_key FROM person
)
SELECT DISTINCT r.role_idx, g.gidx
FROM roles AS r
JOIN cfg_role_allowed AS c ON c.department_key = r.department_key AND c.title_key = ''
JOIN grp AS g ON g.app = c.app AND g.group_key = c.group_key
UNION
SELECT r.role_idx, g.gidx
FROM roles AS r
JOIN cfg_role_allowed AS c ON c.department_key = r.department_key AND c.title_key = r.title_key
JOIN grp AS g ON g.app = c.app AND g.group_key = c.group_key
