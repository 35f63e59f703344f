-- grain: one row per (kind, status) and one per kind with status '*' (all statuses): the distinct
-- people with such an exception in report_exceptions. A person is the HR employee id; an account
-- tied to nobody counts as its own person (app + account id), a cross-app finding by its key.
SELECT kind,
       CASE WHEN grouping(status) = 1 THEN '*' ELSE status END AS status,
       count(DISTINCT coalesce(employee_id, app || ':' || account_id, finding_key)) AS people
FROM report_exceptions
GROUP BY GROUPING SETS ((kind, status), (kind))
ORDER BY ALL
