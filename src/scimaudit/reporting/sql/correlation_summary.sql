-- grain: one row per (app, link rule, confidence) of the run's identity links for in-scope apps,
-- with how many of those accounts had more than one candidate person (ambiguous, left unlinked).
SELECT
    app,
    coalesce(rule, '(none)') AS rule,
    coalesce(confidence, '') AS confidence,
    count(*) AS accounts,
    count(*) FILTER (WHERE len(coalesce(candidates, [])) > 1) AS ambiguous
FROM identity_link
WHERE run_id = $run_id AND list_contains($apps, app)
GROUP BY ALL
ORDER BY ALL;
