-- grain: one row per (active account linked to a current, non-terminated person, group the account
-- holds): what explains the entitlement. Three tests, all with their numbers kept:
--   policy: in a governed app (one with any role_policy entry) the person's department (and title)
--           entries must list the group; a department with no entry may hold no group there.
--   peer:   fewer than peer_threshold of at least peer_min_group_size peers (same department, and
--           title when peer_group = department_title) hold the group.
--   mover:  the department changed since an earlier HR snapshot and the group is explained by the
--           previous department but not by the current one (policy in governed apps, otherwise
--           department peers at the same threshold).
WITH people AS (
    SELECT
        employee_id, full_name, department, title, department_key, title_key,
        previous_department, previous_department_key, previous_department_as_of,
        CASE
            WHEN department_key IS NULL THEN NULL
            WHEN $peer_by_title THEN department_key || '|' || coalesce(title_key, '')
            ELSE department_key
        END AS peer_key
    FROM person
    WHERE NOT terminated
),
held AS (
    SELECT
        m.snapshot_id, m.app, m.account_id, l.user_name, m.group_id, m.group_name, m.group_key,
        p.*
    FROM member AS m
    JOIN identity_link AS l
        ON l.run_id = $run_id AND l.app = m.app AND l.account_id = m.account_id
    JOIN people AS p ON p.employee_id = l.employee_id
    WHERE l.active AND l.account_type = 'human'
),
person_group AS (
    SELECT DISTINCT employee_id, peer_key, department_key, app, group_key FROM held
),
peer_size AS (
    SELECT peer_key, count(*) AS peers FROM people WHERE peer_key IS NOT NULL GROUP BY peer_key
),
peer_hold AS (
    SELECT peer_key, app, group_key, count(*) AS holders
    FROM person_group
    GROUP BY peer_key, app, group_key
),
dept_size AS (
    SELECT department_key, count(*) AS people
    FROM people
    WHERE department_key IS NOT NULL
    GROUP BY department_key
),
dept_hold AS (
    SELECT department_key, app, group_key, count(*) AS holders
    FROM person_group
    GROUP BY department_key, app, group_key
),
measured AS (
    SELECT
        h.*,
        gv.app IS NOT NULL AS governed,
        a_any.group_key IS NOT NULL OR a_title.group_key IS NOT NULL AS policy_allows,
        a_prev.group_key IS NOT NULL AS previous_policy_allows,
        coalesce(ps.peers, 0) AS peers,
        coalesce(ph.holders, 0) AS holders,
        coalesce(ds.people, 0) AS department_people,
        coalesce(dh.holders, 0) AS department_holders,
        coalesce(pds.people, 0) AS previous_department_people,
        coalesce(pdh.holders, 0) AS previous_department_holders
    FROM held AS h
    LEFT JOIN cfg_role_governed AS gv ON gv.app = h.app
    LEFT JOIN cfg_role_allowed AS a_any
        ON a_any.department_key = h.department_key AND a_any.title_key = ''
        AND a_any.app = h.app AND a_any.group_key = h.group_key
    LEFT JOIN cfg_role_allowed AS a_title
        ON a_title.department_key = h.department_key AND a_title.title_key = h.title_key
        AND a_title.app = h.app AND a_title.group_key = h.group_key
    LEFT JOIN cfg_role_allowed AS a_prev
        ON a_prev.department_key = h.previous_department_key AND a_prev.title_key = ''
        AND a_prev.app = h.app AND a_prev.group_key = h.group_key
    LEFT JOIN peer_size AS ps ON ps.peer_key = h.peer_key
    LEFT JOIN peer_hold AS ph
        ON ph.peer_key = h.peer_key AND ph.app = h.app AND ph.group_key = h.group_key
    LEFT JOIN dept_size AS ds ON ds.department_key = h.department_key
    LEFT JOIN dept_hold AS dh
        ON dh.department_key = h.department_key AND dh.app = h.app AND dh.group_key = h.group_key
    LEFT JOIN dept_size AS pds ON pds.department_key = h.previous_department_key
    LEFT JOIN dept_hold AS pdh
        ON pdh.department_key = h.previous_department_key AND pdh.app = h.app
        AND pdh.group_key = h.group_key
),
tested AS (
    SELECT
        *,
        governed AND NOT policy_allows AS policy_drift,
        peers >= $peer_min_group_size AND holders < $peer_threshold * peers AS peer_drift,
        CASE
            WHEN governed THEN policy_allows
            WHEN department_people >= $peer_min_group_size
                THEN department_holders >= $peer_threshold * department_people
        END AS current_explains,
        CASE
            WHEN previous_department_key IS NULL THEN NULL
            WHEN governed THEN previous_policy_allows
            WHEN previous_department_people >= $peer_min_group_size
                THEN previous_department_holders >= $peer_threshold * previous_department_people
        END AS previous_explains
    FROM measured
)
SELECT
    *,
    coalesce(previous_explains AND NOT current_explains, false) AS mover_drift,
    CASE
        WHEN coalesce(previous_explains AND NOT current_explains, false) THEN 'mover'
        WHEN policy_drift THEN 'policy'
        WHEN peer_drift THEN 'peer'
    END AS basis,
    governed OR peers >= $peer_min_group_size OR previous_explains IS NOT NULL AS assessable
FROM tested
