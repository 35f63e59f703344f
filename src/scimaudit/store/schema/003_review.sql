-- Migration 003: access-review campaigns. Items are frozen at start (context included) and never
-- updated; everything that happens afterwards (decisions, delegations, sign-offs, reminders, the
-- close) is one append-only log per campaign in which each record hashes the previous one, the first
-- hashing the frozen items. Current state (decision, reviewer, sign-off, open/closed) is derived from
-- that log by the views below, so no row is ever updated.

-- grain: one row per review campaign
CREATE SEQUENCE campaign_id_seq START 1;
CREATE TABLE campaign (
    campaign_id        BIGINT PRIMARY KEY,
    name               VARCHAR NOT NULL,
    scope              JSON NOT NULL,         -- {"apps": [..], "frameworks": [..], "access": "all|privileged|changed", ...}
    run_id             BIGINT NOT NULL,       -- the analysis run whose links and findings were frozen
    hr_snapshot_id     BIGINT,
    snapshot_ids       JSON NOT NULL,         -- the complete snapshots behind the run
    due                DATE NOT NULL,
    default_undecided  VARCHAR NOT NULL CHECK (default_undecided IN ('keep', 'revoke', 'undecided')),
    created_at         TIMESTAMPTZ NOT NULL,
    created_by         VARCHAR NOT NULL,
    item_count         BIGINT NOT NULL,
    items_sha256       VARCHAR NOT NULL,      -- hash of the frozen items: the log's genesis
    tool_version       VARCHAR NOT NULL
);

-- grain: one row per reviewable access of a campaign: (person, app, account, entitlement), where
-- entitlement NULL is the account itself; context and initial reviewer frozen at start
CREATE TABLE campaign_item (
    campaign_id            BIGINT NOT NULL,
    item_id                INTEGER NOT NULL,
    employee_id            VARCHAR,           -- the person whose access this is (NULL: unmatched/service)
    person_name            VARCHAR,
    person_email           VARCHAR,
    person_status          VARCHAR,           -- active | leave | terminated (HR, as of the run)
    worker_type            VARCHAR,
    title                  VARCHAR,
    department             VARCHAR,
    owner_id               VARCHAR,           -- declared owner of a service account
    app                    VARCHAR NOT NULL,
    account_id             VARCHAR NOT NULL,
    user_name              VARCHAR,
    account_type           VARCHAR NOT NULL,  -- human | service | unmatched
    entitlement            VARCHAR,           -- group display name; NULL = the account itself
    group_id               VARCHAR,
    privileged             BOOLEAN NOT NULL,
    last_sign_in           TIMESTAMPTZ,
    findings               JSON NOT NULL,     -- [{kind, severity, reason, status, finding_key}]
    flagged                BOOLEAN NOT NULL,  -- at least one open (not exempted) finding
    peer_share             DOUBLE,            -- share of department peers holding it (NULL: too few peers)
    peer_holders           INTEGER,
    peer_count             INTEGER,
    recommendation         VARCHAR CHECK (recommendation IN ('keep', 'revoke')),
    recommendation_reason  VARCHAR,
    reviewer_id            VARCHAR,           -- initial reviewer (HR employee id); NULL = unassigned
    reviewer_email         VARCHAR,
    reviewer_name          VARCHAR,
    assignment_rule        VARCHAR NOT NULL,  -- manager | manager_of_manager | app_fallback | unassigned
    PRIMARY KEY (campaign_id, item_id)
);

-- grain: one row per event of a campaign, in order; append-only and hash-chained
CREATE TABLE review_log (
    campaign_id        BIGINT NOT NULL,
    seq                INTEGER NOT NULL,      -- 1, 2, 3 ... within the campaign: the chain order
    kind               VARCHAR NOT NULL CHECK (kind IN ('decision', 'delegation', 'signoff', 'reminder', 'close')),
    item_id            INTEGER,               -- decision / delegation
    decision           VARCHAR CHECK (decision IN ('keep', 'revoke')),
    reason             VARCHAR,
    reviewer_id        VARCHAR,               -- whose queue (decision, signoff, reminder); new reviewer (delegation)
    from_reviewer_id   VARCHAR,               -- delegation: the reviewer before
    actor              VARCHAR NOT NULL,      -- authenticated email, or cli:<user>
    actor_employee_id  VARCHAR,
    actor_role         VARCHAR,
    method             VARCHAR NOT NULL,      -- single | bulk | close_default | cli | dashboard
    bulk_id            VARCHAR,               -- shared by every record of one bulk action
    recorded_at        TIMESTAMPTZ NOT NULL,  -- when the server recorded it (UTC)
    prev_hash          VARCHAR NOT NULL,      -- record_hash of seq-1 (seq 1: campaign.items_sha256)
    record_hash        VARCHAR NOT NULL,      -- sha256(canonical JSON of this record incl. prev_hash)
    PRIMARY KEY (campaign_id, seq)
);

-- grain: one row per campaign item: who reviews it now (after delegations)
CREATE VIEW campaign_item_reviewer AS
SELECT i.campaign_id, i.item_id,
       coalesce(d.reviewer_id, i.reviewer_id) AS reviewer_id,
       d.seq IS NOT NULL AS delegated
FROM campaign_item i
LEFT JOIN (
    SELECT campaign_id, item_id, reviewer_id, seq FROM review_log WHERE kind = 'delegation'
    QUALIFY row_number() OVER (PARTITION BY campaign_id, item_id ORDER BY seq DESC) = 1
) d ON d.campaign_id = i.campaign_id AND d.item_id = i.item_id;

-- grain: one row per decided campaign item: its latest decision
CREATE VIEW campaign_decision_current AS
SELECT campaign_id, item_id, decision, reason, actor, actor_employee_id, method, bulk_id,
       recorded_at AS decided_at, seq
FROM review_log WHERE kind = 'decision'
QUALIFY row_number() OVER (PARTITION BY campaign_id, item_id ORDER BY seq DESC) = 1;

-- grain: one row per (campaign, reviewer) who has signed off
CREATE VIEW campaign_signoff AS
SELECT campaign_id, reviewer_id, min(recorded_at) AS signed_at, min(seq) AS seq
FROM review_log WHERE kind = 'signoff' GROUP BY campaign_id, reviewer_id;

-- grain: one row per closed campaign
CREATE VIEW campaign_closed AS
SELECT campaign_id, recorded_at AS closed_at, actor AS closed_by, reason AS close_reason, seq
FROM review_log WHERE kind = 'close';
