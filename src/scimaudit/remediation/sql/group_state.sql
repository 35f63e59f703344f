-- grain: one row per group of one app snapshot, with whether each requested account is a member
-- (one row per group x requested account that is a member; groups without such members appear once).
SELECT
    g.group_id,
    g.display_name,
    g.etag,
    m.account_id AS member_account_id
FROM scim_group AS g
LEFT JOIN membership AS m
    ON m.snapshot_id = g.snapshot_id
   AND m.group_id = g.group_id
   AND list_contains($account_ids, m.account_id)
WHERE g.snapshot_id = $snapshot_id
