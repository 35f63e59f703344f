-- grain: one row per analysed app: active accounts whose staleness could be judged (tested) and
-- those that could not (no activity signal in the app, or no sign-in and no age reference)
WITH counted AS (
    SELECT
        app,
        count(*) FILTER (WHERE assessable) AS n,
        count(*) FILTER (WHERE NOT assessable) AS unjudged,
        bool_or(app_has_signal) AS has_signal
    FROM assess_stale
    WHERE active
    GROUP BY app
)
SELECT
    'stale_access' AS kind, r.app, coalesce(c.n, 0) AS tested,
    coalesce(c.unjudged, 0) AS not_assessable, 'account' AS unit,
    CASE
        WHEN NOT coalesce(c.has_signal, false)
            THEN 'not assessable: no activity signal for this app (no [[activity]] export rows,'
                || ' no activity_attribute)'
        WHEN c.unjudged > 0
            THEN 'active accounts; those never seen and with no creation or hire date cannot be judged'
        ELSE 'active accounts with a sign-in record or an age reference'
    END AS note
FROM run_app AS r
LEFT JOIN counted AS c ON c.app = r.app
