-- grain: one row per (account k, group gidx) direct membership of the analysed app snapshots,
-- with the account's activity, whether it is linked to a person (human) and who (pidx), copied
-- from link so later steps need not join link again. Members that are not accounts of the
-- snapshot (dangling ids) and group-in-group members (membership_nested.sql) are not rows here.
-- A group member (member_type 'Group') gets a NULL account key, which matches no account: written
-- as a join key rather than as a WHERE filter so that DuckDB, which guesses 20% for a filter it
-- cannot estimate, still sees 3.7M memberships against 2M accounts and builds its hash table on
-- the accounts (measured 0.8 s instead of 0.95 s).
SELECT
    a.k, g.gidx, NULL::BIGINT AS via_gidx, a.active, a.account_type = 'human' AS human, a.pidx
FROM membership AS m
JOIN link AS a
    ON a.snapshot_id = m.snapshot_id
    AND a.account_id = CASE WHEN m.member_type = 'Group' THEN NULL ELSE m.account_id END
JOIN grp AS g ON g.snapshot_id = m.snapshot_id AND g.group_id = m.group_id
