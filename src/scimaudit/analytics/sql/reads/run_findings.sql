-- grain: one row per finding of one analysis run ($run_id), with the person's name from that run's
-- HR snapshot and the finding's first/last seen dates; most severe first. Read by the dashboard's
-- Findings page.
SELECT f.severity, f.kind, f.app, f.user_name, f.account_id, f.employee_id,
       nullif(concat_ws(' ', e.first_name, e.last_name), '') AS person, f.group_name,
       f.status, f.reason, h.first_seen, h.last_seen, f.finding_key
FROM finding f
LEFT JOIN finding_history h ON h.finding_key = f.finding_key
LEFT JOIN analysis_run r ON r.run_id = f.run_id
LEFT JOIN employee e ON e.snapshot_id = r.hr_snapshot_id AND e.employee_id = f.employee_id
WHERE f.run_id = $run_id
ORDER BY CASE f.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END,
         f.kind, f.app, f.user_name
