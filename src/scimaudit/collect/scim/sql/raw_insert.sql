-- grain: one row per HTTP response in one spool chunk, appended to raw_scim_page.
-- The body is stored exactly as received (the spool keeps bytes; decode() checks UTF-8 without
-- changing a byte); body_sha256 was taken over those bytes by the spool (hashlib, 5x faster than
-- DuckDB's sha256()), and test_scim_staging re-checks it against the stored text.
-- Parameters: $snapshot_id. Input: the registered Arrow table spool_chunk (see spool.py).
INSERT INTO raw_scim_page (
    snapshot_id, seq, resource_type, request_url, request_params, status_code, received_at,
    elapsed_ms, attempt, body_sha256, body
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
    decode(body)
FROM spool_chunk;
