-- grain: one row per analysed app: group memberships of active accounts of current people that a
-- role policy or enough peers could judge (tested), and those neither could (not assessable)
WITH counted AS (
    SELECT
        app,
        count(*) FILTER (WHERE assessable) AS n,
        count(*) FILTER (WHERE NOT assessable) AS unjudged,
        bool_or(governed) AS governed
    FROM assess_role
    GROUP BY app
)
SELECT
    'role_drift' AS kind, r.app, coalesce(c.n, 0) AS tested,
    coalesce(c.unjudged, 0) AS not_assessable, 'membership' AS unit,
    CASE
        WHEN g.app IS NOT NULL
            THEN 'memberships of linked people; app governed by role policy, peers compared too'
        ELSE 'memberships of linked people; no role policy for this app, compared with peers'
    END AS note
FROM run_app AS r
LEFT JOIN counted AS c ON c.app = r.app
LEFT JOIN cfg_role_governed AS g ON g.app = r.app
