"""Dashboard sign-in sessions that survive a reload and a dashboard restart.

Streamlit keeps a page's state per browser tab connection, so a reload used to sign people out,
and its pages cannot set cookies. After a password sign-in the page asks the dashboard's own
``/_scimaudit/session`` route (``dashboards/server.py``) to redeem a one-time grant; that HTTP
response sets ``scimaudit_session`` (HttpOnly, SameSite=Strict) = ``<session id>.<secret>``. On a
reload the app reads the cookie (``st.context.cookies``) and finds the session, which also holds
the idle clock: a session unused for the idle timeout is gone, and signing out ends it.

The sessions live in the review store's ``web_session`` table (SQLite, WAL), not in the dashboard
process: a restarted dashboard, or a second dashboard process on the same store, resumes the same
cookie until its idle timeout. The store holds the session id (a server-side handle, useless
without the secret) and only SHA-256 digests of the cookie's secret and of the grant, so reading the
store file does not let anyone resume a session. Times are wall-clock Unix seconds (comparable
across processes and restarts); the clock is injectable for tests.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from scimaudit.config import Config
from scimaudit.store.review_state import review_db

COOKIE = "scimaudit_session"
GRANT_SECONDS = 60.0
MAX_SESSIONS = 10_000
"""Sessions kept at most (least recently used dropped first)."""


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass
class WebSessions:
    """Server-side sessions in the review store beside ``store_path``."""

    store_path: Path
    clock: Callable[[], float] = time.time

    def start(self, email: str) -> tuple[str, str]:
        """A new session for ``email``: (session id, one-time grant that sets its cookie)."""
        sid, grant = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        now = self.clock()
        with review_db(self.store_path) as con:
            con.execute("BEGIN IMMEDIATE")
            con.execute(
                "INSERT INTO web_session (session_id, email, started_at, last_seen, grant_digest,"
                " grant_expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                [sid, email, now, now, _digest(grant), now + GRANT_SECONDS],
            )
            con.execute(
                "DELETE FROM web_session WHERE session_id IN (SELECT session_id FROM web_session"
                " ORDER BY last_seen DESC LIMIT -1 OFFSET ?)",
                [MAX_SESSIONS],
            )
            con.execute("COMMIT")
        return sid, grant

    def redeem(self, grant: str) -> str | None:
        """The cookie value for a grant, once, within its minute; None otherwise."""
        secret = secrets.token_urlsafe(32)
        with review_db(self.store_path) as con:
            con.execute("BEGIN IMMEDIATE")
            row = con.execute(
                "UPDATE web_session SET grant_digest = NULL, grant_expires_at = NULL,"
                " cookie_digest = ? WHERE grant_digest = ? AND grant_expires_at >= ?"
                " RETURNING session_id",
                [_digest(secret), _digest(grant), self.clock()],
            ).fetchone()
            con.execute("COMMIT")
        return f"{row[0]}.{secret}" if row else None

    def resume(self, cookie: str | None, idle_seconds: float) -> tuple[str, str] | None:
        """(session id, email) for a cookie of a live session, which counts as activity."""
        if not isinstance(cookie, str):
            return None
        sid, _, secret = cookie.partition(".")
        if not sid or not secret:
            return None
        with review_db(self.store_path) as con:
            row = con.execute(
                "SELECT cookie_digest FROM web_session WHERE session_id = ?", [sid]
            ).fetchone()
        if not row or not row[0] or not hmac.compare_digest(str(row[0]), _digest(secret)):
            return None
        return (sid, email) if (email := self.touch(sid, idle_seconds)) else None

    def touch(self, sid: str, idle_seconds: float) -> str | None:
        """Note activity; the session's email, or None (and ended) if it was idle too long."""
        now = self.clock()
        with review_db(self.store_path) as con:
            con.execute("BEGIN IMMEDIATE")
            con.execute(
                "DELETE FROM web_session WHERE session_id = ? AND last_seen < ?",
                [sid, now - idle_seconds],
            )
            row = con.execute(
                "UPDATE web_session SET last_seen = max(last_seen, ?) WHERE session_id = ?"
                " RETURNING email",
                [now, sid],
            ).fetchone()
            con.execute("COMMIT")
        return str(row[0]) if row else None

    def end(self, sid: str) -> None:
        """Sign-out: the session is gone, so its cookie (which the browser may keep) names
        nothing."""
        with review_db(self.store_path) as con:
            con.execute("DELETE FROM web_session WHERE session_id = ?", [sid])


def sessions_for(config: Config) -> WebSessions:
    """The sessions of the store ``config`` names (shared by every dashboard process on it)."""
    return WebSessions(Path(config.store.path))
