-- grain: one row per finding_key found by this run, merged into finding_history: a new key starts
-- its life here; a known key moves first_seen earlier or last_seen later by this run's as_of, and
-- a resolved key found again by a run at or after its last sighting is open again. (This run's
-- findings are read from finding_run: see finalize/finding_store.sql.)
MERGE INTO finding_history AS h
USING (
    SELECT finding_key, kind, app, account_id, $as_of::DATE AS as_of, $run_id::BIGINT AS run_id
    FROM finding_run
) AS s
ON h.finding_key = s.finding_key
-- Found at or after its last sighting: seen again (and open again if it had been resolved).
WHEN MATCHED AND s.as_of >= h.last_seen THEN UPDATE SET
    resolved_on = NULL,
    last_run_id = s.run_id,
    last_seen = s.as_of
-- Found before its first sighting (an analysis of an earlier date run later): seen earlier.
WHEN MATCHED AND s.as_of < h.first_seen THEN UPDATE SET
    first_seen = s.as_of,
    first_run_id = s.run_id
-- Found between its first and last sighting: nothing to change.
WHEN NOT MATCHED THEN INSERT
    (finding_key, kind, app, account_id, first_seen, last_seen, resolved_on, first_run_id,
        last_run_id)
    VALUES (s.finding_key, s.kind, s.app, s.account_id, s.as_of, s.as_of, NULL, s.run_id, s.run_id)
