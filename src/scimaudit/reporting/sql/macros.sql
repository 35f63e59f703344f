-- grain: none; session macros shared by the report queries (temporary, so a read-only store works).
-- csv_safe: OWASP CSV-injection defence, the same rule as scimaudit.output.csv_safe: a text value a
-- spreadsheet would run as a formula (leading = + - @ TAB CR) gets a leading apostrophe.
CREATE OR REPLACE TEMP MACRO csv_safe(x) AS
    CASE WHEN left(x, 1) IN ('=', '+', '-', '@', chr(9), chr(13)) THEN '''' || x ELSE x END;
CREATE OR REPLACE TEMP MACRO severity_rank(s) AS
    CASE s WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END;
-- period_leavers: the HR leavers of a period, one definition for leaver_rows.sql (leavers.csv) and
-- leaver_brackets.sql (removal timing): people of the HR snapshot whose termination date (or, for
-- contractors without one, contract end date) falls in the period. leaver_count.sql counts them
-- by its own query, so the reconciliation of leavers.csv to HR is not checked against itself.
CREATE OR REPLACE TEMP MACRO period_leavers(hr_snapshot, period_start, period_end) AS TABLE
    SELECT
        employee_id,
        nullif(concat_ws(' ', first_name, last_name), '') AS person_name,
        worker_type,
        CASE WHEN termination_date IS NOT NULL THEN 'termination' ELSE 'contract end' END AS event,
        coalesce(termination_date, contract_end_date) AS event_date
    FROM employee
    WHERE snapshot_id = hr_snapshot
      AND coalesce(
          termination_date,
          CASE WHEN worker_type = 'contractor' THEN contract_end_date END
      ) BETWEEN period_start AND period_end;
