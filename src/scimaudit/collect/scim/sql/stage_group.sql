-- grain: one row per Group resource in one chunk (seq range): the elements of `Resources` of the
-- Group list pages when members come inline, or the body of each single-Group read
-- (GET /Groups/{id}) when they are fetched per group. `problem` names what is wrong with a
-- malformed resource; `copy_rank` = 1 marks the first copy of an id within the chunk.
-- Parameters: $snapshot_id, $first_seq, $last_seq, $from_list.
CREATE OR REPLACE TEMP TABLE staged_group AS
WITH pages AS (
    SELECT
        seq,
        CASE
            WHEN $from_list THEN json_extract(body, '$.Resources[*]')
            ELSE [body::JSON]
        END AS resources
    FROM raw_scim_page
    WHERE snapshot_id = $snapshot_id
      AND seq BETWEEN $first_seq AND $last_seq
      AND resource_type = 'Group'
      AND status_code = 200
      AND suffix(request_url, '/Groups') = $from_list
),

items AS (
    SELECT
        seq,
        unnest(resources) AS resource,
        generate_subscripts(resources, 1) - 1 AS idx
    FROM pages
),

parsed AS (
    SELECT
        seq,
        idx,
        json_type(resource) AS kind,
        json_transform(resource, '{
            "id": "JSON",
            "displayName": "JSON",
            "externalId": "VARCHAR",
            "members": "JSON",
            "meta": {"version": "VARCHAR"}
        }') AS r
    FROM items
),

typed AS (
    SELECT
        seq,
        idx,
        kind,
        r,
        CASE
            WHEN json_type(r.id) IN ('VARCHAR', 'BIGINT', 'UBIGINT')
                THEN nullif(json_extract_string(r.id, '$'), '')
        END AS id,
        CASE
            WHEN json_type(r.members) = 'ARRAY'
                THEN json_transform(r.members, '[{"value": "JSON", "type": "VARCHAR", "$ref": "VARCHAR"}]')
        END AS member_list
    FROM parsed
)

SELECT
    seq,
    idx,
    id,
    CASE
        WHEN kind IS DISTINCT FROM 'OBJECT' THEN 'resource is not a JSON object'
        WHEN id IS NULL THEN 'id is missing or not a string'
        WHEN json_type(r.displayName) IS DISTINCT FROM 'VARCHAR'
            THEN 'displayName is missing or not a string'
        WHEN r.members IS NOT NULL AND json_type(r.members) NOT IN ('ARRAY', 'NULL')
            THEN 'members is not a list'
        WHEN len(list_filter(member_list, lambda m: json_type(m.value) NOT IN ('VARCHAR', 'BIGINT', 'UBIGINT') OR m.value IS NULL)) > 0
            THEN 'a member has no value (member id)'
    END AS problem,
    json_extract_string(r.displayName, '$') AS display_name,
    r.externalId AS external_id,
    r.meta.version AS etag,
    list_transform(
        member_list,
        lambda m: {
            'account_id': json_extract_string(m.value, '$'),
            'member_type': CASE
                WHEN lower(m.type) = 'user' THEN 'User'
                WHEN lower(m.type) = 'group' THEN 'Group'
                WHEN m.type IS NOT NULL THEN m.type
                WHEN m."$ref" LIKE '%/Groups/%' THEN 'Group'
                WHEN m."$ref" LIKE '%/Users/%' THEN 'User'
            END
        }
    ) AS members,
    row_number() OVER (PARTITION BY id ORDER BY seq, idx) AS copy_rank
FROM typed;
