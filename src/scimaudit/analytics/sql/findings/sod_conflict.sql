-- grain: one row per (SoD rule, active account) where the account's holder holds both sides of the
-- rule. The holder is the linked person; for a within-app rule an unlinked account is its own
-- holder. Every account that contributes a side gets a row naming what the holder holds in total.
-- (member.active is the account's, copied from link: link is not filtered again, so that DuckDB
-- builds its hash table on the few side members rather than on 2M accounts.)
WITH side_member AS MATERIALIZED (
    SELECT s.rule_name, s.side, s.cross_app, s.severity, m.k, g.group_name
    FROM cfg_sod_side AS s
    JOIN grp AS g ON g.app = s.app AND g.group_key = s.group_key
    JOIN member AS m ON m.gidx = g.gidx
    WHERE m.active
),
held AS (
    SELECT
        s.rule_name, s.side, s.cross_app, s.severity, l.snapshot_id, l.app, l.account_id,
        l.user_name, l.employee_id, s.group_name,
        CASE
            WHEN l.employee_id IS NOT NULL THEN l.employee_id
            WHEN NOT s.cross_app THEN '#' || l.app || '/' || l.account_id
        END AS holder
    FROM side_member AS s
    JOIN link AS l ON l.k = s.k
),
conflicted AS (
    SELECT
        rule_name,
        holder,
        list_sort(list(DISTINCT app || '/' || group_name || ' as ' || coalesce(user_name, account_id)))
            AS holdings,
        list_sort(list(DISTINCT snapshot_id)) AS snapshot_ids
    FROM held
    WHERE holder IS NOT NULL
    GROUP BY rule_name, holder
    HAVING count(DISTINCT side) = 2
),
per_account AS (
    SELECT
        h.rule_name, h.holder, h.app, h.account_id,
        any_value(h.user_name) AS user_name,
        any_value(h.employee_id) AS employee_id,
        any_value(h.severity) AS severity,
        bool_or(h.cross_app) AS cross_app,
        array_to_string(list_sort(list(DISTINCT h.group_name)), ', ') AS group_name
    FROM held AS h
    JOIN conflicted AS c ON c.rule_name = h.rule_name AND c.holder = h.holder
    GROUP BY h.rule_name, h.holder, h.app, h.account_id
)
SELECT
    'sod_conflict' AS kind,
    a.app,
    a.account_id,
    a.user_name,
    a.employee_id,
    a.group_name,
    a.rule_name AS detail,
    a.severity,
    concat(
        coalesce(p.full_name, a.user_name, a.account_id),
        ' holds both sides of SoD rule ', a.rule_name, ': ',
        array_to_string(c.holdings, ' + '), '; remove one or document a mitigation'
    ) AS reason,
    json_object(
        'rule', a.rule_name,
        'scope', CASE WHEN a.cross_app THEN 'cross_app' ELSE 'within_app' END,
        'holdings', c.holdings,
        'person', p.full_name
    ) AS evidence,
    list_append(c.snapshot_ids, $hr_snapshot_id) AS snapshot_ids
FROM per_account AS a
JOIN conflicted AS c ON c.rule_name = a.rule_name AND c.holder = a.holder
LEFT JOIN person AS p ON p.employee_id = a.employee_id
