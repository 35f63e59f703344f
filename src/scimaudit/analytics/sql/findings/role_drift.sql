-- grain: one row per (account, group) whose entitlement the person's role does not explain; the
-- reason carries the numbers (mover, policy or peer basis, strongest first)
WITH drift AS MATERIALIZED (
    SELECT * FROM assess_role WHERE basis IS NOT NULL
),
hit AS (
    SELECT
        r.*, NOT r.policy_drift AS policy_allows, g.governed, l.snapshot_id, l.app, l.account_id,
        l.user_name, p.employee_id, p.department, p.title, p.previous_department,
        p.previous_department_as_of, g.group_id, g.group_name,
        round(100.0 * r.holders / nullif(r.peers, 0))::INTEGER AS peer_pct,
        coalesce(p.department, '(no department)') AS department_label,
        p.department || CASE WHEN $peer_by_title THEN coalesce(' / ' || p.title, '') ELSE '' END
            AS peer_label
    FROM drift AS r
    JOIN link AS l ON l.k = r.k
    JOIN person AS p ON p.pidx = l.pidx
    JOIN grp AS g ON g.gidx = r.gidx
)
SELECT
    'role_drift' AS kind,
    app,
    account_id,
    user_name,
    employee_id,
    group_name,
    group_id AS detail,
    CASE basis
        WHEN 'mover' THEN concat(
            'moved from ', previous_department, ' to ', department_label,
            ' (HR export of ', previous_department_as_of, '); still holds ', app, '/', group_name,
            ': ',
            CASE
                WHEN governed THEN 'allowed for ' || previous_department
                    || ' by role policy, not for ' || department_label
                ELSE concat(previous_department_holders, ' of ', previous_department_people, ' ',
                    previous_department, ' people hold it, ', department_holders, ' of ',
                    department_people, ' other ', department_label, ' people')
            END
        )
        WHEN 'policy' THEN concat(
            'role policy for ', department_label, ' in ', app, ' does not include ', group_name
        )
        ELSE concat(
            holders, ' of ', peers, ' ', peer_label, ' peers hold ', app, '/', group_name, ' (',
            CASE WHEN peer_pct = 0 THEN '<1' ELSE peer_pct::VARCHAR END, '%)'
        )
    END AS reason,
    json_object(
        'basis', basis,
        'group', group_name,
        'department', department,
        'title', title,
        'governed_by_policy', governed,
        'policy_allows', CASE WHEN governed THEN policy_allows END,
        'policy_drift', policy_drift,
        'peer_drift', peer_drift,
        'peers', peers,
        'peer_holders', holders,
        'peer_share', round(holders / nullif(peers, 0), 4),
        'peer_threshold', $peer_threshold,
        'previous_department', previous_department,
        'previous_department_as_of', previous_department_as_of,
        'previous_department_holders', previous_department_holders,
        'previous_department_people', previous_department_people,
        'department_holders_others', department_holders,
        'department_people_others', department_people,
        'mover_drift', mover_drift
    ) AS evidence,
    [snapshot_id, $hr_snapshot_id] AS snapshot_ids
FROM hit
