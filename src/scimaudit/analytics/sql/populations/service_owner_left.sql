-- grain: one row per analysed app: active declared service accounts with a named owner (tested) and
-- without one (not assessable: no owner to check)
WITH tested AS (
    SELECT
        app,
        count(*) FILTER (WHERE service_owner IS NOT NULL) AS n,
        count(*) FILTER (WHERE service_owner IS NULL) AS unowned
    FROM link
    WHERE active AND account_type = 'service'
    GROUP BY app
)
SELECT
    'service_owner_left' AS kind, r.app, coalesce(t.n, 0) AS tested,
    coalesce(t.unowned, 0) AS not_assessable, 'account' AS unit,
    CASE
        WHEN coalesce(t.unowned, 0) > 0
            THEN 'active service accounts; those declared without an owner cannot be checked'
        ELSE 'active service accounts with a named owner'
    END AS note
FROM run_app AS r
LEFT JOIN tested AS t ON t.app = r.app
