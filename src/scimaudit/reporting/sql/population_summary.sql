-- grain: one row per (app, account type, privileged, active) of the report population.
SELECT
    app,
    account_type,
    privileged,
    coalesce(active, true) AS active,
    count(*) AS accounts
FROM report_population
GROUP BY ALL
ORDER BY ALL;
