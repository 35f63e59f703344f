-- grain: one row per requested Group of one app snapshot: its meta.lastModified as an ISO 8601 UTC
-- instant (the collector's staging reads it from the page as received). Used as the change check
-- on servers that have no ETags; the precondition compares instants, not text. NULL for groups
-- landed before migration 005, which then get no lastModified check.
SELECT
    group_id,
    CASE
        WHEN epoch_us(last_modified) % 1000000 = 0
            THEN strftime(last_modified AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ')
        ELSE strftime(last_modified AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%fZ')
    END AS last_modified
FROM scim_group
WHERE snapshot_id = $snapshot_id
  AND list_contains($group_ids, group_id)
  AND last_modified IS NOT NULL
