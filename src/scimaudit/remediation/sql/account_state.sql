-- grain: one row per requested account of one app snapshot: what the snapshot says about it.
SELECT
    a.account_id,
    a.user_name,
    a.active,
    a.etag,
    a.resource -> 'meta' ->> 'lastModified' AS last_modified
FROM account AS a
WHERE a.snapshot_id = $snapshot_id
  AND list_contains($account_ids, a.account_id)
