-- grain: one row per line of the overrides file: the account it names (by account id first, else
-- by case-insensitive userName), the person or owner it resolves to, and whether it applies on the
-- analysis date. When several applicable lines name one account the last line wins; the others are
-- 'superseded'. (acct is NOT MATERIALIZED: joined to the few override lines, each use reads only
-- what it needs, and with no overrides at all the account table is not read.)
WITH acct AS NOT MATERIALIZED (
    SELECT a.app, a.account_id, text_key(a.user_name) AS user_name_key
    FROM account AS a
    JOIN run_app AS r ON r.snapshot_id = a.snapshot_id
),
hit AS (
    SELECT o.line_no, a.account_id, 0 AS preference
    FROM cfg_override AS o
    JOIN acct AS a ON a.app = o.app AND a.account_id = o.account
    UNION ALL
    SELECT o.line_no, a.account_id, 1 AS preference
    FROM cfg_override AS o
    JOIN acct AS a ON a.app = o.app AND a.user_name_key = o.account_key
),
first_hit AS (
    SELECT line_no, arg_min(account_id, preference) AS account_id
    FROM hit
    GROUP BY line_no
),
-- an id of a rehired person's earlier employment names the person (employment.sql)
linked_person AS (
    SELECT o.line_no, j.person_id AS employee_id
    FROM cfg_override AS o
    JOIN employment AS j ON j.employee_key = o.employee_key
),
owner_by_id AS (
    SELECT o.line_no, j.person_id AS employee_id
    FROM cfg_override AS o
    JOIN employment AS j ON j.employee_key = o.owner_key
),
owner_by_email AS (
    SELECT o.line_no, any_value(p.employee_id) AS employee_id
    FROM cfg_override AS o
    JOIN person AS p ON p.email_key = o.owner_key
    GROUP BY o.line_no
),
judged AS (
    SELECT
        o.line_no, o.app, o.account, o.action, o.employee_id, o.owner, o.reason, o.expires,
        h.account_id,
        lp.employee_id AS person_id,
        coalesce(oi.employee_id, oe.employee_id, o.owner) AS owner_resolved,
        CASE
            WHEN o.expires < $as_of::DATE THEN 'expired'
            WHEN h.account_id IS NULL THEN 'no_such_account'
            WHEN o.action = 'link' AND lp.employee_id IS NULL THEN 'unknown_employee'
            ELSE 'applicable'
        END AS verdict
    FROM cfg_override AS o
    LEFT JOIN first_hit AS h ON h.line_no = o.line_no
    LEFT JOIN linked_person AS lp ON lp.line_no = o.line_no
    LEFT JOIN owner_by_id AS oi ON oi.line_no = o.line_no
    LEFT JOIN owner_by_email AS oe ON oe.line_no = o.line_no
)
SELECT
    line_no, app, account, action, employee_id, owner, reason, expires, account_id, person_id,
    owner_resolved,
    CASE
        WHEN verdict <> 'applicable' THEN verdict
        WHEN row_number() OVER (
            PARTITION BY app, account_id, verdict = 'applicable' ORDER BY line_no DESC
        ) = 1 THEN 'applied'
        ELSE 'superseded'
    END AS status
FROM judged
