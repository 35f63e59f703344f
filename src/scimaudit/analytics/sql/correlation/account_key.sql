-- grain: one row per (account k, strong correlation rule, normalised key) for the accounts of the
-- analysed app snapshots (k = the account row's rowid: integer joins from here on; rule_no = the
-- rule's integer code, macros.sql). Email rows keep the lower-case address as given (raw): stale
-- access matches sign-in logins against it too. Keys: externalId, enterprise employeeNumber, and
-- every address the account offers (the primary email, the other emails[].value, an email-shaped
-- userName), lower case, normalised by plus-address folding and domain aliases; raw keeps the
-- address before normalisation (an exact match is high confidence). Names are only tried for
-- accounts no strong rule matched (name_match.sql).
-- acct is NOT MATERIALIZED: each branch re-reads only the columns it needs from the (columnar)
-- account table, and cheap tests on the raw values (a raw '@', raw equality) skip the lower-casing
-- of values a branch would discard anyway; copying 2M accounts into a CTE once costs more.
WITH acct AS NOT MATERIALIZED (
    SELECT
        a.rowid AS k, a.snapshot_id, a.external_id, a.employee_number, a.primary_email,
        a.user_name, a.emails
    FROM account AS a
    JOIN run_app AS r ON r.snapshot_id = a.snapshot_id
),
email_raw AS (
    SELECT k, snapshot_id, text_key(primary_email) AS raw
    FROM acct
    WHERE contains(primary_email, '@')
    UNION ALL
    -- the other addresses: only when there are others, or no usable primary one
    SELECT k, snapshot_id, raw
    FROM (
        SELECT k, snapshot_id, text_key(primary_email) AS primary_key,
            text_key(unnest(emails)) AS raw
        FROM acct
        WHERE (len(emails) > 1 OR (len(emails) = 1 AND emails[1] IS DISTINCT FROM primary_email))
            AND (len(emails) > 1 OR text_key(primary_email) IS NULL)
    )
    WHERE contains(raw, '@') AND raw IS DISTINCT FROM primary_key
    UNION ALL
    SELECT k, snapshot_id, text_key(user_name)
    FROM acct
    WHERE contains(user_name, '@') AND user_name IS DISTINCT FROM primary_email
        AND text_key(user_name) IS DISTINCT FROM text_key(primary_email)
)
SELECT k, snapshot_id, rule_no('external_id') AS rule_no, text_key(external_id) AS key, NULL AS raw
FROM acct
WHERE external_id IS NOT NULL AND text_key(external_id) IS NOT NULL
UNION ALL
SELECT k, snapshot_id, rule_no('employee_number'), text_key(employee_number), NULL
FROM acct
WHERE employee_number IS NOT NULL AND text_key(employee_number) IS NOT NULL
UNION ALL
SELECT
    r.k,
    r.snapshot_id,
    rule_no('email'),
    CASE
        WHEN d.canonical IS NULL AND NOT ($fold_plus AND contains(r.raw, '+')) THEN r.raw
        ELSE email_local(r.raw, $fold_plus) || '@' || coalesce(d.canonical, email_domain(r.raw))
    END,
    r.raw
FROM email_raw AS r
LEFT JOIN cfg_domain_alias AS d ON d.alias = email_domain(r.raw)
