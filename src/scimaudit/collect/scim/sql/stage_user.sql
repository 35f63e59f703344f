-- grain: one row per element of `Resources` in the User list pages of one page-archive file.
-- `problem` names what is wrong with a malformed resource (NULL when it is fine), so one bad
-- resource is reported by page and index instead of failing its page. Repeated ids (servers repeat
-- resources when the listing shifts under paging) are left to the primary key in load_account.sql.
-- Bodies are read straight from the archive file (Parquet); each page is parsed once, by
-- json_transform into the app's user shape (user_shape.py), instead of cutting out every resource
-- as text and parsing it again per field: ~40 % less CPU at 1M users. Attributes whose JSON type
-- matters arrive as JSON and are checked here. An element that is not an object transforms to an
-- all-NULL struct, so it is reported as having no id. Account rows point back at their source
-- (raw_seq, raw_index), where the resource as received, vendor extensions included, is kept.
-- Template: /*activity*/ is replaced by UserShape.activity_sql (quoted identifiers only).
-- Parameters: $archive_path, $user_shape, $active_as_string, and $activity_rest when the
-- activity expression reads a path inside a JSON capture.
CREATE OR REPLACE TEMP TABLE staged_user AS
WITH pages AS (
    SELECT seq, json_transform(decode(body), $user_shape).Resources AS resources
    FROM read_parquet($archive_path)
    WHERE resource_type = 'User' AND status_code = 200
),

items AS (
    SELECT seq, unnest(resources) AS r, unnest(range(len(resources))) AS idx
    FROM pages
),

typed AS (
    SELECT
        seq,
        idx,
        r,
        json_type(r.userName) AS user_name_type,
        json_type(r.active) AS active_type,
        json_type(r.emails) AS emails_type,
        json_type(r."urn:ietf:params:scim:schemas:extension:enterprise:2.0:User".manager)
            AS manager_type,
        CASE
            WHEN json_type(r.id) IN ('VARCHAR', 'BIGINT', 'UBIGINT')
                THEN nullif(json_extract_string(r.id, '$'), '')
        END AS id,
        lower(json_extract_string(r.active, '$')) AS active_text,
        CASE
            WHEN json_type(r.emails) = 'ARRAY'
                THEN json_transform(r.emails, '[{"value": "VARCHAR", "primary": "VARCHAR"}]')
        END AS email_list
    FROM items
)

SELECT
    seq,
    idx,
    id,
    CASE
        WHEN id IS NULL THEN 'id is missing or not a string (or the resource is not an object)'
        WHEN user_name_type IS DISTINCT FROM 'VARCHAR' THEN 'userName is missing or not a string'
        WHEN active_type = 'VARCHAR' AND NOT $active_as_string
            THEN 'active is the string "' || left(active_text, 20)
                || '", not a boolean (set active_as_string = true for this app)'
        WHEN active_type = 'VARCHAR' AND active_text NOT IN ('true', 'false')
            THEN 'active is neither true nor false'
        WHEN active_type NOT IN ('BOOLEAN', 'VARCHAR', 'NULL') THEN 'active is not a boolean'
        WHEN emails_type NOT IN ('ARRAY', 'NULL') THEN 'emails is not a list'
    END AS problem,
    json_extract_string(r.userName, '$') AS user_name,
    r.externalId AS external_id,
    r."urn:ietf:params:scim:schemas:extension:enterprise:2.0:User".employeeNumber
        AS employee_number,
    r.displayName AS display_name,
    r.name.givenName AS given_name,
    r.name.familyName AS family_name,
    list_filter(list_transform(email_list, lambda e: e.value), lambda v: v IS NOT NULL) AS emails,
    coalesce(
        list_filter(email_list, lambda e: lower(e."primary") = 'true' AND e.value IS NOT NULL)[1].value,
        list_filter(email_list, lambda e: e.value IS NOT NULL)[1].value
    ) AS primary_email,
    CASE active_text WHEN 'true' THEN true WHEN 'false' THEN false END AS active,
    r."urn:ietf:params:scim:schemas:extension:enterprise:2.0:User".department AS department,
    CASE manager_type
        WHEN 'OBJECT' THEN json_extract_string(
            r."urn:ietf:params:scim:schemas:extension:enterprise:2.0:User".manager, '$.value'
        )
        WHEN 'VARCHAR' THEN json_extract_string(
            r."urn:ietf:params:scim:schemas:extension:enterprise:2.0:User".manager, '$'
        )
    END AS manager_ref,
    try_cast(r.meta.created AS TIMESTAMPTZ) AS created,
    try_cast(r.meta.lastModified AS TIMESTAMPTZ) AS last_modified,
    try_cast(/*activity*/ AS TIMESTAMPTZ) AS last_activity,
    r.meta.version AS etag
FROM typed;
