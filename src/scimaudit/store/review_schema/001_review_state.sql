-- grain: the review workflow store (SQLite, WAL) beside the DuckDB analytical store: one row per
-- campaign, per frozen item and per log event, the same columns as DuckDB migration 003 had.
-- Timestamps are ISO-8601 text in UTC with microseconds (exactly what the hash chain hashes),
-- dates ISO text, booleans 0/1, JSON as text. Nothing here is ever updated or deleted.

-- grain: one row per review campaign
CREATE TABLE IF NOT EXISTS campaign (
    campaign_id        INTEGER PRIMARY KEY,
    name               TEXT NOT NULL,
    scope              TEXT NOT NULL,
    run_id             INTEGER NOT NULL,
    hr_snapshot_id     INTEGER,
    snapshot_ids       TEXT NOT NULL,
    due                TEXT NOT NULL,
    default_undecided  TEXT NOT NULL CHECK (default_undecided IN ('keep', 'revoke', 'undecided')),
    created_at         TEXT NOT NULL,
    created_by         TEXT NOT NULL,
    item_count         INTEGER NOT NULL,
    items_sha256       TEXT NOT NULL,
    tool_version       TEXT NOT NULL
);

-- grain: one row per reviewable access of a campaign, frozen at start (see DuckDB 003 for columns)
CREATE TABLE IF NOT EXISTS campaign_item (
    campaign_id            INTEGER NOT NULL REFERENCES campaign (campaign_id),
    item_id                INTEGER NOT NULL,
    employee_id            TEXT,
    person_name            TEXT,
    person_email           TEXT,
    person_status          TEXT,
    worker_type            TEXT,
    title                  TEXT,
    department             TEXT,
    owner_id               TEXT,
    app                    TEXT NOT NULL,
    account_id             TEXT NOT NULL,
    user_name              TEXT,
    account_type           TEXT NOT NULL,
    entitlement            TEXT,
    group_id               TEXT,
    privileged             INTEGER NOT NULL,
    last_sign_in           TEXT,
    findings               TEXT NOT NULL,
    flagged                INTEGER NOT NULL,
    peer_share             REAL,
    peer_holders           INTEGER,
    peer_count             INTEGER,
    recommendation         TEXT CHECK (recommendation IN ('keep', 'revoke')),
    recommendation_reason  TEXT,
    reviewer_id            TEXT,
    reviewer_email         TEXT,
    reviewer_name          TEXT,
    assignment_rule        TEXT NOT NULL,
    PRIMARY KEY (campaign_id, item_id)
);
CREATE INDEX IF NOT EXISTS campaign_item_by_reviewer ON campaign_item (campaign_id, reviewer_id);

-- grain: one row per event of a campaign, in order; append-only and hash-chained
CREATE TABLE IF NOT EXISTS review_log (
    campaign_id        INTEGER NOT NULL REFERENCES campaign (campaign_id),
    seq                INTEGER NOT NULL,
    kind               TEXT NOT NULL CHECK (kind IN ('decision', 'delegation', 'signoff', 'reminder', 'close')),
    item_id            INTEGER,
    decision           TEXT CHECK (decision IN ('keep', 'revoke')),
    reason             TEXT,
    reviewer_id        TEXT,
    from_reviewer_id   TEXT,
    actor              TEXT NOT NULL,
    actor_employee_id  TEXT,
    actor_role         TEXT,
    method             TEXT NOT NULL,
    bulk_id            TEXT,
    recorded_at        TEXT NOT NULL,
    prev_hash          TEXT NOT NULL,
    record_hash        TEXT NOT NULL,
    PRIMARY KEY (campaign_id, seq)
);
CREATE INDEX IF NOT EXISTS review_log_by_item ON review_log (campaign_id, item_id, kind, seq);
CREATE INDEX IF NOT EXISTS review_log_by_kind ON review_log (campaign_id, kind, reviewer_id);

-- grain: one row per campaign item: who reviews it now (after delegations)
CREATE VIEW IF NOT EXISTS campaign_item_reviewer AS
SELECT i.campaign_id, i.item_id,
       coalesce((SELECT l.reviewer_id FROM review_log l
                 WHERE l.campaign_id = i.campaign_id AND l.item_id = i.item_id
                   AND l.kind = 'delegation' ORDER BY l.seq DESC LIMIT 1),
                i.reviewer_id) AS reviewer_id,
       EXISTS (SELECT 1 FROM review_log l WHERE l.campaign_id = i.campaign_id
               AND l.item_id = i.item_id AND l.kind = 'delegation') AS delegated
FROM campaign_item i;

-- grain: one row per decided campaign item: its latest decision, if made after the item's last
-- delegation (a delegated item arrives undecided: the previous reviewer's changeable decision
-- stays in the log as evidence but does not travel to the new reviewer)
CREATE VIEW IF NOT EXISTS campaign_decision_current AS
SELECT l.campaign_id, l.item_id, l.decision, l.reason, l.actor, l.actor_employee_id, l.method,
       l.bulk_id, l.recorded_at AS decided_at, l.seq
FROM review_log l
WHERE l.kind = 'decision'
  AND l.seq = (SELECT max(m.seq) FROM review_log m WHERE m.campaign_id = l.campaign_id
               AND m.item_id = l.item_id AND m.kind = 'decision')
  AND l.seq > coalesce((SELECT max(g.seq) FROM review_log g WHERE g.campaign_id = l.campaign_id
                        AND g.item_id = l.item_id AND g.kind = 'delegation'), 0);

-- grain: one row per (campaign, reviewer) who has signed off
CREATE VIEW IF NOT EXISTS campaign_signoff AS
SELECT campaign_id, reviewer_id, min(recorded_at) AS signed_at, min(seq) AS seq
FROM review_log WHERE kind = 'signoff' GROUP BY campaign_id, reviewer_id;

-- grain: one row per closed campaign
CREATE VIEW IF NOT EXISTS campaign_closed AS
SELECT campaign_id, recorded_at AS closed_at, actor AS closed_by, reason AS close_reason, seq
FROM review_log WHERE kind = 'close';

-- grain: one row per (campaign, reviewer, day) a reminder email was claimed for: what makes
-- `review remind` idempotent per day (a second click finds the claim). Operational state, not
-- evidence: every send and failure is a `reminder` record in review_log. A failed send releases
-- the claim (status failed) so a later click the same day retries it.
CREATE TABLE IF NOT EXISTS reminder_delivery (
    campaign_id   INTEGER NOT NULL REFERENCES campaign (campaign_id),
    reviewer_id   TEXT NOT NULL,
    day           TEXT NOT NULL,            -- the as-of date the reminder counts for
    status        TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'failed', 'listed')),
    PRIMARY KEY (campaign_id, reviewer_id, day)
);
