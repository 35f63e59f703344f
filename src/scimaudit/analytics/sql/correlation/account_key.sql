-- grain: one row per (account k, strong correlation rule, normalised key) for the accounts of the
-- analysed app snapshots (k = the account row's rowid: integer joins from here on). Email rows keep
-- the lower-case address as given (raw): stale access matches sign-in logins against it too. Keys:
-- externalId, enterprise employeeNumber, and every address the account offers (the primary email,
-- the other emails[].value, an email-shaped userName), lower case, normalised by plus-address
-- folding and domain aliases; raw keeps the address before normalisation (an exact match is high
-- confidence). Names are only tried for accounts no strong rule matched (name_match.sql).
WITH acct AS (
    SELECT
        a.rowid AS k,
        a.snapshot_id,
        text_key(a.external_id) AS external_key,
        text_key(a.employee_number) AS number_key,
        text_key(a.primary_email) AS primary_key,
        text_key(a.user_name) AS user_name_key,
        a.emails
    FROM account AS a
    JOIN run_app AS r ON r.snapshot_id = a.snapshot_id
),
email_raw AS (
    SELECT k, snapshot_id, primary_key AS raw FROM acct
    UNION ALL
    SELECT k, snapshot_id, raw
    FROM (SELECT k, snapshot_id, primary_key, text_key(unnest(emails)) AS raw FROM acct
        WHERE len(emails) > 1 OR primary_key IS NULL)
    WHERE raw IS DISTINCT FROM primary_key
    UNION ALL
    SELECT k, snapshot_id, user_name_key FROM acct
    WHERE contains(user_name_key, '@') AND user_name_key IS DISTINCT FROM primary_key
)
SELECT k, snapshot_id, 'external_id' AS rule, external_key AS key, NULL AS raw
FROM acct
WHERE external_key IS NOT NULL
UNION ALL
SELECT k, snapshot_id, 'employee_number', number_key, NULL
FROM acct
WHERE number_key IS NOT NULL
UNION ALL
SELECT
    r.k,
    r.snapshot_id,
    'email',
    CASE
        WHEN d.canonical IS NULL AND NOT ($fold_plus AND contains(r.raw, '+')) THEN r.raw
        ELSE email_local(r.raw, $fold_plus) || '@' || coalesce(d.canonical, email_domain(r.raw))
    END,
    r.raw
FROM email_raw AS r
LEFT JOIN cfg_domain_alias AS d ON d.alias = email_domain(r.raw)
WHERE contains(r.raw, '@')
