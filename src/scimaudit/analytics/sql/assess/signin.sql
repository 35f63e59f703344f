-- grain: one row per account k (of the analysed app snapshots) that an activity export mentions:
-- its latest sign-in, matched on userName or any email as given (the addresses come from
-- account_key), case-insensitively; only apps that have activity rows are looked at
WITH login_key AS (
    -- Unfiltered on purpose: a NULL key (raw of an externalId/employeeNumber key) matches nothing,
    -- an email-shaped userName also among the account's addresses only repeats a maximum; with a
    -- WHERE here DuckDB would guess 20% of 5.4M keys and build its hash table on them rather than
    -- on the 1.4M sign-ins.
    SELECT k, snapshot_id, user_name_key AS login_key FROM link
    UNION ALL
    SELECT k, snapshot_id, raw FROM account_key
),
signin AS (
    SELECT a.snapshot_id AS app_snapshot_id, text_key(x.login) AS login_key, x.last_seen,
        x.snapshot_id
    FROM activity AS x
    JOIN run_activity AS r ON r.snapshot_id = x.snapshot_id
    JOIN run_app AS a ON a.app = x.app
),
seen AS (
    SELECT k.k, max(s.last_seen) AS last_seen, max(s.snapshot_id) AS snapshot_id
    FROM login_key AS k
    JOIN signin AS s ON s.app_snapshot_id = k.snapshot_id AND s.login_key = k.login_key
    GROUP BY k.k
)
SELECT k, last_seen, snapshot_id FROM seen
