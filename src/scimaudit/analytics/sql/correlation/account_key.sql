-- grain: one row per (account k, strong correlation rule, normalised key): externalId,
-- enterprise employeeNumber, and every email-shaped value the account offers (emails[].value, the
-- primary email, an email-shaped userName) normalised by plus-address folding and domain aliases;
-- raw keeps the address before normalisation (an exact match is high confidence). Names are not
-- keyed here: they are only tried for accounts no strong rule matched (name_match.sql).
WITH email_raw AS (
    SELECT k, text_key(unnest(emails)) AS raw FROM acct
    UNION ALL
    SELECT k, primary_email_key FROM acct WHERE primary_email_key IS NOT NULL
    UNION ALL
    SELECT k, user_name_key FROM acct WHERE contains(user_name_key, '@')
)
SELECT k, 'external_id' AS rule, external_key AS key, NULL AS raw
FROM acct
WHERE external_key IS NOT NULL
UNION ALL
SELECT k, 'employee_number', number_key, NULL
FROM acct
WHERE number_key IS NOT NULL
UNION ALL
SELECT
    r.k,
    'email',
    email_local(r.raw, $fold_plus) || '@' || coalesce(d.canonical, email_domain(r.raw)),
    r.raw
FROM email_raw AS r
LEFT JOIN cfg_domain_alias AS d ON d.alias = email_domain(r.raw)
WHERE contains(r.raw, '@')
