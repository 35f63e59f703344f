-- grain: one row per line of the overrides file for this run: evidence of every manual decision
SELECT
    $run_id AS run_id, line_no, app, account, action, employee_id, owner, reason, expires, status,
    account_id
FROM override_match
