-- grain: one row per analysed app: the holders (linked people, or unlinked accounts for within-app
-- rules) with an active account in an app that some SoD rule covers
WITH covered AS (
    SELECT app, list_sort(list(DISTINCT rule_name)) AS rules, bool_and(cross_app) AS only_cross
    FROM cfg_sod_side
    GROUP BY app
),
holders AS (
    SELECT
        l.app,
        count(DISTINCT CASE
            WHEN l.employee_id IS NOT NULL THEN l.employee_id
            WHEN NOT c.only_cross THEN '#' || l.account_id
        END) AS n
    FROM link AS l
    JOIN covered AS c ON c.app = l.app
    WHERE l.active
    GROUP BY l.app
)
SELECT
    'sod_conflict' AS kind, r.app, coalesce(h.n, 0) AS tested, 0 AS not_assessable,
    'person' AS unit,
    CASE
        WHEN c.app IS NULL THEN 'no SoD rule covers this app'
        ELSE 'holders with an active account, rules: ' || array_to_string(c.rules, ', ')
    END AS note
FROM run_app AS r
LEFT JOIN covered AS c ON c.app = r.app
LEFT JOIN holders AS h ON h.app = r.app
