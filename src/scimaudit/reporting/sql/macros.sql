-- grain: none; session macros shared by the report queries (temporary, so a read-only store works).
-- csv_safe: OWASP CSV-injection defence, the same rule as scimaudit.output.csv_safe: a text value a
-- spreadsheet would run as a formula (leading = + - @ TAB CR) gets a leading apostrophe.
CREATE OR REPLACE TEMP MACRO csv_safe(x) AS
    CASE WHEN left(x, 1) IN ('=', '+', '-', '@', chr(9), chr(13)) THEN '''' || x ELSE x END;
CREATE OR REPLACE TEMP MACRO severity_rank(s) AS
    CASE s WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END;
