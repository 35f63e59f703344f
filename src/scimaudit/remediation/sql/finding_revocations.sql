-- grain: one row per open (not exempted) finding of the selected kinds in one analysis run that names
-- an app account; exempted findings are accepted risk and are never remediated automatically.
SELECT
    f.finding_key,
    f.kind,
    f.app,
    f.account_id,
    f.user_name,
    f.group_name,
    f.reason
FROM finding AS f
WHERE f.run_id = $run_id
  AND list_contains($kinds, f.kind)
  AND f.status = 'open'
  AND f.app IS NOT NULL
  AND f.account_id IS NOT NULL
ORDER BY f.app, f.account_id, f.kind, f.finding_key
