-- grain: one row per account per analysis run (the stored identity_link): who each account
-- belongs to and why, copied from the run's link table without its join keys (k, pidx)
SELECT
    $run_id AS run_id, snapshot_id, app, account_id, user_name, active, employee_id, rule,
    confidence, account_type, ambiguous, candidates, service_owner, note
FROM link
