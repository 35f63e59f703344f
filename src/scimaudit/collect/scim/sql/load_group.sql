-- grain: one row per SCIM Group per app snapshot; the first copy of an id wins (copy_rank within
-- the chunk, the primary key across chunks). Groups without an id or a displayName are reported as
-- malformed and not loaded. Parameters: $snapshot_id, $app.
INSERT OR IGNORE INTO scim_group (
    snapshot_id, app, group_id, display_name, external_id, member_count, etag, last_modified,
    raw_seq, raw_index
)
SELECT
    $snapshot_id,
    $app,
    id,
    display_name,
    external_id,
    coalesce(len(list_distinct(list_transform(members, lambda m: m.account_id))), 0),
    etag,
    last_modified,
    seq,
    idx
FROM staged_group
WHERE id IS NOT NULL AND display_name IS NOT NULL AND copy_rank = 1;
