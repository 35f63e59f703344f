-- grain: one row per element of `Resources` in the User list pages of one page-archive file.
-- `problem` names what is wrong with a malformed resource (NULL when it is fine), so one bad
-- resource is reported by page and index instead of failing its page. Repeated ids (servers repeat
-- resources when the listing shifts under paging) are left to the primary key in load_account.sql.
-- Bodies are read straight from the page-archive file (Parquet) that holds this run of pages;
-- account rows point back at them (raw_seq, raw_index), so the resource as received, vendor
-- extensions included, is always one lookup away.
-- Cost, measured per 1000-user page: each body is parsed once to cut out its resources; each
-- resource is then read by three
-- path lists (types, string values, emails), which took ~20 % less CPU than one json_transform
-- into nested structs plus a dozen json_type/json_extract_string calls on JSON-typed fields.
-- Parameters: $archive_path, $active_as_string, $activity_path.
CREATE OR REPLACE TEMP TABLE staged_user AS
WITH pages AS (
    SELECT seq, json_extract(decode(body), '$.Resources[*]') AS resources
    FROM read_parquet($archive_path)
    WHERE resource_type = 'User' AND status_code = 200
),

items AS (
    SELECT seq, unnest(resources) AS resource, unnest(range(len(resources))) AS idx
    FROM pages
),

parsed AS (
    SELECT
        seq,
        idx,
        resource,
        json_type(resource, [
            '$', '$.id', '$.userName', '$.active', '$.emails',
            '$."urn:ietf:params:scim:schemas:extension:enterprise:2.0:User".manager'
        ]) AS t,
        json_extract_string(resource, [
            '$.id', '$.userName', '$.externalId', '$.displayName', '$.name.givenName',
            '$.name.familyName', '$.active', '$.meta.created', '$.meta.lastModified',
            '$.meta.version',
            '$."urn:ietf:params:scim:schemas:extension:enterprise:2.0:User".employeeNumber',
            '$."urn:ietf:params:scim:schemas:extension:enterprise:2.0:User".department',
            '$."urn:ietf:params:scim:schemas:extension:enterprise:2.0:User".manager',
            '$."urn:ietf:params:scim:schemas:extension:enterprise:2.0:User".manager.value'
        ]) AS f,
        json_transform(resource, '{"emails": [{"value": "VARCHAR", "primary": "VARCHAR"}]}').emails AS email_list
    FROM items
),

typed AS (
    SELECT
        *,
        CASE WHEN t[2] IN ('VARCHAR', 'BIGINT', 'UBIGINT') THEN nullif(f[1], '') END AS id,
        lower(f[7]) AS active_text
    FROM parsed
)

SELECT
    seq,
    idx,
    id,
    CASE
        WHEN t[1] IS DISTINCT FROM 'OBJECT' THEN 'resource is not a JSON object'
        WHEN id IS NULL THEN 'id is missing or not a string'
        WHEN t[3] IS DISTINCT FROM 'VARCHAR' THEN 'userName is missing or not a string'
        WHEN t[4] = 'VARCHAR' AND NOT $active_as_string
            THEN 'active is the string "' || left(active_text, 20)
                || '", not a boolean (set active_as_string = true for this app)'
        WHEN t[4] = 'VARCHAR' AND active_text NOT IN ('true', 'false')
            THEN 'active is neither true nor false'
        WHEN t[4] NOT IN ('BOOLEAN', 'VARCHAR', 'NULL') THEN 'active is not a boolean'
        WHEN t[5] NOT IN ('ARRAY', 'NULL') THEN 'emails is not a list'
    END AS problem,
    f[2] AS user_name,
    f[3] AS external_id,
    f[11] AS employee_number,
    f[4] AS display_name,
    f[5] AS given_name,
    f[6] AS family_name,
    list_filter(list_transform(email_list, lambda e: e.value), lambda v: v IS NOT NULL) AS emails,
    coalesce(
        list_filter(email_list, lambda e: lower(e."primary") = 'true' AND e.value IS NOT NULL)[1].value,
        list_filter(email_list, lambda e: e.value IS NOT NULL)[1].value
    ) AS primary_email,
    CASE active_text WHEN 'true' THEN true WHEN 'false' THEN false END AS active,
    f[12] AS department,
    CASE t[6] WHEN 'OBJECT' THEN f[14] WHEN 'VARCHAR' THEN f[13] END AS manager_ref,
    try_cast(f[8] AS TIMESTAMPTZ) AS created,
    try_cast(f[9] AS TIMESTAMPTZ) AS last_modified,
    CASE
        WHEN $activity_path IS NOT NULL
            THEN try_cast(json_extract_string(resource, $activity_path) AS TIMESTAMPTZ)
    END AS last_activity,
    f[10] AS etag
FROM typed;
