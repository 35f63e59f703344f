-- grain: one row per analysed app: the active accounts linked to a contractor (the population
-- contractor_expired tested)
WITH tested AS (
    SELECT l.app, count(*) AS n
    FROM link AS l
    JOIN person AS p ON p.pidx = l.pidx
    WHERE l.active AND l.account_type = 'human'
        AND p.worker_type = 'contractor'
    GROUP BY l.app
)
SELECT
    'contractor_expired' AS kind, r.app, coalesce(t.n, 0) AS tested, 0 AS not_assessable,
    'account' AS unit, 'active accounts linked to a contractor' AS note
FROM run_app AS r
LEFT JOIN tested AS t ON t.app = r.app
