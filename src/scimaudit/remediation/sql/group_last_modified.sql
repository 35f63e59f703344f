-- grain: one row per Group resource (by id) received in one app snapshot: its meta.lastModified as the
-- server sent it, read from the landed raw pages (list responses and single-resource reads alike).
-- Used as the change check on servers that have no ETags; scim_group does not keep lastModified.
WITH page AS (
    SELECT body::JSON AS doc
    FROM raw_scim_page
    WHERE snapshot_id = $snapshot_id
      AND resource_type = 'Group'
      AND status_code = 200
),
resource AS (
    SELECT unnest(from_json(doc -> 'Resources', '["JSON"]')) AS r
    FROM page
    WHERE json_type(doc -> 'Resources') = 'ARRAY'
    UNION ALL
    SELECT doc AS r
    FROM page
    WHERE doc ->> 'id' IS NOT NULL
)
SELECT r ->> 'id' AS group_id, max(r -> 'meta' ->> 'lastModified') AS last_modified
FROM resource
WHERE list_contains($group_ids, r ->> 'id')
GROUP BY 1
