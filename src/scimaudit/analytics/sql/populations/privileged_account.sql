-- grain: one row per analysed app: memberships of active accounts (the population that
-- privileged_account screened against the app's privileged groups)
WITH counted AS (
    SELECT g.app, count(*) AS n
    FROM member AS m
    JOIN grp AS g ON g.gidx = m.gidx
    WHERE m.active
    GROUP BY g.app
),
configured AS (
    SELECT app, count(*) AS groups FROM cfg_privileged_group GROUP BY app
)
SELECT
    'privileged_account' AS kind, r.app, coalesce(c.n, 0) AS tested, 0 AS not_assessable,
    'membership' AS unit,
    CASE
        WHEN g.app IS NULL THEN 'no privileged group configured or found for this app'
        ELSE 'memberships of active accounts, screened against ' || g.groups
            || ' privileged group(s)'
    END AS note
FROM run_app AS r
LEFT JOIN counted AS c ON c.app = r.app
LEFT JOIN configured AS g ON g.app = r.app
