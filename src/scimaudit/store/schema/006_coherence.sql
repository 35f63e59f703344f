-- Migration 006: a snapshot may be held as `suspect` (complete by its own record, but its user
-- count collapsed against the app's last complete snapshot), and an operator's acceptance of such
-- a snapshot is recorded with who and why.
--
-- DuckDB cannot alter a CHECK constraint, so snapshot is rebuilt with the same columns, defaults
-- and sequence; nothing references it by a foreign key.

-- grain: one row per collection run per source (an app, the HR export, an activity export)
CREATE TABLE snapshot_v6 (
    snapshot_id   BIGINT PRIMARY KEY DEFAULT nextval('snapshot_id_seq'),
    source_kind   VARCHAR NOT NULL CHECK (source_kind IN ('app', 'hr', 'activity')),
    source_name   VARCHAR NOT NULL,
    status        VARCHAR NOT NULL CHECK (status IN ('running', 'complete', 'failed', 'suspect')),
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ,
    as_of         TIMESTAMPTZ NOT NULL,
    location      VARCHAR,
    counts        JSON,
    sha256        VARCHAR,
    completeness  JSON,
    error         VARCHAR,                    -- why it failed or is held, one line
    tool_version  VARCHAR NOT NULL,
    runner_pid    INTEGER
);
INSERT INTO snapshot_v6
SELECT
    snapshot_id, source_kind, source_name, status, started_at, finished_at, as_of, location,
    counts, sha256, completeness, error, tool_version, runner_pid
FROM snapshot;
DROP TABLE snapshot;
ALTER TABLE snapshot_v6 RENAME TO snapshot;

-- grain: one row per acceptance of a suspect snapshot (append-only: who confirmed it, and why)
CREATE TABLE snapshot_acceptance (
    snapshot_id   BIGINT NOT NULL,
    accepted_at   TIMESTAMPTZ NOT NULL,
    accepted_by   VARCHAR NOT NULL,
    reason        VARCHAR NOT NULL,
    held_because  VARCHAR                     -- the snapshot's error line when it was accepted
);
