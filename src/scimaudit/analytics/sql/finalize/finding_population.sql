-- grain: one row per (finding kind, app) tested in this run, with how many findings it produced
WITH failed AS (
    SELECT kind, coalesce(app, '*') AS app, count(*) AS n
    FROM finding_run
    GROUP BY kind, coalesce(app, '*')
)
SELECT
    $run_id AS run_id, p.kind, p.app, p.tested, coalesce(f.n, 0) AS failed, p.not_assessable,
    p.unit, p.note
FROM population_new AS p
LEFT JOIN failed AS f ON f.kind = p.kind AND f.app = p.app
