-- grain: one row per active account of a person who has two or more active accounts in one app
-- (every one of them is listed, each naming the others)
WITH linked AS MATERIALIZED (
    -- only the accounts of people with several (multi_account): a handful, not 2M
    SELECT l.snapshot_id, l.app, l.account_id, l.user_name, l.employee_id, l.pidx, l.rule
    FROM link AS l
    SEMI JOIN multi_account AS m ON m.snapshot_id = l.snapshot_id AND m.pidx = l.pidx
    WHERE l.active AND l.account_type = 'human'
),
multi AS (
    SELECT
        l.app, l.pidx, count(*) AS accounts,
        list_sort(list(coalesce(l.user_name, l.account_id))) AS user_names
    FROM linked AS l
    GROUP BY l.app, l.pidx
)
SELECT
    'duplicate_account' AS kind,
    l.app,
    l.account_id,
    l.user_name,
    l.employee_id,
    l.employee_id AS detail,
    concat(
        p.full_name, ' (', l.employee_id, ') has ', m.accounts, ' active accounts in ', l.app,
        ': ', array_to_string(m.user_names, ', '), '; keep one'
    ) AS reason,
    json_object(
        'accounts', m.user_names,
        'account_count', m.accounts,
        'link_rule', l.rule,
        'person', p.full_name
    ) AS evidence,
    [l.snapshot_id, $hr_snapshot_id] AS snapshot_ids
FROM linked AS l
JOIN multi AS m ON m.app = l.app AND m.pidx = l.pidx
JOIN person AS p ON p.pidx = l.pidx
