-- grain: one row per analysed app: the active accounts linked to an HR person, the population of
-- every kind that judges an account by its person ($kind: terminated_active, duplicate_account,
-- stale_identifier; see the registry's population field)
WITH tested AS (
    SELECT app, count(*) AS n
    FROM link
    WHERE active AND account_type = 'human'
    GROUP BY app
)
SELECT
    $kind AS kind, r.app, coalesce(t.n, 0) AS tested, 0 AS not_assessable,
    'account' AS unit, 'active accounts linked to an HR person' AS note
FROM run_app AS r
LEFT JOIN tested AS t ON t.app = r.app
