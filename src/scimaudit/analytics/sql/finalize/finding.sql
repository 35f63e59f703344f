-- grain: one row per finding of this run: its stable key (sha256 of kind|app|account_id|detail), the
-- kind's default severity where the query set none, and its exemption. An exemption matches on kind,
-- app ('*' for a finding with no app) and account (account id, userName or person id, any case),
-- and on group when it names one; an unexpired match makes the finding 'exempted', an expired one
-- leaves it 'open' with the lapsed exemption shown. (n.rowid identifies a new finding row.)
WITH exemption_hit AS (
    SELECT n.rowid AS rid, n.group_name, e.*
    FROM finding_new AS n
    JOIN cfg_exemption AS e
        ON e.kind = n.kind AND e.app = coalesce(n.app, '*') AND e.account_key = lower(n.account_id)
    UNION ALL
    SELECT n.rowid AS rid, n.group_name, e.*
    FROM finding_new AS n
    JOIN cfg_exemption AS e
        ON e.kind = n.kind AND e.app = coalesce(n.app, '*') AND e.account_key = lower(n.user_name)
    UNION ALL
    SELECT n.rowid AS rid, n.group_name, e.*
    FROM finding_new AS n
    JOIN cfg_exemption AS e
        ON e.kind = n.kind AND e.app = coalesce(n.app, '*')
        AND e.account_key = lower(n.employee_id)
),
exemption AS (
    SELECT
        rid,
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
    GROUP BY rid
)
SELECT
    $run_id AS run_id,
    sha256(concat_ws('|', n.kind, coalesce(n.app, ''), coalesce(n.account_id, ''),
        coalesce(n.detail, ''))) AS finding_key,
    n.kind,
    n.app,
    n.account_id,
    n.user_name,
    n.employee_id,
    n.group_name,
    n.detail,
    coalesce(n.severity, k.severity) AS severity,
    replace(replace(replace(n.reason, chr(13), ' '), chr(10), ' '), chr(9), ' ') AS reason,
    n.evidence,
    n.snapshot_ids,
    CASE WHEN coalesce(x.in_force, false) THEN 'exempted' ELSE 'open' END AS status,
    x.exemption
FROM finding_new AS n
JOIN cfg_kind AS k ON k.kind = n.kind
LEFT JOIN exemption AS x ON x.rid = n.rowid
