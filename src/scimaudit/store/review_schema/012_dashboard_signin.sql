-- grain: dashboard sign-in state that must outlive one dashboard process (restarts, several
-- processes on one store): one row per live browser session and per account with recent failed
-- sign-ins. Operational state, not evidence: rows are updated and deleted. No secret is stored:
-- the cookie's secret half and the one-time grant are kept only as SHA-256 digests, so reading
-- this file does not let anyone resume a session. Times are Unix seconds (REAL).

-- grain: one row per dashboard session (deleted at sign-out or when found idle too long).
-- session_id is a server-side handle (the page keeps it); the browser's cookie is
-- "<session_id>.<secret>", and only the secret's digest is here.
CREATE TABLE IF NOT EXISTS web_session (
    session_id        TEXT PRIMARY KEY,
    email             TEXT NOT NULL,
    started_at        REAL NOT NULL,
    last_seen         REAL NOT NULL,
    grant_digest      TEXT UNIQUE,          -- the one-time grant that sets the cookie, until redeemed
    grant_expires_at  REAL,
    cookie_digest     TEXT                  -- set when the grant is redeemed
);
CREATE INDEX IF NOT EXISTS web_session_by_last_seen ON web_session (last_seen);

-- grain: one row per normalised account email with failed sign-ins in the current window
CREATE TABLE IF NOT EXISTS signin_failure (
    account         TEXT PRIMARY KEY,
    failures        INTEGER NOT NULL,
    first_failure   REAL NOT NULL,
    last_failure    REAL NOT NULL,
    locked_until    REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS signin_failure_by_last ON signin_failure (last_failure);
