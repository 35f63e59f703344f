-- grain: one row per finding in report_exceptions (rewritten in place): a finding whose access a
-- verified remediation operation removed (report_remediation, as of the period end) becomes
-- 'remediated', with the operation's requested -> applied -> verified times. Match preference:
-- planned for this finding_key (1); removed this account from this group (2); deactivated or
-- deleted this account (3). Among equals, the earliest verification wins (the first proof).
CREATE OR REPLACE TEMP TABLE report_exceptions AS
WITH verified AS (
    SELECT * FROM report_remediation WHERE state = 'verified'
),
candidates AS (
    SELECT e.finding_key, v.plan_id, v.seq, v.requested_at, v.applied_at, v.verified_at, 1 AS rank
    FROM report_exceptions AS e JOIN verified AS v ON v.finding_key = e.finding_key
    UNION ALL
    SELECT e.finding_key, v.plan_id, v.seq, v.requested_at, v.applied_at, v.verified_at, 2 AS rank
    FROM report_exceptions AS e
    JOIN verified AS v
        ON v.app = e.app AND v.account_id = e.account_id AND v.group_name = e.group_name
    WHERE v.action = 'remove_member'
    UNION ALL
    SELECT e.finding_key, v.plan_id, v.seq, v.requested_at, v.applied_at, v.verified_at, 3 AS rank
    FROM report_exceptions AS e
    JOIN verified AS v ON v.app = e.app AND v.account_id = e.account_id
    WHERE v.action IN ('deactivate', 'delete')
),
best AS (
    SELECT *
    FROM candidates
    QUALIFY row_number() OVER (
        PARTITION BY finding_key ORDER BY rank, verified_at, plan_id, seq
    ) = 1
)
SELECT
    e.* REPLACE (
        CASE WHEN b.finding_key IS NULL THEN e.status ELSE 'remediated' END AS status,
        coalesce(e.resolved_on, CAST(timezone('UTC', b.verified_at) AS DATE)) AS resolved_on
    ),
    b.plan_id AS remediation_plan_id,
    b.seq AS remediation_seq,
    b.requested_at AS remediation_requested_at,
    b.applied_at AS remediation_applied_at,
    b.verified_at AS remediation_verified_at
FROM report_exceptions AS e
LEFT JOIN best AS b ON b.finding_key = e.finding_key;
