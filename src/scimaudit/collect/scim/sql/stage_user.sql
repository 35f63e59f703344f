-- grain: one row per element of `Resources` in the User list pages of one chunk (seq range).
-- Each resource is parsed once (json_transform) into what the account table needs; `problem`
-- names what is wrong with a malformed resource (NULL when it is fine), so one bad resource is
-- reported by page and index instead of failing its page. Repeated ids (servers repeat resources
-- when the listing shifts under paging) are left to the primary key in load_account.sql.
-- Parameters: $snapshot_id, $first_seq, $last_seq, $active_as_string, $activity_path.
CREATE OR REPLACE TEMP TABLE staged_user AS
WITH pages AS (
    SELECT seq, body
    FROM raw_scim_page
    WHERE snapshot_id = $snapshot_id
      AND seq BETWEEN $first_seq AND $last_seq
      AND resource_type = 'User'
      AND status_code = 200
),

-- Each body is parsed twice, both times by DuckDB's C++ JSON reader: once for the resources'
-- text (kept in account.resource, vendor extensions included) and once into typed fields. The two
-- lists have the same length and are unnested side by side.
lists AS (
    SELECT
        seq,
        json_extract(body, '$.Resources[*]') AS resources,
        json_transform(body, '{"Resources": [{
            "id": "JSON",
            "userName": "JSON",
            "externalId": "VARCHAR",
            "displayName": "VARCHAR",
            "name": {"givenName": "VARCHAR", "familyName": "VARCHAR"},
            "active": "JSON",
            "emails": "JSON",
            "meta": {"created": "VARCHAR", "lastModified": "VARCHAR", "version": "VARCHAR"},
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                "employeeNumber": "VARCHAR", "department": "VARCHAR", "manager": "JSON"
            }
        }]}').Resources AS typed
    FROM pages
),

parsed AS (
    SELECT
        seq,
        unnest(resources) AS resource,
        unnest(typed) AS r,
        unnest(range(len(resources))) AS idx
    FROM lists
),

typed AS (
    SELECT
        seq,
        idx,
        resource,
        CASE WHEN starts_with(resource::VARCHAR, '{') THEN 'OBJECT' END AS kind,
        r,
        r."urn:ietf:params:scim:schemas:extension:enterprise:2.0:User" AS ent,
        CASE
            WHEN json_type(r.id) IN ('VARCHAR', 'BIGINT', 'UBIGINT')
                THEN nullif(json_extract_string(r.id, '$'), '')
        END AS id,
        json_type(r.active) AS active_type,
        lower(json_extract_string(r.active, '$')) AS active_text,
        CASE
            WHEN json_type(r.emails) = 'ARRAY'
                THEN json_transform(r.emails, '[{"value": "VARCHAR", "primary": "VARCHAR"}]')
        END AS email_list
    FROM parsed
)

SELECT
    seq,
    idx,
    id,
    CASE
        WHEN kind IS DISTINCT FROM 'OBJECT' THEN 'resource is not a JSON object'
        WHEN id IS NULL THEN 'id is missing or not a string'
        WHEN json_type(r.userName) IS DISTINCT FROM 'VARCHAR' THEN 'userName is missing or not a string'
        WHEN active_type = 'VARCHAR' AND NOT $active_as_string
            THEN 'active is the string "' || left(active_text, 20)
                || '", not a boolean (set active_as_string = true for this app)'
        WHEN active_type = 'VARCHAR' AND active_text NOT IN ('true', 'false')
            THEN 'active is neither true nor false'
        WHEN active_type NOT IN ('BOOLEAN', 'VARCHAR', 'NULL') THEN 'active is not a boolean'
        WHEN r.emails IS NOT NULL AND json_type(r.emails) NOT IN ('ARRAY', 'NULL')
            THEN 'emails is not a list'
    END AS problem,
    json_extract_string(r.userName, '$') AS user_name,
    r.externalId AS external_id,
    ent.employeeNumber AS employee_number,
    r.displayName AS display_name,
    r.name.givenName AS given_name,
    r.name.familyName AS family_name,
    list_filter(list_transform(email_list, lambda e: e.value), lambda v: v IS NOT NULL) AS emails,
    coalesce(
        list_filter(email_list, lambda e: lower(e."primary") = 'true' AND e.value IS NOT NULL)[1].value,
        list_filter(email_list, lambda e: e.value IS NOT NULL)[1].value
    ) AS primary_email,
    CASE active_text WHEN 'true' THEN true WHEN 'false' THEN false END AS active,
    ent.department AS department,
    coalesce(
        json_extract_string(ent.manager, '$.value'),
        CASE WHEN json_type(ent.manager) = 'VARCHAR' THEN json_extract_string(ent.manager, '$') END
    ) AS manager_ref,
    try_cast(r.meta.created AS TIMESTAMPTZ) AS created,
    try_cast(r.meta.lastModified AS TIMESTAMPTZ) AS last_modified,
    CASE
        WHEN $activity_path IS NOT NULL
            THEN try_cast(json_extract_string(resource, $activity_path) AS TIMESTAMPTZ)
    END AS last_activity,
    r.meta.version AS etag,
    resource
FROM typed;
