-- grain: one row per analysed app: every active account (the population ambiguous_identity tested)
WITH tested AS (
    SELECT app, count(*) AS n
    FROM link
    WHERE active
    GROUP BY app
)
SELECT
    'ambiguous_identity' AS kind, r.app, coalesce(t.n, 0) AS tested, 0 AS not_assessable,
    'account' AS unit, 'active accounts' AS note
FROM run_app AS r
LEFT JOIN tested AS t ON t.app = r.app
