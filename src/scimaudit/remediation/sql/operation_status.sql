-- grain: one row per (plan operation, reason it was planned), plus one row per (exclusion, reason):
-- where each requested revocation stands: requested -> applied -> verified, or why it stopped.
-- Only executed runs count (dry runs change nothing); the latest outcome of each stage wins.
WITH apply_outcome AS (
    SELECT plan_id, seq, outcome, logged_at, detail
    FROM remediation_operation_log
    WHERE mode = 'execute'
      AND outcome IN ('applied', 'already_done', 'conflict', 'failed', 'refused')
    QUALIFY row_number() OVER (PARTITION BY plan_id, seq ORDER BY log_id DESC) = 1
),
verify_outcome AS (
    SELECT plan_id, seq, outcome, logged_at, detail, snapshot_id
    FROM remediation_operation_log
    WHERE outcome IN ('verified', 'still_present')
    QUALIFY row_number() OVER (PARTITION BY plan_id, seq ORDER BY log_id DESC) = 1
),
planned AS (
    SELECT
        p.plan_id, p.created_at AS requested_at, p.created_by AS requested_by,
        o.seq, o.app, o.action, o.account_id, o.user_name, o.group_name,
        s.source_kind, s.campaign_id, s.item_id, s.finding_key, s.finding_kind,
        a.outcome AS apply_outcome, a.logged_at AS applied_at,
        v.outcome AS verify_outcome, v.logged_at AS verified_at, v.snapshot_id AS verify_snapshot_id,
        coalesce(v.detail, a.detail) AS detail
    FROM remediation_plan AS p
    JOIN remediation_plan_operation AS o ON o.plan_id = p.plan_id
    JOIN remediation_operation_source AS s ON s.plan_id = o.plan_id AND s.seq = o.seq
    LEFT JOIN apply_outcome AS a ON a.plan_id = o.plan_id AND a.seq = o.seq
    LEFT JOIN verify_outcome AS v
        ON v.plan_id = o.plan_id AND v.seq = o.seq AND (a.logged_at IS NULL OR v.logged_at >= a.logged_at)
),
excluded AS (
    SELECT
        p.plan_id, p.created_at AS requested_at, p.created_by AS requested_by,
        NULL::INTEGER AS seq, x.app, NULL::VARCHAR AS action, x.account_id, x.user_name,
        x.group_name, x.source_kind, x.campaign_id, x.item_id, x.finding_key, x.finding_kind,
        NULL::VARCHAR AS apply_outcome, NULL::TIMESTAMPTZ AS applied_at,
        NULL::VARCHAR AS verify_outcome, NULL::TIMESTAMPTZ AS verified_at,
        NULL::BIGINT AS verify_snapshot_id, x.why AS detail
    FROM remediation_plan AS p
    JOIN remediation_plan_exclusion AS x ON x.plan_id = p.plan_id
)
SELECT *
FROM (SELECT * FROM planned UNION ALL SELECT * FROM excluded)
WHERE ($plan_id IS NULL OR plan_id = $plan_id)
  AND ($campaign_id IS NULL OR campaign_id = $campaign_id)
  AND ($app IS NULL OR app = $app)
ORDER BY requested_at, plan_id, seq NULLS LAST, app, user_name, group_name
