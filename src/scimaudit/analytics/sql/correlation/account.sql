-- grain: one row per account of the analysed app snapshots, numbered (k) so that every later join
-- is on integers; carries the match inputs (trimmed, lower case) and the activity columns stale
-- access needs.
SELECT
    row_number() OVER () AS k,
    a.snapshot_id,
    a.app,
    a.account_id,
    a.user_name,
    text_key(a.user_name) AS user_name_key,
    coalesce(a.active, true) AS active,
    text_key(a.external_id) AS external_key,
    text_key(a.employee_number) AS number_key,
    a.emails,
    text_key(a.primary_email) AS primary_email_key,
    a.created::DATE AS created_on,
    a.last_activity
FROM account AS a
JOIN run_app AS r ON r.snapshot_id = a.snapshot_id
