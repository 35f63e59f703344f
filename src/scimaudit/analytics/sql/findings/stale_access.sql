-- grain: one row per active account, in an app with an activity signal, with no sign-in within
-- stale_after_days, or never used and older than that (age from account creation or hire date)
WITH hit AS (
    SELECT
        s.*, l.snapshot_id, l.account_id, l.user_name, l.employee_id,
        date_diff('day', s.last_seen::DATE, $as_of::DATE) AS days_since_seen,
        date_diff('day', s.age_from, $as_of::DATE) AS age_days
    FROM assess_stale AS s
    JOIN link AS l ON l.k = s.k
    WHERE s.stale
)
SELECT
    'stale_access' AS kind,
    app,
    account_id,
    user_name,
    employee_id,
    CASE
        WHEN last_seen IS NOT NULL THEN concat(
            'no sign-in since ', last_seen::DATE, ' (', days_text(days_since_seen), '; threshold ',
            $stale_after_days, '); confirm the access is still needed'
        )
        ELSE concat(
            'never signed in; ', replace(age_from_field, '_', ' '), ' ', age_from, ' (',
            days_text(age_days), ' ago; threshold ', $stale_after_days,
            '); confirm the access is still needed'
        )
    END AS reason,
    json_object(
        'last_sign_in', last_seen,
        'days_since_sign_in', days_since_seen,
        'never_used', last_seen IS NULL,
        'age_from', age_from,
        'age_from_field', age_from_field,
        'stale_after_days', $stale_after_days
    ) AS evidence,
    list_filter([snapshot_id, $hr_snapshot_id, activity_snapshot_id], lambda x: x IS NOT NULL)
        AS snapshot_ids
FROM hit
