-- grain: one row per group of the analysed app snapshots, numbered (gidx) for integer joins, with
-- its comparable name and whether its app is governed by a role policy
SELECT
    row_number() OVER () AS gidx,
    g.snapshot_id,
    g.app,
    g.group_id,
    g.display_name AS group_name,
    text_key(g.display_name) AS group_key,
    v.app IS NOT NULL AS governed
FROM scim_group AS g
JOIN run_app AS r ON r.snapshot_id = g.snapshot_id
LEFT JOIN cfg_role_governed AS v ON v.app = g.app
