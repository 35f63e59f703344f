-- grain: one row per (finding kind, app) of the run ($run_id): what each rule tested and found,
-- for in-scope apps and for cross-app rows (an app label that is not an application).
SELECT kind, app, tested, failed, not_assessable, unit, coalesce(note, '') AS note
FROM finding_population
WHERE run_id = $run_id
  AND (list_contains($apps, app) OR NOT list_contains($known_apps, app))
ORDER BY kind, app;
