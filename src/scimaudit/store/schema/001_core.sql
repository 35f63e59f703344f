-- Migration 001: snapshot registry, append-only raw landing tables, and the core tables
-- staged from them. Every derived row carries the snapshot_id it came from.

-- grain: one row per collection run per source (an app, the HR export, an activity export)
CREATE SEQUENCE snapshot_id_seq START 1;
CREATE TABLE snapshot (
    snapshot_id   BIGINT PRIMARY KEY DEFAULT nextval('snapshot_id_seq'),
    source_kind   VARCHAR NOT NULL CHECK (source_kind IN ('app', 'hr', 'activity')),
    source_name   VARCHAR NOT NULL,           -- app name, 'hr', or the activity export's name
    status        VARCHAR NOT NULL CHECK (status IN ('running', 'complete', 'failed')),
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ,
    as_of         TIMESTAMPTZ NOT NULL,       -- the moment the data describes (start of pull / file date)
    location      VARCHAR,                    -- endpoint URL or file path (never credentials)
    counts        JSON,                       -- e.g. {"users": n, "groups": n, "memberships": n}
    sha256        VARCHAR,                    -- over the raw bytes received, in order
    completeness  JSON,                       -- the completeness record (collector) / import record (HR)
    error         VARCHAR,                    -- why it failed, one line
    tool_version  VARCHAR NOT NULL,
    runner_pid    INTEGER                     -- process that ran it; a dead runner means interrupted
);

-- grain: one row per HTTP response received during an app snapshot (list pages and single reads)
CREATE TABLE raw_scim_page (
    snapshot_id     BIGINT NOT NULL,
    seq             INTEGER NOT NULL,         -- order received within the snapshot
    resource_type   VARCHAR NOT NULL,         -- User, Group, ServiceProviderConfig, ResourceTypes, Schemas
    request_url     VARCHAR NOT NULL,
    request_params  JSON,
    status_code     INTEGER NOT NULL,
    received_at     TIMESTAMPTZ NOT NULL,
    elapsed_ms      DOUBLE,
    attempt         INTEGER NOT NULL DEFAULT 1,
    body_sha256     VARCHAR NOT NULL,
    body            VARCHAR NOT NULL,         -- exact bytes as sent by the server (UTF-8 text)
    PRIMARY KEY (snapshot_id, seq)
);

-- grain: one row per data row of an HR export file, as read (all columns, original names)
CREATE TABLE raw_hr_row (
    snapshot_id  BIGINT NOT NULL,
    line_no      INTEGER NOT NULL,            -- 1-based line (CSV) or row (XLSX/Parquet) in the file
    record       JSON NOT NULL,
    PRIMARY KEY (snapshot_id, line_no)
);

-- grain: one row per data row of an activity (sign-in) export
CREATE TABLE raw_activity_row (
    snapshot_id  BIGINT NOT NULL,
    line_no      INTEGER NOT NULL,
    record       JSON NOT NULL,
    PRIMARY KEY (snapshot_id, line_no)
);

-- grain: one row per person per HR snapshot (normalised through the config's column map)
CREATE TABLE employee (
    snapshot_id        BIGINT NOT NULL,
    employee_id        VARCHAR NOT NULL,
    email              VARCHAR,
    first_name         VARCHAR,
    last_name          VARCHAR,
    status             VARCHAR NOT NULL CHECK (status IN ('active', 'leave', 'terminated')),
    status_raw         VARCHAR NOT NULL,
    worker_type        VARCHAR NOT NULL CHECK (worker_type IN ('employee', 'contractor')),
    worker_type_raw    VARCHAR,
    hire_date          DATE,
    termination_date   DATE,
    contract_end_date  DATE,
    department         VARCHAR,
    title              VARCHAR,
    manager_id         VARCHAR,
    line_no            INTEGER NOT NULL,
    PRIMARY KEY (snapshot_id, employee_id)
);

-- grain: one row per (app, login) per activity snapshot: the latest sign-in seen
CREATE TABLE activity (
    snapshot_id  BIGINT NOT NULL,
    app          VARCHAR NOT NULL,
    login        VARCHAR NOT NULL,
    last_seen    TIMESTAMPTZ,
    line_no      INTEGER NOT NULL
);

-- grain: one row per SCIM User per app snapshot
CREATE TABLE account (
    snapshot_id      BIGINT NOT NULL,
    app              VARCHAR NOT NULL,
    account_id       VARCHAR NOT NULL,        -- SCIM id
    user_name        VARCHAR,
    external_id      VARCHAR,
    employee_number  VARCHAR,                 -- enterprise extension
    display_name     VARCHAR,
    given_name       VARCHAR,
    family_name      VARCHAR,
    emails           VARCHAR[],
    primary_email    VARCHAR,
    active           BOOLEAN,                 -- NULL when the server did not say (treated as active)
    department       VARCHAR,                 -- enterprise extension
    manager_ref      VARCHAR,                 -- enterprise extension manager.value
    created          TIMESTAMPTZ,
    last_modified    TIMESTAMPTZ,
    last_activity    TIMESTAMPTZ,             -- from the app's configured activity attribute, if any
    etag             VARCHAR,                 -- meta.version
    resource         JSON NOT NULL,           -- the resource as received (vendor extensions kept)
    PRIMARY KEY (snapshot_id, account_id)
);

-- grain: one row per SCIM Group per app snapshot
CREATE TABLE scim_group (
    snapshot_id   BIGINT NOT NULL,
    app           VARCHAR NOT NULL,
    group_id      VARCHAR NOT NULL,
    display_name  VARCHAR NOT NULL,
    external_id   VARCHAR,
    member_count  INTEGER NOT NULL,
    etag          VARCHAR,
    PRIMARY KEY (snapshot_id, group_id)
);

-- grain: one row per (group, member account) per app snapshot
CREATE TABLE membership (
    snapshot_id  BIGINT NOT NULL,
    app          VARCHAR NOT NULL,
    group_id     VARCHAR NOT NULL,
    account_id   VARCHAR NOT NULL,
    member_type  VARCHAR                      -- 'User' or 'Group' (nested groups are kept, not expanded)
);
