-- grain: one row per (app, link rule, confidence) of the run's identity links for in-scope apps,
-- with how many of those accounts matched more than one person (ambiguous, left unlinked).
SELECT
    app,
    coalesce(rule, '(none)') AS rule,
    coalesce(confidence, '') AS confidence,
    count(*) AS accounts,
    count(*) FILTER (WHERE ambiguous) AS ambiguous
FROM identity_link
WHERE run_id = $run_id AND list_contains($apps, app)
GROUP BY ALL
ORDER BY ALL;
