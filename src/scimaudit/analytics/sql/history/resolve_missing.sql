-- grain: one row per open finding_key that this run tested (same kind and app in its populations)
-- at or after the key's last sighting and no longer found: resolved on this run's as_of
UPDATE finding_history AS h
SET resolved_on = $as_of::DATE
FROM (SELECT DISTINCT kind, app FROM finding_population WHERE run_id = $run_id) AS t
WHERE t.kind = h.kind
    AND t.app = coalesce(h.app, '*')
    AND h.last_seen <= $as_of::DATE
    AND (h.resolved_on IS NULL OR h.resolved_on > $as_of::DATE)
    AND NOT EXISTS (SELECT 1 FROM finding_run AS f WHERE f.finding_key = h.finding_key)
