-- grain: one row per active account linked to a contractor whose contract ended before the analysis
-- date and who is not terminated (a terminated contractor is a terminated_active finding instead).
WITH hit AS (
    SELECT
        l.snapshot_id, l.app, l.account_id, l.user_name, l.employee_id, l.rule, l.confidence,
        p.full_name, p.status, p.contract_end_date,
        date_diff('day', p.contract_end_date, $as_of::DATE) AS days_since
    FROM link AS l
    JOIN person AS p ON p.pidx = l.pidx
    WHERE l.active AND l.account_type = 'human'
        AND p.worker_type = 'contractor' AND NOT p.terminated
        AND p.contract_end_date < $as_of::DATE
)
SELECT
    'contractor_expired' AS kind,
    app,
    account_id,
    user_name,
    employee_id,
    concat(
        'contract of ', full_name, ' (', employee_id, ') ended ', contract_end_date,
        ' (', days_text(days_since), ' ago); account is still active'
    ) AS reason,
    json_object(
        'person', full_name,
        'hr_status', status,
        'contract_end_date', contract_end_date,
        'days_since_contract_end', days_since,
        'link_rule', rule,
        'link_confidence', confidence
    ) AS evidence,
    [snapshot_id, $hr_snapshot_id] AS snapshot_ids
FROM hit
