-- grain: one row: people of the run's HR snapshot who left in the period, by event type, plus
-- terminated people whose termination date HR did not give (their lag cannot be measured).
SELECT
    count(*) FILTER (
        WHERE termination_date BETWEEN $period_start AND $period_end
    ) AS terminations,
    count(*) FILTER (
        WHERE termination_date IS NULL AND worker_type = 'contractor'
          AND contract_end_date BETWEEN $period_start AND $period_end
    ) AS contract_ends,
    count(*) FILTER (
        WHERE status = 'terminated' AND termination_date IS NULL
    ) AS terminated_without_date
FROM employee
WHERE snapshot_id = $hr_snapshot_id;
