-- grain: one row per (account k, group gidx) held only through nested groups (RFC 7643 §4.2:
-- members[].type = "Group"): a member of an inner group holds every enclosing group, at any depth
-- (cycles end because the recursion is a UNION). via_gidx is the inner group it came through.
-- Appended to the direct memberships; a membership also held directly is not repeated.
WITH RECURSIVE nesting AS (
    SELECT outer_group.gidx AS parent, inner_group.gidx AS child
    FROM membership AS m
    JOIN grp AS outer_group
        ON outer_group.snapshot_id = m.snapshot_id AND outer_group.group_id = m.group_id
    JOIN grp AS inner_group
        ON inner_group.snapshot_id = m.snapshot_id AND inner_group.group_id = m.account_id
    WHERE m.member_type = 'Group'
),
ancestor(gidx, ancestor_gidx) AS (
    SELECT child, parent FROM nesting
    UNION
    SELECT a.gidx, n.parent
    FROM ancestor AS a
    JOIN nesting AS n ON n.child = a.ancestor_gidx
),
inherited AS (
    SELECT
        m.k, a.ancestor_gidx AS gidx, min(m.gidx) AS via_gidx, any_value(m.active) AS active,
        any_value(m.human) AS human, any_value(m.pidx) AS pidx
    FROM member AS m
    JOIN ancestor AS a ON a.gidx = m.gidx
    WHERE a.ancestor_gidx <> m.gidx
    GROUP BY m.k, a.ancestor_gidx
),
already AS (
    SELECT m.k, m.gidx
    FROM member AS m
    SEMI JOIN (SELECT DISTINCT ancestor_gidx FROM ancestor) AS x ON x.ancestor_gidx = m.gidx
)
SELECT i.k, i.gidx, i.via_gidx, i.active, i.human, i.pidx
FROM inherited AS i
ANTI JOIN already AS d ON d.k = i.k AND d.gidx = i.gidx
