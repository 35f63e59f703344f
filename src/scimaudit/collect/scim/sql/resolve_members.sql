-- grain: one row per membership of one app snapshot whose member value is not an account id of the
-- snapshot but is exactly one account's userName ($by = 'userName') or email ($by = 'email',
-- compared case-insensitively, primary or not): its account_id is rewritten to that account's id.
-- For vendors that reference Group members by userName or email instead of the User's id (RFC 7643
-- §4.2 says id); the value as sent stays in the page archive. A value that two accounts share is
-- left alone (and so stays unresolved): guessing would give one person the other's access.
-- Equi-joins only (no OR in a join): one key per mode. Parameters: $snapshot_id, $by.
UPDATE membership AS m
SET account_id = k.account_id
FROM (
    SELECT key, any_value(account_id) AS account_id
    FROM (
        SELECT user_name AS key, account_id
        FROM account
        WHERE snapshot_id = $snapshot_id AND $by = 'userName' AND user_name IS NOT NULL
        UNION ALL
        SELECT DISTINCT lower(unnest(emails)) AS key, account_id
        FROM account
        WHERE snapshot_id = $snapshot_id AND $by = 'email'
    )
    GROUP BY key
    HAVING count(DISTINCT account_id) = 1
) AS k
WHERE m.snapshot_id = $snapshot_id
    AND coalesce(m.member_type, 'User') = 'User'
    AND (CASE WHEN $by = 'email' THEN lower(m.account_id) ELSE m.account_id END) = k.key
    AND NOT EXISTS (
        SELECT 1 FROM account AS a
        WHERE a.snapshot_id = $snapshot_id AND a.account_id = m.account_id
    );
