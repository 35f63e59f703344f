-- grain: one row per finding of this run: its stable key (sha256 of kind|app|account_id|detail), the
-- kind's default severity where the query set none, and its exemption. An exemption matches on kind,
-- app ('*' for a finding with no app) and account (account id, userName or person id, any case),
-- and on group when it names one; an unexpired match makes the finding 'exempted', an expired one
-- leaves it 'open' with the lapsed exemption shown.
WITH f AS (
    SELECT
        n.*,
        sha256(concat_ws('|', n.kind, coalesce(n.app, ''), coalesce(n.account_id, ''),
            coalesce(n.detail, ''))) AS finding_key,
        coalesce(n.app, '*') AS app_key
    FROM finding_new AS n
),
exemption_hit AS (
    SELECT f.finding_key, f.group_name, e.*
    FROM f JOIN cfg_exemption AS e
        ON e.kind = f.kind AND e.app = f.app_key AND e.account_key = lower(f.account_id)
    UNION ALL
    SELECT f.finding_key, f.group_name, e.*
    FROM f JOIN cfg_exemption AS e
        ON e.kind = f.kind AND e.app = f.app_key AND e.account_key = lower(f.user_name)
    UNION ALL
    SELECT f.finding_key, f.group_name, e.*
    FROM f JOIN cfg_exemption AS e
        ON e.kind = f.kind AND e.app = f.app_key AND e.account_key = lower(f.employee_id)
),
exemption AS (
    SELECT
        finding_key,
        arg_max(
            json_object(
                'owner', owner, 'reason', reason, 'expires', expires,
                'expired', expires < $as_of::DATE, 'config_index', config_index
            ),
            expires
        ) AS exemption,
        max(expires) >= $as_of::DATE AS in_force
    FROM exemption_hit
    WHERE group_key IS NULL OR group_key = lower(group_name)
    GROUP BY finding_key
)
SELECT
    $run_id AS run_id,
    f.finding_key,
    f.kind,
    f.app,
    f.account_id,
    f.user_name,
    f.employee_id,
    f.group_name,
    f.detail,
    coalesce(f.severity, k.severity) AS severity,
    translate(f.reason, chr(13) || chr(10) || chr(9), '   ') AS reason,
    f.evidence,
    f.snapshot_ids,
    CASE WHEN coalesce(x.in_force, false) THEN 'exempted' ELSE 'open' END AS status,
    x.exemption
FROM f
JOIN cfg_kind AS k ON k.kind = f.kind
LEFT JOIN exemption AS x ON x.finding_key = f.finding_key
