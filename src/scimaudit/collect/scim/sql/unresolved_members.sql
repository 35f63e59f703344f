-- grain: one row per group of one app snapshot with member values that name no account and no
-- group of the same snapshot (a dangling membership: the snapshot is not coherent). `n` counts
-- them; `examples` holds the first few values, sorted. Anti-joins, so only the dangling rows are
-- materialised (a coherent 2M-membership snapshot yields no row). Parameters: $snapshot_id.
WITH dangling AS (
    SELECT m.group_id, m.account_id AS value
    FROM membership AS m
    ANTI JOIN (SELECT account_id FROM account WHERE snapshot_id = $snapshot_id) AS a
        ON a.account_id = m.account_id
    ANTI JOIN (SELECT group_id FROM scim_group WHERE snapshot_id = $snapshot_id) AS g
        ON g.group_id = m.account_id
    WHERE m.snapshot_id = $snapshot_id
)

SELECT
    d.group_id,
    any_value(g.display_name) AS display_name,
    count(*) AS n,
    list_sort(list(d.value))[1:5] AS examples
FROM dangling AS d
LEFT JOIN scim_group AS g ON g.snapshot_id = $snapshot_id AND g.group_id = d.group_id
GROUP BY d.group_id
ORDER BY n DESC, d.group_id;
