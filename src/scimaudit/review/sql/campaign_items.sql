-- grain: one row per (active account, entitlement) in the campaign's apps as of one analysis run:
-- the account itself (entitlement NULL) and each group it holds, directly or through nested groups,
-- with the context a reviewer needs (person, title, department, last sign-in, findings on it, share
-- of peers holding it, a pending-deprovisioning deadline). Who holds what comes from access_item,
-- the rows of the one access answer (analytics/access.py) loaded by review/items.py.
-- Peers are the person's department, or department and title ($by_title, as policy.peer_group).
-- Parameters: $run_id, $apps (VARCHAR[]), $activity_snapshots (BIGINT[]), $by_title (BOOLEAN).
WITH run AS (
    SELECT run_id, hr_snapshot_id FROM analysis_run WHERE run_id = $run_id
),
scope_app AS (
    SELECT DISTINCT unnest($apps::VARCHAR[]) AS app
),
link AS (
    SELECT DISTINCT l.snapshot_id, l.app, l.account_id, l.user_name, l.employee_id,
           l.account_type, l.service_owner
    FROM access_item AS l
    SEMI JOIN scope_app AS s ON s.app = l.app
),
emp AS (
    SELECT e.employee_id, e.email, e.first_name, e.last_name, e.status, e.worker_type, e.title,
           e.department,
           CASE WHEN e.department IS NULL THEN NULL
                WHEN $by_title THEN e.department || ' / ' || coalesce(e.title, '')
                ELSE e.department END AS peer_key
    FROM employee AS e
    JOIN run ON e.snapshot_id = run.hr_snapshot_id
),
grp AS (
    SELECT DISTINCT a.snapshot_id, a.account_id, a.group_id, a.group_name AS display_name
    FROM access_item AS a
    SEMI JOIN scope_app AS s ON s.app = a.app
    WHERE a.group_id IS NOT NULL
),
pending AS (
    SELECT app, account_id, max(deadline) AS deadline
    FROM deprovision_pending
    WHERE run_id = $run_id
    GROUP BY ALL
),
access AS (
    SELECT l.*, NULL::VARCHAR AS group_id, NULL::VARCHAR AS entitlement, '' AS ent
    FROM link AS l
    UNION ALL
    SELECT l.*, g.group_id, g.display_name AS entitlement, g.display_name AS ent
    FROM grp AS g
    JOIN link AS l ON l.snapshot_id = g.snapshot_id AND l.account_id = g.account_id
),
act AS (
    SELECT app, lower(login) AS login, max(last_seen) AS last_seen
    FROM activity
    WHERE snapshot_id IN (SELECT unnest($activity_snapshots::BIGINT[]))
    GROUP BY ALL
),
signin AS (
    SELECT l.snapshot_id, l.account_id, greatest(a.last_activity, act.last_seen) AS last_sign_in
    FROM link AS l
    JOIN account AS a ON a.snapshot_id = l.snapshot_id AND a.account_id = l.account_id
    LEFT JOIN act ON act.app = l.app AND act.login = lower(a.user_name)
),
dept AS (
    SELECT peer_key, count(*) AS n
    FROM emp
    WHERE status <> 'terminated' AND peer_key IS NOT NULL
    GROUP BY peer_key
),
held AS (
    SELECT DISTINCT x.app, x.ent, e.peer_key, e.employee_id
    FROM access AS x
    JOIN emp AS e ON e.employee_id = x.employee_id
    WHERE e.status <> 'terminated' AND e.peer_key IS NOT NULL
),
held_n AS (
    SELECT app, ent, peer_key, count(*) AS k FROM held GROUP BY ALL
),
fnd AS (
    SELECT app, account_id, group_name, kind, severity, reason, status, finding_key
    FROM finding
    WHERE run_id = $run_id AND account_id IS NOT NULL AND app IS NOT NULL
),
item_findings AS (
    SELECT x.snapshot_id, x.account_id, x.ent,
           list({'kind': f.kind, 'severity': f.severity, 'reason': f.reason, 'status': f.status,
                 'finding_key': f.finding_key} ORDER BY f.kind, f.finding_key) AS fl
    FROM access AS x
    JOIN fnd AS f ON f.app = x.app AND f.account_id = x.account_id
    WHERE f.group_name IS NULL OR f.group_name = x.entitlement
    GROUP BY ALL
),
items AS (
    SELECT
        x.employee_id,
        nullif(concat_ws(' ', e.first_name, e.last_name), '') AS person_name,
        e.email AS person_email,
        e.status AS person_status,
        e.worker_type,
        e.title,
        e.department,
        e.peer_key,
        x.service_owner AS owner_id,
        x.app,
        x.account_id,
        x.user_name,
        x.account_type,
        x.entitlement,
        x.group_id,
        s.last_sign_in,
        to_json(coalesce(f.fl, []))::VARCHAR AS findings,
        pd.deadline AS pending_deadline,
        CASE WHEN e.status = 'terminated' THEN 0 ELSE 1 END AS subject_counted,
        d.n AS dept_n,
        coalesce(h.k, 0) AS held_k
    FROM access AS x
    LEFT JOIN emp AS e ON e.employee_id = x.employee_id
    LEFT JOIN signin AS s ON s.snapshot_id = x.snapshot_id AND s.account_id = x.account_id
    LEFT JOIN item_findings AS f
        ON f.snapshot_id = x.snapshot_id AND f.account_id = x.account_id AND f.ent = x.ent
    LEFT JOIN dept AS d ON d.peer_key = e.peer_key
    LEFT JOIN held_n AS h ON h.app = x.app AND h.ent = x.ent AND h.peer_key = e.peer_key
    LEFT JOIN pending AS pd ON pd.app = x.app AND pd.account_id = x.account_id
)
SELECT
    employee_id, person_name, person_email, person_status, worker_type, title, department,
    owner_id, app, account_id, user_name, account_type, entitlement, group_id, last_sign_in,
    findings,
    pending_deadline,
    peer_key AS peer_group,
    (held_k - subject_counted)::INTEGER AS peer_holders,
    (dept_n - subject_counted)::INTEGER AS peer_count
FROM items
ORDER BY person_name NULLS LAST, employee_id NULLS LAST, app, user_name, account_id,
         entitlement NULLS FIRST
