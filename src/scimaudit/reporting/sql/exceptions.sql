-- grain: one row per finding in the report's scope: open or risk-accepted in the run ($run_id), or
-- remediated during the period (no longer found by a run up to $as_of). Raw values: the CSV export
-- applies csv_safe, the PDF escapes through the template engine.
CREATE OR REPLACE TEMP TABLE report_exceptions AS
WITH privileged AS (
    SELECT DISTINCT app, account_id
    FROM finding
    WHERE run_id = $run_id AND kind = 'privileged_account'
),
current_findings AS (
    SELECT
        f.finding_key, f.kind, f.app, f.account_id, f.user_name, f.employee_id, f.group_name,
        f.severity, f.reason, f.evidence::VARCHAR AS evidence,
        CASE f.status WHEN 'exempted' THEN 'risk-accepted' ELSE 'open' END AS status,
        f.exemption ->> 'owner' AS approver,
        f.exemption ->> 'expires' AS expires,
        f.exemption ->> 'reason' AS acceptance_reason,
        CAST(NULL AS DATE) AS resolved_on,
        h.first_seen AS first_detected,
        f.snapshot_ids
    FROM finding AS f
    LEFT JOIN finding_history AS h ON h.finding_key = f.finding_key
    WHERE f.run_id = $run_id
),
remediated AS (
    SELECT
        f.finding_key, f.kind, f.app, f.account_id, f.user_name, f.employee_id, f.group_name,
        f.severity, f.reason, f.evidence::VARCHAR AS evidence,
        'remediated' AS status,
        NULL AS approver, NULL AS expires, NULL AS acceptance_reason,
        h.resolved_on,
        h.first_seen AS first_detected,
        f.snapshot_ids
    FROM finding_history AS h
    JOIN finding AS f ON f.run_id = h.last_run_id AND f.finding_key = h.finding_key
    WHERE h.resolved_on BETWEEN $period_start AND $as_of
      AND h.finding_key NOT IN (SELECT finding_key FROM finding WHERE run_id = $run_id)
),
scoped AS (
    SELECT * FROM current_findings
    UNION ALL
    SELECT * FROM remediated
)
SELECT
    s.*,
    nullif(concat_ws(' ', e.first_name, e.last_name), '') AS person_name
FROM scoped AS s
LEFT JOIN employee AS e ON e.snapshot_id = $hr_snapshot_id AND e.employee_id = s.employee_id
WHERE list_contains($kinds, s.kind)
  AND (s.app IS NULL OR list_contains($apps, s.app))
  AND (
      NOT $privileged_only
      OR s.kind = 'sod_conflict'
      OR EXISTS (
          SELECT 1 FROM privileged AS p WHERE p.app = s.app AND p.account_id = s.account_id
      )
  );
