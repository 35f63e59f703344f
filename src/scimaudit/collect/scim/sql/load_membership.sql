-- grain: one row per (group, member) per app snapshot, for groups first seen in this chunk.
-- Runs before load_group.sql: a group already in scim_group for this snapshot came from an earlier
-- chunk and its members are already here (first copy wins, as for the group row itself).
-- Parameters: $snapshot_id, $app.
INSERT INTO membership (snapshot_id, app, group_id, account_id, member_type)
WITH new_groups AS (
    SELECT g.id, g.members
    FROM staged_group AS g
    WHERE g.id IS NOT NULL
      AND g.display_name IS NOT NULL
      AND g.copy_rank = 1
      AND NOT EXISTS (
          SELECT 1 FROM scim_group AS s
          WHERE s.snapshot_id = $snapshot_id AND s.group_id = g.id
      )
),

members AS (
    SELECT id AS group_id, unnest(members) AS m FROM new_groups
)

SELECT DISTINCT $snapshot_id, $app, group_id, m.account_id, m.member_type
FROM members
WHERE m.account_id IS NOT NULL;
