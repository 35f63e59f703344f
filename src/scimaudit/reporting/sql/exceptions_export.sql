-- grain: one row per finding in report_exceptions, CSV-safe, in the printed order (severity, rule,
-- app, account); this is exceptions.csv.
SELECT
    kind AS rule_id,
    severity,
    status,
    csv_safe(app) AS app,
    csv_safe(account_id) AS account_id,
    csv_safe(user_name) AS user_name,
    csv_safe(employee_id) AS employee_id,
    csv_safe(person_name) AS person_name,
    csv_safe(group_name) AS group_name,
    csv_safe(reason) AS reason,
    csv_safe(evidence) AS evidence,
    first_detected,
    resolved_on,
    csv_safe(approver) AS approver,
    csv_safe(expires) AS expires,
    csv_safe(acceptance_reason) AS acceptance_reason,
    finding_key,
    array_to_string(snapshot_ids, ' ') AS snapshot_ids,
    strftime(timezone('UTC', remediation_requested_at), '%Y-%m-%dT%H:%M:%SZ') AS remediation_requested_at,
    strftime(timezone('UTC', remediation_applied_at), '%Y-%m-%dT%H:%M:%SZ') AS remediation_applied_at,
    strftime(timezone('UTC', remediation_verified_at), '%Y-%m-%dT%H:%M:%SZ') AS remediation_verified_at
FROM report_exceptions
ORDER BY severity_rank(severity), kind, app NULLS FIRST, account_id NULLS FIRST, finding_key;
