-- grain: one row per account of the analysed app snapshots (k = its rowid): the person it belongs
-- to (pidx, employee_id) if any, the rule and confidence that decided it, or why it is a service,
-- unmatched or ambiguous account; with the account columns later steps read (so they never join
-- the account table again). Precedence: an applied override, then a declared service account
-- ([[apps]] service_accounts, userName any case), then the first enabled rule (cfg_rule.priority)
-- that finds anyone. A rule that finds two or more people leaves the account unlinked and
-- ambiguous (surfaced, never guessed). A name match alone never links. An account that carries the
-- employee id of a rehired person's earlier employment (hr_key sub 2) belongs to the person:
-- previous_id keeps that id (whichever rule decided the link), and the note says how the link was
-- made.
WITH acct AS (
    SELECT
        a.rowid AS k, a.snapshot_id, a.app, a.account_id, a.user_name,
        text_key(a.user_name) AS user_name_key, coalesce(a.active, true) AS active, a.created,
        a.last_activity, a.external_id, a.employee_number
    FROM account AS a
    JOIN run_app AS r ON r.snapshot_id = a.snapshot_id
),
flagged AS (
    SELECT k FROM link_decision WHERE pidx_lo <> pidx_hi OR any_lo <> any_hi
),
flagged_match AS (
    SELECT a.k, p.employee_id, h.priority
    FROM account_key AS a
    SEMI JOIN flagged AS f ON f.k = a.k
    JOIN hr_key AS h ON h.rule_no = a.rule_no AND h.key = a.key
    JOIN person AS p ON p.pidx = h.pidx
),
flagged_lists AS (
    SELECT
        m.k,
        list_sort(list(DISTINCT m.employee_id) FILTER (WHERE m.priority = d.priority))
            AS candidates,
        list_sort(list(DISTINCT m.employee_id)) AS everyone
    FROM flagged_match AS m
    JOIN link_decision AS d ON d.k = m.k
    GROUP BY m.k
),
override AS (
    SELECT o.app, o.account_id, o.line_no, o.action, p.pidx AS person_pidx, o.owner_resolved,
        o.reason
    FROM override_match AS o
    LEFT JOIN person AS p ON p.employee_id = o.person_id
    WHERE o.status = 'applied'
),
lapsed AS (
    SELECT app, account_id, max(expires) AS expired_on
    FROM override_match
    WHERE status = 'expired' AND account_id IS NOT NULL
    GROUP BY app, account_id
),
typed AS (
    SELECT
        a.*,
        o.line_no AS override_line,
        o.action AS override_action,
        o.person_pidx AS override_pidx,
        o.owner_resolved,
        o.reason AS override_reason,
        s.app IS NOT NULL AS declared_service,
        d.priority AS decided_priority,
        d.pidx_lo,
        d.pidx_lo <> d.pidx_hi AS ambiguous_match,
        d.exact,
        d.stale,
        fl.candidates,
        fl.everyone,
        n.candidates AS name_candidates,
        l.expired_on,
        CASE
            WHEN o.action = 'link' THEN 'human'
            WHEN o.action = 'service' OR s.app IS NOT NULL THEN 'service'
            WHEN d.pidx_lo = d.pidx_hi THEN 'human'
            ELSE 'unmatched'
        END AS account_type
    FROM acct AS a
    LEFT JOIN link_decision AS d ON d.k = a.k
    LEFT JOIN flagged_lists AS fl ON fl.k = a.k
    LEFT JOIN name_match AS n ON n.k = a.k
    LEFT JOIN override AS o ON o.app = a.app AND o.account_id = a.account_id
    LEFT JOIN cfg_service_account AS s
        ON s.app = a.app AND s.user_name_key = a.user_name_key
    LEFT JOIN lapsed AS l ON l.app = a.app AND l.account_id = a.account_id
),
named AS (
    SELECT
        t.*,
        CASE
            WHEN t.decided_priority IS NULL THEN NULL
            WHEN t.decided_priority % 10 = 1 THEN 'email_history'
            ELSE r.rule
        END AS decided_rule
    FROM typed AS t
    LEFT JOIN cfg_rule AS r ON r.priority = t.decided_priority // 10
),
linked AS (
    SELECT
        n.*,
        coalesce(n.override_pidx, CASE WHEN n.override_action IS NULL AND n.account_type = 'human'
            THEN n.pidx_lo END) AS pidx,
        n.decided_priority % 10 = 2 AS by_previous_id
    FROM named AS n
),
stale AS (
    SELECT
        l.*,
        CASE WHEN l.account_type = 'human' AND l.stale // 2 = l.pidx
            THEN CASE l.stale % 2 WHEN 0 THEN trim(l.external_id) ELSE trim(l.employee_number) END
        END AS previous_id,
        CASE l.stale % 2 WHEN 0 THEN 'externalId' ELSE 'employeeNumber' END AS previous_attr
    FROM linked AS l
)
SELECT
    l.k,
    l.snapshot_id,
    l.app,
    l.account_id,
    l.user_name,
    l.user_name_key,
    l.active,
    l.created,
    l.last_activity,
    l.pidx,
    p.employee_id,
    CASE
        WHEN l.override_action IS NOT NULL THEN 'override'
        WHEN l.declared_service THEN 'service_config'
        WHEN l.decided_rule IS NOT NULL THEN l.decided_rule
        WHEN l.name_candidates IS NOT NULL THEN 'name'
    END AS rule,
    CASE
        WHEN l.override_action IS NOT NULL OR l.declared_service THEN 'high'
        WHEN l.decided_rule IN ('external_id', 'employee_number') THEN 'high'
        WHEN l.decided_rule = 'email' AND l.exact THEN 'high'
        WHEN l.decided_rule IS NOT NULL THEN 'medium'
        WHEN l.name_candidates IS NOT NULL THEN 'low'
    END AS confidence,
    l.account_type,
    coalesce(l.account_type = 'unmatched' AND l.ambiguous_match, false) AS ambiguous,
    CASE
        WHEN l.account_type <> 'unmatched' THEN NULL
        WHEN l.ambiguous_match THEN l.candidates
        ELSE l.name_candidates
    END AS candidates,
    CASE WHEN l.override_action = 'service' THEN l.owner_resolved END AS service_owner,
    l.previous_id,
    nullif(concat_ws('; ',
        CASE WHEN l.previous_id IS NOT NULL
            THEN CASE WHEN l.by_previous_id AND l.override_action IS NULL THEN 'linked by '
                ELSE 'carries an earlier employment''s ' END
                || l.previous_attr || ' ' || l.previous_id || ' → rehired as '
                || p.employee_id || coalesce(' on ' || p.hire_date, '') END,
        CASE WHEN l.override_line IS NOT NULL
            THEN 'override line ' || l.override_line || ': ' || l.override_reason END,
        CASE WHEN l.account_type = 'human' AND len(list_filter(l.everyone,
                lambda e: e IS DISTINCT FROM p.employee_id)) > 0
            THEN 'other rules point to '
                || array_to_string(list_filter(l.everyone, lambda e: e <> p.employee_id), ', ')
        END,
        CASE WHEN l.expired_on IS NOT NULL AND l.override_line IS NULL
            THEN 'override expired ' || l.expired_on END
    ), '') AS note
FROM stale AS l
LEFT JOIN person AS p ON p.pidx = l.pidx
