-- grain: one row per account of the analysed apps (active says whether staleness applies: only
-- active accounts are tested): its latest sign-in (from the activity exports, see signin.sql, and
-- the app's activity attribute), the date its age is measured from, and whether staleness can be
-- judged at all. An app with no activity export rows, no configured activity attribute and no
-- activity values has no signal: every account in it is not assessable (never "stale"). A NULL
-- last_seen in an export means "never signed in". Kept narrow: the account's names and snapshot
-- come from link, by k, and the day counts are computed, for the stale rows only. Inactive
-- accounts are kept rather than filtered out: DuckDB guesses 20% of rows for a filter it cannot
-- estimate and would then build its join table on 1.9M accounts instead of on 1.4M sign-ins.
WITH signal_app AS (
    SELECT DISTINCT x.app FROM activity AS x JOIN run_activity AS r ON r.snapshot_id = x.snapshot_id
    UNION
    SELECT app FROM cfg_activity_app
    UNION
    SELECT DISTINCT app FROM link WHERE last_activity IS NOT NULL
),
judged AS (
    SELECT
        a.k, a.app, a.active,
        greatest(s.last_seen, a.last_activity) AS last_seen,
        s.snapshot_id AS activity_snapshot_id,
        CASE
            WHEN $never_used_since = 'hire_date' THEN coalesce(a.hire_date, a.created_on)
            ELSE coalesce(a.created_on, a.hire_date)
        END AS age_from,
        CASE
            WHEN $never_used_since = 'hire_date' AND a.hire_date IS NOT NULL THEN 'hire_date'
            WHEN a.created_on IS NOT NULL THEN 'account_created'
            WHEN a.hire_date IS NOT NULL THEN 'hire_date'
        END AS age_from_field,
        g.app IS NOT NULL AS app_has_signal
    FROM (
        SELECT l.k, l.app, l.active, l.created::DATE AS created_on,
            l.last_activity, p.hire_date
        FROM link AS l
        LEFT JOIN person AS p ON p.pidx = l.pidx
    ) AS a
    LEFT JOIN signin AS s ON s.k = a.k
    LEFT JOIN signal_app AS g ON g.app = a.app
)
SELECT
    *,
    app_has_signal AND (last_seen IS NOT NULL OR age_from IS NOT NULL) AS assessable,
    active AND app_has_signal AND coalesce(
        last_seen::DATE < $as_of::DATE - $stale_after_days::INTEGER,
        age_from < $as_of::DATE - $stale_after_days::INTEGER,
        false
    ) AS stale
FROM judged
