"""Dashboard sign-in sessions that survive a reload: a signed cookie naming a server-side session.

Streamlit keeps a page's state per browser tab connection, so a reload used to sign people out,
and its pages cannot set cookies. After a password sign-in the page asks the dashboard's own
``/_scimaudit/session`` route (``dashboards/server.py``) to redeem a one-time grant; that HTTP
response sets ``scimaudit_session`` (HttpOnly, SameSite=Strict) = session id + HMAC. On a reload the
app reads the cookie (``st.context.cookies``), checks the HMAC and finds the session here, which
also holds the idle clock: a session unused for the idle timeout is gone, and signing out ends it.

The sessions, grants and HMAC key live in the dashboard process's memory: restarting the
dashboard signs everyone out, and with several dashboard processes a session is only known to the
one that created it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

COOKIE = "scimaudit_session"
GRANT_SECONDS = 60.0
MAX_SESSIONS = 10_000


@dataclass
class _Session:
    email: str
    last_seen: float


@dataclass
class WebSessions:
    """Server-side sessions keyed by random ids; thread-safe."""

    clock: Callable[[], float] = time.monotonic
    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    _sessions: dict[str, _Session] = field(default_factory=dict)
    _grants: dict[str, tuple[str, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _sign(self, sid: str) -> str:
        return hmac.new(self.key, sid.encode(), hashlib.sha256).hexdigest()

    def start(self, email: str) -> tuple[str, str]:
        """A new session for ``email``: (session id, one-time grant that sets its cookie)."""
        sid, grant = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        now = self.clock()
        with self._lock:
            self._sessions[sid] = _Session(email, now)
            self._grants[grant] = (sid, now + GRANT_SECONDS)
            while len(self._sessions) > MAX_SESSIONS:
                self._sessions.pop(next(iter(self._sessions)))
            for old in [g for g, (_, until) in self._grants.items() if until < now]:
                self._grants.pop(old)
        return sid, grant

    def redeem(self, grant: str) -> str | None:
        """The cookie value for a grant, once, within its minute; None otherwise."""
        with self._lock:
            sid, until = self._grants.pop(grant, ("", 0.0))
            if not sid or until < self.clock() or sid not in self._sessions:
                return None
        return f"{sid}.{self._sign(sid)}"

    def resume(self, cookie: str | None, idle_seconds: float) -> tuple[str, str] | None:
        """(session id, email) for a valid cookie of a live session, which counts as activity."""
        if not isinstance(cookie, str):
            return None
        sid, _, mac = cookie.partition(".")
        if not sid or not hmac.compare_digest(mac.encode(), self._sign(sid).encode()):
            return None
        return (sid, email) if (email := self.touch(sid, idle_seconds)) else None

    def touch(self, sid: str, idle_seconds: float) -> str | None:
        """Note activity; the session's email, or None (and ended) if it was idle too long."""
        now = self.clock()
        with self._lock:
            session = self._sessions.get(sid)
            if session is None:
                return None
            if now - session.last_seen > idle_seconds:
                self._sessions.pop(sid)
                return None
            session.last_seen = now
            return session.email

    def end(self, sid: str) -> None:
        with self._lock:
            self._sessions.pop(sid, None)


SESSIONS = WebSessions()
"""The dashboard process's sessions (shared by the page scripts and the cookie route)."""
