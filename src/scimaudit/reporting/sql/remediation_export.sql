-- grain: one row per requested revocation on an in-scope app (plan operation or exclusion x reason),
-- as it stood at the end of the report period; CSV-safe, UTC times; this is remediation.csv.
SELECT
    plan_id,
    seq,
    csv_safe(app) AS app,
    action,
    csv_safe(account_id) AS account_id,
    csv_safe(user_name) AS user_name,
    csv_safe(group_name) AS group_name,
    source_kind,
    campaign_id,
    item_id,
    finding_key,
    finding_kind,
    strftime(timezone('UTC', requested_at), '%Y-%m-%dT%H:%M:%SZ') AS requested_at,
    csv_safe(requested_by) AS requested_by,
    strftime(timezone('UTC', applied_at), '%Y-%m-%dT%H:%M:%SZ') AS applied_at,
    strftime(timezone('UTC', verified_at), '%Y-%m-%dT%H:%M:%SZ') AS verified_at,
    state,
    csv_safe(detail) AS detail
FROM report_remediation
ORDER BY requested_at, plan_id, seq NULLS LAST, app, account_id, group_name, finding_key, item_id;
