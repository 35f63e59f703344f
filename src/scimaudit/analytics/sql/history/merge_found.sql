-- grain: one row per finding_key found by this run, merged into finding_history: a new key starts
-- its life here; a known key moves first_seen earlier or last_seen later by this run's as_of, and
-- a resolved key found again by a run at or after its last sighting is open again.
MERGE INTO finding_history AS h
USING (
    SELECT finding_key, kind, app, account_id, $as_of::DATE AS as_of, $run_id::BIGINT AS run_id
    FROM finding
    WHERE run_id = $run_id
) AS s
ON h.finding_key = s.finding_key
WHEN MATCHED THEN UPDATE SET
    first_seen = least(h.first_seen, s.as_of),
    first_run_id = CASE WHEN s.as_of < h.first_seen THEN s.run_id ELSE h.first_run_id END,
    resolved_on = CASE WHEN s.as_of >= h.last_seen THEN NULL ELSE h.resolved_on END,
    last_run_id = CASE WHEN s.as_of >= h.last_seen THEN s.run_id ELSE h.last_run_id END,
    last_seen = greatest(h.last_seen, s.as_of)
WHEN NOT MATCHED THEN INSERT
    (finding_key, kind, app, account_id, first_seen, last_seen, resolved_on, first_run_id,
        last_run_id)
    VALUES (s.finding_key, s.kind, s.app, s.account_id, s.as_of, s.as_of, NULL, s.run_id, s.run_id)
