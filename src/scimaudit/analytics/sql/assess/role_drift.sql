-- grain: one row per (active account k linked to a current, non-terminated person, group gidx the
-- account holds): what explains the entitlement, as integers and flags (findings/role_drift.sql
-- adds names only to the rows that drift). Three tests, all with their numbers kept:
--   policy: in a governed app (one with any role_policy entry) the person's department (and title)
--           entries must list the group; a department with no entry may hold no group there.
--   peer:   fewer than peer_threshold of at least peer_min_group_size peers (same department, and
--           title when peer_group = department_title) hold the group.
--   mover:  the department changed since an earlier HR snapshot and the group is explained by the
--           previous department but not by the current one (policy in governed apps, otherwise
--           department peers at the same threshold; the mover is not counted among the current
--           department's people, department_holders/_people are the others).
-- Holders are people, not accounts: a plain count per group, less what people with several active
-- accounts in one app add twice (only they can be counted twice; multi_account lists them), so no
-- DISTINCT over the 3.5M memberships is needed.
WITH held AS (
    SELECT
        m.k, m.gidx, g.governed, p.pidx, p.dept_idx, p.prev_dept_idx, p.peer_idx, p.role_idx
    FROM member AS m
    JOIN person AS p ON p.pidx = m.pidx
    JOIN grp AS g ON g.gidx = m.gidx
    WHERE m.active AND m.human AND NOT p.terminated
),
multi_held AS (
    SELECT pidx, gidx, peer_idx, dept_idx, count(*) - 1 AS extra
    FROM held
    SEMI JOIN multi_account AS m ON m.pidx = held.pidx
    GROUP BY pidx, gidx, peer_idx, dept_idx
),
held_count AS (
    SELECT peer_idx, dept_idx, gidx, count(*) AS n
    FROM held
    GROUP BY peer_idx, dept_idx, gidx
),
peer_hold AS (
    SELECT h.peer_idx, h.gidx, (sum(h.n) - coalesce(any_value(o.extra), 0))::BIGINT AS holders
    FROM held_count AS h
    LEFT JOIN (
        SELECT peer_idx, gidx, sum(extra) AS extra FROM multi_held GROUP BY peer_idx, gidx
    ) AS o ON o.peer_idx = h.peer_idx AND o.gidx = h.gidx
    GROUP BY h.peer_idx, h.gidx
),
dept_hold AS (
    SELECT h.dept_idx, h.gidx, (sum(h.n) - coalesce(any_value(o.extra), 0))::BIGINT AS holders
    FROM held_count AS h
    LEFT JOIN (
        SELECT dept_idx, gidx, sum(extra) AS extra FROM multi_held GROUP BY dept_idx, gidx
    ) AS o ON o.dept_idx = h.dept_idx AND o.gidx = h.gidx
    GROUP BY h.dept_idx, h.gidx
),
peer_size AS (
    SELECT peer_idx, count(*) AS peers
    FROM person
    WHERE NOT terminated AND peer_idx IS NOT NULL
    GROUP BY peer_idx
),
peer_stat AS (
    SELECT h.peer_idx, h.gidx, h.holders, s.peers
    FROM peer_hold AS h
    JOIN peer_size AS s ON s.peer_idx = h.peer_idx
),
dept_allowed AS (
    SELECT DISTINCT d.dept_idx, g.gidx
    FROM (
        SELECT dept_idx, department_key AS key FROM person
        UNION
        SELECT prev_dept_idx, previous_department_key FROM person
    ) AS d
    JOIN cfg_role_allowed AS c ON c.department_key = d.key AND c.title_key = ''
    JOIN grp AS g ON g.app = c.app AND g.group_key = c.group_key
),
dept_size AS (
    SELECT dept_idx, count(*) AS people
    FROM person
    WHERE NOT terminated AND dept_idx IS NOT NULL
    GROUP BY dept_idx
),
mover_judged AS (
    SELECT
        m.k, m.gidx, m.pidx, m.governed, m.role_idx, m.peer_idx,
        coalesce(ch.holders, 1) - 1 AS department_holders,
        coalesce(cs.people, 1) - 1 AS department_people,
        coalesce(ph.holders, 0) AS previous_department_holders,
        coalesce(ps.people, 0) AS previous_department_people,
        CASE
            WHEN m.governed THEN ca.gidx IS NOT NULL
            WHEN coalesce(cs.people, 1) - 1 >= $peer_min_group_size
                THEN coalesce(ch.holders, 1) - 1 >= $peer_threshold * (cs.people - 1)
        END AS current_explains,
        CASE
            WHEN m.governed THEN pa.gidx IS NOT NULL
            WHEN coalesce(ps.people, 0) >= $peer_min_group_size
                THEN coalesce(ph.holders, 0) >= $peer_threshold * ps.people
        END AS previous_explains
    FROM held AS m
    LEFT JOIN dept_allowed AS ca ON ca.dept_idx = m.dept_idx AND ca.gidx = m.gidx
    LEFT JOIN dept_allowed AS pa ON pa.dept_idx = m.prev_dept_idx AND pa.gidx = m.gidx
    LEFT JOIN dept_size AS cs ON cs.dept_idx = m.dept_idx
    LEFT JOIN dept_size AS ps ON ps.dept_idx = m.prev_dept_idx
    LEFT JOIN dept_hold AS ch ON ch.dept_idx = m.dept_idx AND ch.gidx = m.gidx
    LEFT JOIN dept_hold AS ph ON ph.dept_idx = m.prev_dept_idx AND ph.gidx = m.gidx
    WHERE m.prev_dept_idx IS NOT NULL
),
judged AS (
    SELECT
        k, gidx, pidx, governed, role_idx, peer_idx,
        NULL::BIGINT AS department_holders, NULL::BIGINT AS department_people,
        NULL::BIGINT AS previous_department_holders, NULL::BIGINT AS previous_department_people,
        NULL::BOOLEAN AS current_explains, NULL::BOOLEAN AS previous_explains
    FROM held
    WHERE prev_dept_idx IS NULL
    UNION ALL
    SELECT
        k, gidx, pidx, governed, role_idx, peer_idx, department_holders, department_people,
        previous_department_holders, previous_department_people, current_explains,
        previous_explains
    FROM mover_judged
),
tested AS (
    SELECT
        j.k,
        j.gidx,
        j.governed,
        j.department_holders,
        j.department_people,
        j.previous_department_holders,
        j.previous_department_people,
        coalesce(ps.peers, 0) AS peers,
        coalesce(ps.holders, 0) AS holders,
        j.governed AND ra.gidx IS NULL AS policy_drift,
        coalesce(ps.peers >= $peer_min_group_size AND ps.holders < $peer_threshold * ps.peers,
            false) AS peer_drift,
        coalesce(j.previous_explains AND NOT j.current_explains, false) AS mover_drift,
        j.previous_explains IS NOT NULL AS mover_assessable
    FROM judged AS j
    LEFT JOIN role_allowed AS ra ON ra.role_idx = j.role_idx AND ra.gidx = j.gidx
    LEFT JOIN peer_stat AS ps ON ps.peer_idx = j.peer_idx AND ps.gidx = j.gidx
)
-- 3.5M rows: only what the finding and the population read (the person and the group's names
-- come from link, person and grp, for the drifting rows only; policy_allows = NOT policy_drift
-- where governed)
SELECT
    k,
    gidx,
    department_holders,
    department_people,
    previous_department_holders,
    previous_department_people,
    peers,
    holders,
    policy_drift,
    peer_drift,
    mover_drift,
    CASE
        WHEN mover_drift THEN 'mover'
        WHEN policy_drift THEN 'policy'
        WHEN peer_drift THEN 'peer'
    END AS basis,
    governed OR peers >= $peer_min_group_size OR mover_assessable AS assessable
FROM tested
