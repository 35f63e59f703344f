-- grain: one row per active account whose deciding correlation rule matched two or more people
WITH hit AS (
    SELECT
        l.snapshot_id, l.app, l.account_id, l.user_name, l.rule, l.candidates,
        a.external_id, a.employee_number, a.emails, a.display_name
    FROM link AS l
    JOIN account AS a ON a.rowid = l.k  -- k is the account row's rowid: an integer join
    WHERE l.active AND l.ambiguous
)
SELECT
    'ambiguous_identity' AS kind,
    app,
    account_id,
    user_name,
    concat(
        'account ', coalesce(user_name, account_id), ' matches ', len(candidates),
        ' HR people by ', rule, ' (', array_to_string(candidates, ', '),
        '); add an override naming the owner'
    ) AS reason,
    json_object(
        'rule', rule,
        'candidates', candidates,
        'external_id', external_id,
        'employee_number', employee_number,
        'emails', emails,
        'display_name', display_name
    ) AS evidence,
    [snapshot_id, $hr_snapshot_id] AS snapshot_ids
FROM hit
