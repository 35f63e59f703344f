-- grain: one row per requested account of one app snapshot: what the snapshot says about it.
-- last_modified is meta.lastModified as an ISO 8601 UTC instant (compared as an instant).
SELECT
    a.account_id,
    a.user_name,
    a.active,
    a.etag,
    CASE
        WHEN epoch_us(a.last_modified) % 1000000 = 0
            THEN strftime(a.last_modified AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ')
        ELSE strftime(a.last_modified AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%fZ')
    END AS last_modified
FROM account AS a
WHERE a.snapshot_id = $snapshot_id
  AND list_contains($account_ids, a.account_id)
