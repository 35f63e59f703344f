-- grain: one row per active account linked to no person, not ambiguous, and not a declared service
-- account. A name-only resemblance is reported as a hint, never as a link.
WITH hit AS (
    SELECT
        l.snapshot_id, l.app, l.account_id, l.user_name, l.rule, l.candidates, l.note,
        a.external_id, a.employee_number, a.emails, a.display_name, a.created
    FROM link AS l
    JOIN account AS a ON a.rowid = l.k  -- k is the account row's rowid: an integer join
    WHERE l.active AND l.account_type = 'unmatched' AND NOT l.ambiguous
)
SELECT
    'orphaned_account' AS kind,
    app,
    account_id,
    user_name,
    concat(
        'active account ', coalesce(user_name, account_id),
        ' matches no HR person by externalId, employeeNumber or email',
        CASE
            WHEN rule = 'name'
                THEN ' (name resembles ' || array_to_string(candidates, ', ')
                    || ': low confidence, not a link)'
            ELSE ''
        END,
        CASE WHEN note IS NOT NULL THEN ' (' || note || ')' ELSE '' END,
        '; find the owner, then link, declare or remove it'
    ) AS reason,
    json_object(
        'external_id', external_id,
        'employee_number', employee_number,
        'emails', emails,
        'display_name', display_name,
        'created', created,
        'name_candidates', CASE WHEN rule = 'name' THEN candidates END,
        'note', note
    ) AS evidence,
    [snapshot_id, $hr_snapshot_id] AS snapshot_ids
FROM hit
