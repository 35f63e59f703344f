-- grain: one row per HTTP response in one page-archive file (a run of consecutive seq within one
-- snapshot), appended to raw_scim_page: everything but the body, which stays in the archive file
-- (archive_file, relative to the archive folder). body_sha256 was taken over the exact bytes by
-- the page writer (hashlib, 5x faster than DuckDB's sha256()); `snapshots --verify` re-checks it.
-- Parameters: $snapshot_id, $archive_path (the file), $archive_file (its path under the archive).
INSERT INTO raw_scim_page (
    snapshot_id, seq, resource_type, request_url, request_params, status_code, received_at,
    elapsed_ms, attempt, body_sha256, archive_file
)
SELECT
    $snapshot_id,
    seq,
    resource_type,
    request_url,
    request_params::JSON,
    status_code,
    received_at,
    elapsed_ms,
    attempt,
    body_sha256,
    $archive_file
FROM read_parquet($archive_path);
