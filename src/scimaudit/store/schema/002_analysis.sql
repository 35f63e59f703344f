-- Migration 002: analysis runs, identity links, findings with their tested populations, and the
-- cross-run history that gives every finding its first-seen / last-seen / resolved dates.

-- grain: one row per `scimaudit analyze` run
CREATE SEQUENCE analysis_run_id_seq START 1;
CREATE TABLE analysis_run (
    run_id         BIGINT PRIMARY KEY DEFAULT nextval('analysis_run_id_seq'),
    as_of          DATE NOT NULL,             -- the analysis date: everything is computed as of it
    started_at     TIMESTAMPTZ NOT NULL,
    finished_at    TIMESTAMPTZ,
    status         VARCHAR NOT NULL CHECK (status IN ('running', 'complete', 'failed')),
    hr_snapshot_id BIGINT,
    snapshot_ids   JSON NOT NULL,             -- {"app:chat": 12, "hr:hr": 10, "activity:signins": 11}
    params         JSON NOT NULL,             -- policy parameters used (no secrets)
    params_sha256  VARCHAR NOT NULL,
    tool_version   VARCHAR NOT NULL
);

-- grain: one row per account per analysis run: which person (if any) it belongs to and why
CREATE TABLE identity_link (
    run_id         BIGINT NOT NULL,
    snapshot_id    BIGINT NOT NULL,           -- the app snapshot the account came from
    app            VARCHAR NOT NULL,
    account_id     VARCHAR NOT NULL,
    user_name      VARCHAR,
    active         BOOLEAN NOT NULL,
    employee_id    VARCHAR,                   -- NULL when unmatched or a declared service account
    rule           VARCHAR,                   -- external_id | employee_number | email | name | override
    confidence     VARCHAR,                   -- high | medium | low
    account_type   VARCHAR NOT NULL,          -- human | service | unmatched
    candidates     VARCHAR[],                 -- >1 employee ids when ambiguous (then employee_id is NULL)
    service_owner  VARCHAR,                   -- owner employee id of a declared service account
    note           VARCHAR,
    PRIMARY KEY (run_id, app, account_id)
);

-- grain: one row per finding per analysis run
CREATE TABLE finding (
    run_id        BIGINT NOT NULL,
    finding_key   VARCHAR NOT NULL,           -- stable across runs: sha256(kind|app|account_id|detail)
    kind          VARCHAR NOT NULL,           -- orphaned_account, terminated_active, ...
    app           VARCHAR,                    -- NULL for cross-app findings with no single app
    account_id    VARCHAR,
    user_name     VARCHAR,
    employee_id   VARCHAR,
    group_name    VARCHAR,                    -- the entitlement, when the finding is about one
    severity      VARCHAR NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    reason        VARCHAR NOT NULL,           -- one line a human can act on
    evidence      JSON NOT NULL,              -- the values that made the rule fire
    snapshot_ids  BIGINT[] NOT NULL,          -- snapshots the finding came from
    status        VARCHAR NOT NULL CHECK (status IN ('open', 'exempted')),
    exemption     JSON,                       -- owner, reason, expires when exempted
    PRIMARY KEY (run_id, finding_key)
);

-- grain: one row per finding kind per app per run: the population the rule tested
CREATE TABLE finding_population (
    run_id          BIGINT NOT NULL,
    kind            VARCHAR NOT NULL,
    app             VARCHAR NOT NULL,
    tested          BIGINT NOT NULL,          -- how many items the rule looked at
    failed          BIGINT NOT NULL,          -- how many findings it produced
    not_assessable  BIGINT NOT NULL DEFAULT 0,-- items the rule could not judge (e.g. no activity data)
    note            VARCHAR,
    PRIMARY KEY (run_id, kind, app)
);

-- grain: one row per finding_key ever seen: its life across runs
CREATE TABLE finding_history (
    finding_key   VARCHAR PRIMARY KEY,
    kind          VARCHAR NOT NULL,
    app           VARCHAR,
    account_id    VARCHAR,
    first_seen    DATE NOT NULL,              -- as_of of the first run that found it
    last_seen     DATE NOT NULL,              -- as_of of the latest run that found it
    resolved_on   DATE,                       -- as_of of the first later run that no longer found it
    last_run_id   BIGINT NOT NULL
);
