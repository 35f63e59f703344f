-- grain: one row per active account linked to a rehired person through the employee id of an
-- earlier employment (link.previous_id): the account is theirs and the current employment judges
-- it, but the app should carry the current id.
SELECT
    'stale_identifier' AS kind,
    l.app,
    l.account_id,
    l.user_name,
    l.employee_id,
    concat(
        'account ', coalesce(l.user_name, l.account_id), ' of ', p.full_name,
        ' carries employee id ', l.previous_id, ' of an earlier employment (', l.note,
        '); app owner: update the id to ', l.employee_id
    ) AS reason,
    json_object(
        'person', p.full_name,
        'account_id_value', l.previous_id,
        'current_employee_id', l.employee_id,
        'previous_employee_ids', p.previous_ids,
        'rehired_on', p.hire_date,
        'link_rule', l.rule,
        'link_note', l.note
    ) AS evidence,
    [l.snapshot_id, $hr_snapshot_id] AS snapshot_ids
FROM link AS l
JOIN person AS p ON p.pidx = l.pidx
WHERE l.active AND l.account_type = 'human' AND l.previous_id IS NOT NULL
