-- grain: one row per analysed app: every active account, the population of the kinds that judge
-- how an account was correlated ($kind: orphaned_account, ambiguous_identity; see the registry's
-- population field)
WITH tested AS (
    SELECT app, count(*) AS n
    FROM link
    WHERE active
    GROUP BY app
)
SELECT
    $kind AS kind, r.app, coalesce(t.n, 0) AS tested, 0 AS not_assessable,
    'account' AS unit, 'active accounts' AS note
FROM run_app AS r
LEFT JOIN tested AS t ON t.app = r.app
