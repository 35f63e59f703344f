-- Migration 004: remediation plans (immutable once written), the operations they contain, what each
-- operation was asked for by, the apply/verify runs, and the append-only, hash-chained operation log.

-- grain: one row per remediation plan; never updated after insert (its sha256 covers canonical_json)
CREATE TABLE remediation_plan (
    plan_id         VARCHAR PRIMARY KEY,      -- 'rp-' + first 12 hex of sha256
    created_at      TIMESTAMPTZ NOT NULL,
    created_by      VARCHAR NOT NULL,         -- actor who made the plan
    sha256          VARCHAR NOT NULL,         -- SHA-256 of canonical_json (what a reviewer approves)
    canonical_json  VARCHAR NOT NULL,         -- the plan document: sorted keys, no whitespace, UTF-8
    sources         JSON NOT NULL,            -- {"campaign_id": .., "finding_kinds": [..], "analysis_run_id": ..}
    snapshot_ids    JSON NOT NULL,            -- {"chat": 12, ...}: app snapshot each app's operations came from
    op_count        INTEGER NOT NULL,
    excluded_count  INTEGER NOT NULL          -- revocations left out (break-glass, already gone, ...)
);

-- grain: one row per SCIM operation per plan (seq is the execution order within the plan)
CREATE TABLE remediation_plan_operation (
    plan_id                 VARCHAR NOT NULL,
    seq                     INTEGER NOT NULL,
    app                     VARCHAR NOT NULL,
    action                  VARCHAR NOT NULL CHECK (action IN ('remove_member', 'deactivate', 'delete')),
    resource_type           VARCHAR NOT NULL CHECK (resource_type IN ('User', 'Group')),
    resource_id             VARCHAR NOT NULL,  -- the resource the request writes (group id or user id)
    account_id              VARCHAR NOT NULL,  -- the account losing access
    user_name               VARCHAR,
    group_id                VARCHAR,
    group_name              VARCHAR,
    method                  VARCHAR NOT NULL CHECK (method IN ('PATCH', 'DELETE')),
    path                    VARCHAR NOT NULL,  -- relative to the app's SCIM base URL
    body                    JSON,              -- PatchOp body (RFC 7644 §3.5.2) or NULL for DELETE
    snapshot_id             BIGINT NOT NULL,
    expected_etag           VARCHAR,           -- meta.version in the snapshot (RFC 7644 §3.14)
    expected_last_modified  VARCHAR,           -- meta.lastModified in the snapshot (servers without ETags)
    PRIMARY KEY (plan_id, seq)
);

-- grain: one row per (plan operation, reason it was planned): a campaign decision or a finding
CREATE TABLE remediation_operation_source (
    plan_id       VARCHAR NOT NULL,
    seq           INTEGER NOT NULL,
    source_kind   VARCHAR NOT NULL CHECK (source_kind IN ('campaign', 'finding')),
    campaign_id   BIGINT,                    -- campaign the revoke decision belongs to
    item_id       BIGINT,                    -- the campaign item decided "revoke"
    finding_key   VARCHAR,                   -- finding.finding_key
    finding_kind  VARCHAR,
    reason        VARCHAR,                   -- the reviewer's reason or the finding's one-line reason
    decided_by    VARCHAR                    -- reviewer (campaign) or NULL
);

-- grain: one row per (requested revocation the plan left out, reason it was asked for)
CREATE TABLE remediation_plan_exclusion (
    plan_id       VARCHAR NOT NULL,
    app           VARCHAR NOT NULL,
    account_id    VARCHAR NOT NULL,
    user_name     VARCHAR,
    group_name    VARCHAR,
    why           VARCHAR NOT NULL,          -- break-glass, decision not final, already removed, ...
    source_kind   VARCHAR NOT NULL CHECK (source_kind IN ('campaign', 'finding')),
    campaign_id   BIGINT,
    item_id       BIGINT,
    finding_key   VARCHAR,
    finding_kind  VARCHAR,
    reason        VARCHAR,
    decided_by    VARCHAR
);

-- grain: one row per apply or verify run of a plan
CREATE SEQUENCE remediation_run_id_seq START 1;
CREATE TABLE remediation_run (
    run_id       BIGINT PRIMARY KEY DEFAULT nextval('remediation_run_id_seq'),
    plan_id      VARCHAR NOT NULL,
    kind         VARCHAR NOT NULL CHECK (kind IN ('apply', 'verify')),
    mode         VARCHAR NOT NULL CHECK (mode IN ('dry_run', 'execute')),
    actor        VARCHAR NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ,
    status       VARCHAR NOT NULL CHECK (status IN ('running', 'complete', 'failed', 'refused')),
    summary      JSON                        -- counts per outcome; the refusal or failure reason
);

-- grain: one row per outcome of one plan operation in one run; INSERT only (never UPDATE/DELETE).
-- record_sha256 = sha256(prev_sha256 | canonical JSON of the row's other fields): any edit breaks the chain.
CREATE SEQUENCE remediation_log_id_seq START 1;
CREATE TABLE remediation_operation_log (
    log_id            BIGINT PRIMARY KEY DEFAULT nextval('remediation_log_id_seq'),
    run_id            BIGINT NOT NULL,
    plan_id           VARCHAR NOT NULL,
    seq               INTEGER NOT NULL,
    app               VARCHAR NOT NULL,
    mode              VARCHAR NOT NULL CHECK (mode IN ('dry_run', 'execute')),
    outcome           VARCHAR NOT NULL CHECK (outcome IN (
                          'applied', 'already_done', 'conflict', 'failed', 'refused',
                          'would_apply', 'verified', 'still_present')),
    precondition      VARCHAR,                -- etag | last_modified | state_only
    method            VARCHAR,                -- request sent (NULL when no write was sent)
    url               VARCHAR,                -- full URL, never credentials
    request_body      JSON,
    if_match          VARCHAR,
    response_status   INTEGER,
    response_etag     VARCHAR,
    detail            VARCHAR,                -- why: SCIM error detail, conflict reason, verify evidence
    attempts          INTEGER,                -- HTTP attempts including retries
    snapshot_id       BIGINT,                 -- verify: the snapshot that proved the outcome
    actor             VARCHAR NOT NULL,
    logged_at         TIMESTAMPTZ NOT NULL,
    prev_sha256       VARCHAR NOT NULL,
    record_sha256     VARCHAR NOT NULL
);
