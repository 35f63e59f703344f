-- Temporary macros shared by the analysis queries (one definition of "normalised").
-- Executed once per connection before a run; they live in the connection's temp schema.

-- a comparable text key: trimmed, lower case, NULL when empty (trim only when needed: it is the
-- costly part on millions of values)
CREATE OR REPLACE TEMP MACRO text_key(s) AS nullif(lower(
    CASE WHEN starts_with(s, ' ') OR ends_with(s, ' ') THEN trim(s) ELSE s END), '');

-- the local part of a lower-cased address, with "+tag" removed when fold is true (RFC 5233 subaddress)
CREATE OR REPLACE TEMP MACRO email_local(raw, fold) AS
    CASE WHEN fold THEN split_part(split_part(raw, '@', 1), '+', 1) ELSE split_part(raw, '@', 1) END;

-- the domain of a lower-cased address
CREATE OR REPLACE TEMP MACRO email_domain(raw) AS split_part(raw, '@', 2);

-- a display name as a comparable "first last" key: lower case, inner whitespace collapsed
CREATE OR REPLACE TEMP MACRO name_key(s) AS nullif(regexp_replace(lower(trim(s)), '\s+', ' ', 'g'), '');

-- "1 day" / "3 days"
CREATE OR REPLACE TEMP MACRO days_text(n) AS n || CASE WHEN n = 1 OR n = -1 THEN ' day' ELSE ' days' END;

-- the integer code of a correlation rule: account_key and hr_key are joined on (rule_no, key), an
-- integer comparison instead of a string one on 3.4M keys (constant-folded: it costs nothing)
CREATE OR REPLACE TEMP MACRO rule_no(rule) AS
    CASE rule WHEN 'external_id' THEN 0 WHEN 'employee_number' THEN 1 WHEN 'email' THEN 2
        WHEN 'name' THEN 3 END::UTINYINT;
