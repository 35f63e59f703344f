-- grain: one row per HTTP response in one spool chunk, appended to raw_scim_page.
-- The body is stored exactly as received (the spool keeps bytes; decode() checks UTF-8 without
-- changing a byte) and hashed here, in DuckDB, so the fetch loop spends no CPU on SHA-256.
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
    sha256(body_text),
    body_text
FROM (SELECT *, decode(body) AS body_text FROM spool_chunk);
