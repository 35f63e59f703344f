-- grain: one row per account of the analysed app snapshots: the person it belongs to (if any), the
-- rule and confidence that decided it, or why it is a service, unmatched or ambiguous account.
-- Precedence: an applied override, then a declared service account ([[apps]] service_accounts),
-- then the first enabled rule (cfg_rule.priority) that finds anyone. A rule that finds two or more
-- people leaves the account unlinked and ambiguous. A name match alone never links (low confidence:
-- the names are kept as candidates for the person who investigates).
WITH acct AS (
    SELECT
        a.snapshot_id, a.app, a.account_id, a.user_name, text_key(a.user_name) AS user_name_key,
        coalesce(a.active, true) AS active
    FROM account AS a
    JOIN run_app AS r ON r.snapshot_id = a.snapshot_id
),
matched AS (
    SELECT
        k.app,
        k.account_id,
        h.employee_id,
        CASE WHEN h.sub = 1 THEN 'email_history' ELSE k.rule END AS rule,
        c.priority * 10 + h.sub AS priority,
        k.raw IS NOT DISTINCT FROM h.raw AS exact
    FROM account_key AS k
    JOIN hr_key AS h ON h.rule = k.rule AND h.key = k.key
    JOIN cfg_rule AS c ON c.rule = k.rule
),
strong AS (
    SELECT * FROM matched WHERE rule <> 'name'
),
best AS (
    SELECT app, account_id, min(priority) AS priority
    FROM strong
    GROUP BY app, account_id
),
decided AS (
    SELECT
        s.app,
        s.account_id,
        min(s.rule) AS rule,
        list_sort(list(DISTINCT s.employee_id)) AS candidates,
        bool_or(s.exact) AS exact
    FROM strong AS s
    JOIN best AS b ON b.app = s.app AND b.account_id = s.account_id AND b.priority = s.priority
    GROUP BY s.app, s.account_id
),
disagreeing AS (
    SELECT s.app, s.account_id, list_sort(list(DISTINCT s.employee_id)) AS others
    FROM strong AS s
    JOIN decided AS d ON d.app = s.app AND d.account_id = s.account_id
    WHERE NOT list_contains(d.candidates, s.employee_id)
    GROUP BY s.app, s.account_id
),
name_only AS (
    SELECT app, account_id, list_sort(list(DISTINCT employee_id)) AS candidates
    FROM matched
    WHERE rule = 'name'
    GROUP BY app, account_id
),
override AS (
    SELECT app, account_id, line_no, action, person_id, owner_resolved, reason
    FROM override_match
    WHERE status = 'applied'
),
declared AS (
    SELECT DISTINCT a.app, a.account_id
    FROM cfg_service_account AS s
    JOIN acct AS a ON a.app = s.app AND a.user_name_key = s.user_name_key
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
        o.person_id AS override_person,
        o.owner_resolved,
        o.reason AS override_reason,
        s.account_id IS NOT NULL AS declared_service,
        d.rule AS decided_rule,
        d.candidates AS decided_candidates,
        d.exact,
        n.candidates AS name_candidates,
        g.others,
        l.expired_on,
        CASE
            WHEN o.action = 'link' THEN 'human'
            WHEN o.action = 'service' OR s.account_id IS NOT NULL THEN 'service'
            WHEN len(d.candidates) = 1 THEN 'human'
            ELSE 'unmatched'
        END AS account_type
    FROM acct AS a
    LEFT JOIN override AS o ON o.app = a.app AND o.account_id = a.account_id
    LEFT JOIN declared AS s ON s.app = a.app AND s.account_id = a.account_id
    LEFT JOIN decided AS d ON d.app = a.app AND d.account_id = a.account_id
    LEFT JOIN name_only AS n ON n.app = a.app AND n.account_id = a.account_id
    LEFT JOIN disagreeing AS g ON g.app = a.app AND g.account_id = a.account_id
    LEFT JOIN lapsed AS l ON l.app = a.app AND l.account_id = a.account_id
)
SELECT
    $run_id AS run_id,
    snapshot_id,
    app,
    account_id,
    user_name,
    active,
    CASE
        WHEN override_action = 'link' THEN override_person
        WHEN account_type = 'human' THEN decided_candidates[1]
    END AS employee_id,
    CASE
        WHEN override_action IS NOT NULL THEN 'override'
        WHEN declared_service THEN 'service_config'
        WHEN decided_rule IS NOT NULL THEN decided_rule
        WHEN name_candidates IS NOT NULL THEN 'name'
    END AS rule,
    CASE
        WHEN override_action IS NOT NULL OR declared_service THEN 'high'
        WHEN decided_rule IN ('external_id', 'employee_number') THEN 'high'
        WHEN decided_rule = 'email' AND exact THEN 'high'
        WHEN decided_rule IS NOT NULL THEN 'medium'
        WHEN name_candidates IS NOT NULL THEN 'low'
    END AS confidence,
    account_type,
    coalesce(account_type = 'unmatched' AND len(decided_candidates) > 1, false) AS ambiguous,
    CASE
        WHEN account_type <> 'unmatched' THEN NULL
        WHEN len(decided_candidates) > 1 THEN decided_candidates
        ELSE name_candidates
    END AS candidates,
    CASE WHEN override_action = 'service' THEN owner_resolved END AS service_owner,
    nullif(concat_ws('; ',
        CASE WHEN override_line IS NOT NULL
            THEN 'override line ' || override_line || ': ' || override_reason END,
        CASE WHEN account_type = 'human' AND others IS NOT NULL
            THEN 'other rules point to ' || array_to_string(others, ', ') END,
        CASE WHEN expired_on IS NOT NULL AND override_line IS NULL
            THEN 'override expired ' || expired_on END
    ), '') AS note
FROM typed
