-- Migration 002: analysis runs, identity links, findings with their tested populations, and the
-- cross-run history that gives every finding its first-seen / last-seen / resolved dates.
-- Written by scimaudit.analytics.runner; read by reports and dashboards.

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
    tool_version   VARCHAR NOT NULL,
    notes          JSON,                      -- list of one-line notes, e.g. "chat: newest snapshot 14
                                              -- failed; analysed complete snapshot 12 of 2024-05-01"
    error          VARCHAR                    -- why a failed run failed, one line
);

-- grain: one row per account per analysis run: which person (if any) it belongs to and why.
-- Unique on (run_id, app, account_id) by construction (one row per account of the run's app
-- snapshots); no PRIMARY KEY because its index would cost more than the rest of a 2M-account run.
CREATE TABLE identity_link (
    run_id         BIGINT NOT NULL,
    snapshot_id    BIGINT NOT NULL,           -- the app snapshot the account came from
    app            VARCHAR NOT NULL,
    account_id     VARCHAR NOT NULL,
    user_name      VARCHAR,
    active         BOOLEAN NOT NULL,          -- account.active, NULL (not stated) counted as true
    employee_id    VARCHAR,                   -- the linked person; NULL unless account_type = 'human'
    rule           VARCHAR,                   -- external_id | employee_number | email | email_history
                                              -- | name | override | service_config
    confidence     VARCHAR,                   -- high | medium | low
    account_type   VARCHAR NOT NULL,          -- human | service | unmatched
    ambiguous      BOOLEAN NOT NULL DEFAULT false, -- the deciding rule matched >1 person (not linked)
    candidates     VARCHAR[],                 -- the matching employee ids when ambiguous, or the
                                              -- name-only (low confidence, not linked) suggestions
    service_owner  VARCHAR,                   -- owner of a declared service account (employee id
                                              -- when resolvable in HR, else as written)
    note           VARCHAR                    -- e.g. "other rules point to E1002", override line
);

-- grain: one row per manual override line per analysis run: what it did (evidence of overrides)
CREATE TABLE correlation_override (
    run_id         BIGINT NOT NULL,
    line_no        INTEGER NOT NULL,          -- line in the overrides CSV (header = line 1)
    app            VARCHAR NOT NULL,
    account        VARCHAR NOT NULL,          -- as written: account id or userName
    action         VARCHAR NOT NULL CHECK (action IN ('link', 'service')),
    employee_id    VARCHAR,
    owner          VARCHAR,
    reason         VARCHAR NOT NULL,
    expires        DATE,
    status         VARCHAR NOT NULL CHECK (status IN
                       ('applied', 'expired', 'no_such_account', 'unknown_employee', 'superseded')),
    account_id     VARCHAR,                   -- the account it matched, when it matched one
    PRIMARY KEY (run_id, line_no)
);

-- grain: one row per finding per analysis run. Unique on (run_id, finding_key) by construction
-- (each findings query yields one row per account and detail); no PRIMARY KEY for the same reason
-- as identity_link (tests check the uniqueness).
CREATE TABLE finding (
    run_id        BIGINT NOT NULL,
    finding_key   VARCHAR NOT NULL,           -- stable across runs: sha256(kind|app|account_id|detail)
    kind          VARCHAR NOT NULL,           -- orphaned_account, terminated_active, ...
    app           VARCHAR,                    -- NULL for cross-app findings with no single app
    account_id    VARCHAR,
    user_name     VARCHAR,
    employee_id   VARCHAR,
    group_name    VARCHAR,                    -- the entitlement, when the finding is about one
    detail        VARCHAR,                    -- what distinguishes findings of one account (group id,
                                              -- SoD rule name, person id); part of finding_key
    severity      VARCHAR NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    reason        VARCHAR NOT NULL,           -- one line a human can act on
    evidence      JSON NOT NULL,              -- the values that made the rule fire
    snapshot_ids  BIGINT[] NOT NULL,          -- snapshots the finding came from
    status        VARCHAR NOT NULL CHECK (status IN ('open', 'exempted')),
    exemption     JSON                        -- owner, reason, expires, expired when one matched
);

-- grain: one row per finding kind per app per run: the population the rule tested.
-- app = '*' for rules that span apps (cross-app SoD) or when no rule of the kind is configured.
CREATE TABLE finding_population (
    run_id          BIGINT NOT NULL,
    kind            VARCHAR NOT NULL,
    app             VARCHAR NOT NULL,
    tested          BIGINT NOT NULL,          -- how many items the rule looked at
    failed          BIGINT NOT NULL,          -- how many findings it produced (open + exempted)
    not_assessable  BIGINT NOT NULL DEFAULT 0,-- items the rule could not judge (e.g. no activity data)
    unit            VARCHAR NOT NULL,         -- what an item is: account | membership | person
    note            VARCHAR,
    PRIMARY KEY (run_id, kind, app)
);

-- grain: one row per finding_key ever seen: its life across runs (ordered by the runs' as_of)
CREATE TABLE finding_history (
    finding_key   VARCHAR PRIMARY KEY,
    kind          VARCHAR NOT NULL,
    app           VARCHAR,
    account_id    VARCHAR,
    first_seen    DATE NOT NULL,              -- as_of of the first run that found it
    last_seen     DATE NOT NULL,              -- as_of of the latest run that found it
    resolved_on   DATE,                       -- as_of of the first later run that tested the same
                                              -- kind and app and no longer found it; NULL while open
    first_run_id  BIGINT NOT NULL,
    last_run_id   BIGINT NOT NULL
);
