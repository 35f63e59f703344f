-- grain: one row per analysed app: group memberships of active accounts of current people that a
-- role policy or enough peers could judge (tested), and those neither could (not assessable)
WITH counted AS (
    SELECT
        g.app,
        count(*) FILTER (WHERE r.assessable) AS n,
        count(*) FILTER (WHERE NOT r.assessable) AS unjudged
    FROM assess_role AS r
    JOIN grp AS g ON g.gidx = r.gidx
    GROUP BY g.app
)
SELECT
    'role_drift' AS kind, r.app, coalesce(c.n, 0) AS tested,
    coalesce(c.unjudged, 0) AS not_assessable, 'membership' AS unit,
    CASE
        WHEN v.app IS NOT NULL
            THEN 'memberships of linked people; app governed by role policy, peers compared too'
        ELSE 'memberships of linked people; no role policy for this app, compared with peers'
    END AS note
FROM run_app AS r
LEFT JOIN counted AS c ON c.app = r.app
LEFT JOIN cfg_role_governed AS v ON v.app = r.app
