-- grain: one row per (account, correlation rule, normalised key) for the accounts of the analysed
-- app snapshots. Emails come from every emails[].value, the primary email and an email-shaped
-- userName; names from name.givenName + name.familyName and from displayName.
WITH acct AS (
    SELECT
        a.app, a.account_id, a.external_id, a.employee_number, a.user_name, a.emails,
        a.primary_email, a.given_name, a.family_name, a.display_name
    FROM account AS a
    JOIN run_app AS r ON r.snapshot_id = a.snapshot_id
),
email_raw AS (
    SELECT app, account_id, text_key(unnest(emails)) AS raw FROM acct
    UNION ALL
    SELECT app, account_id, text_key(primary_email) FROM acct
    UNION ALL
    SELECT app, account_id, text_key(user_name) FROM acct
),
email_norm AS (
    SELECT
        r.app,
        r.account_id,
        r.raw,
        email_local(r.raw, $fold_plus) || '@' || coalesce(d.canonical, email_domain(r.raw)) AS key
    FROM email_raw AS r
    LEFT JOIN cfg_domain_alias AS d ON d.alias = email_domain(r.raw)
    WHERE contains(r.raw, '@')
),
name_raw AS (
    SELECT app, account_id, name_key(concat_ws(' ', given_name, family_name)) AS key
    FROM acct
    WHERE text_key(given_name) IS NOT NULL AND text_key(family_name) IS NOT NULL
    UNION ALL
    SELECT app, account_id, name_key(display_name) FROM acct
)
SELECT app, account_id, 'external_id' AS rule, text_key(external_id) AS key, NULL AS raw
FROM acct
WHERE text_key(external_id) IS NOT NULL
UNION ALL
SELECT app, account_id, 'employee_number', text_key(employee_number), NULL
FROM acct
WHERE text_key(employee_number) IS NOT NULL
UNION ALL
SELECT app, account_id, 'email', key, raw
FROM email_norm
UNION ALL
SELECT DISTINCT app, account_id, 'name', key, NULL
FROM name_raw
WHERE key IS NOT NULL
