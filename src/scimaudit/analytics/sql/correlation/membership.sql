-- grain: one row per (account k, group gidx) direct membership of the analysed app snapshots,
-- with the account's activity, whether it is linked to a person (human) and who (pidx), copied
-- from link so later steps need not join link again. Members that are not accounts of the snapshot (dangling ids) and
-- group-in-group members (membership_nested.sql) are not rows here.
SELECT
    a.k, g.gidx, NULL::BIGINT AS via_gidx, a.active, a.account_type = 'human' AS human, a.pidx
FROM membership AS m
JOIN link AS a ON a.snapshot_id = m.snapshot_id AND a.account_id = m.account_id
JOIN grp AS g ON g.snapshot_id = m.snapshot_id AND g.group_id = m.group_id
WHERE coalesce(m.member_type, 'User') <> 'Group'
