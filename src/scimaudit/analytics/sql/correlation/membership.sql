-- grain: one row per (account, group) of the analysed app snapshots, direct or through nested
-- groups. SCIM groups may contain groups (RFC 7643 §4.2 members[].type = "Group"); a member of an
-- inner group holds every enclosing group. via_group_id names the inner group when the membership
-- is only inherited. A member listed twice by a server counts once.
WITH RECURSIVE direct AS (
    SELECT DISTINCT m.snapshot_id, m.app, m.group_id, m.account_id
    FROM membership AS m
    JOIN run_app AS r ON r.snapshot_id = m.snapshot_id
    WHERE coalesce(m.member_type, 'User') <> 'Group'
),
nesting AS (
    SELECT m.snapshot_id, m.group_id AS parent_id, m.account_id AS child_id
    FROM membership AS m
    JOIN run_app AS r ON r.snapshot_id = m.snapshot_id
    WHERE m.member_type = 'Group'
),
ancestor(snapshot_id, group_id, ancestor_id) AS (
    SELECT snapshot_id, child_id, parent_id FROM nesting
    UNION
    SELECT a.snapshot_id, a.group_id, n.parent_id
    FROM ancestor AS a
    JOIN nesting AS n ON n.snapshot_id = a.snapshot_id AND n.child_id = a.ancestor_id
),
inherited AS (
    SELECT d.snapshot_id, d.app, a.ancestor_id AS group_id, d.account_id,
        min(d.group_id) AS via_group_id
    FROM direct AS d
    JOIN ancestor AS a ON a.snapshot_id = d.snapshot_id AND a.group_id = d.group_id
    WHERE a.ancestor_id <> d.group_id
    GROUP BY d.snapshot_id, d.app, a.ancestor_id, d.account_id
),
effective AS (
    SELECT snapshot_id, app, group_id, account_id, NULL::VARCHAR AS via_group_id
    FROM direct
    UNION ALL
    SELECT i.snapshot_id, i.app, i.group_id, i.account_id, i.via_group_id
    FROM inherited AS i
    ANTI JOIN direct AS d
        ON d.snapshot_id = i.snapshot_id AND d.group_id = i.group_id
        AND d.account_id = i.account_id
)
SELECT
    e.snapshot_id,
    e.app,
    e.account_id,
    e.group_id,
    coalesce(g.display_name, e.group_id) AS group_name,
    text_key(coalesce(g.display_name, e.group_id)) AS group_key,
    e.via_group_id
FROM effective AS e
LEFT JOIN scim_group AS g ON g.snapshot_id = e.snapshot_id AND g.group_id = e.group_id
