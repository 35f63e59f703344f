"""Reload- and restart-surviving sessions: cookie, one-time grants, idle timeout, sign-out, and
the same sessions seen by a new process on the same review store."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from scimaudit.store.review_state import review_db_path
from scimaudit.webauth.browser_sessions import GRANT_SECONDS, WebSessions


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_grant_is_redeemed_once_for_a_cookie_that_resumes_the_session(tmp_path: Path) -> None:
    sessions = WebSessions(tmp_path / "s.duckdb", clock=Clock())
    sid, grant = sessions.start("maya@example.com")
    cookie = sessions.redeem(grant)
    assert cookie is not None and cookie.startswith(sid + ".")
    assert sessions.redeem(grant) is None  # once only
    assert sessions.resume(cookie, 60) == (sid, "maya@example.com")


def test_forged_tampered_or_foreign_cookies_resume_nothing(tmp_path: Path) -> None:
    sessions = WebSessions(tmp_path / "s.duckdb", clock=Clock())
    sid, grant = sessions.start("maya@example.com")
    assert sessions.resume(sid + ".x", 60) is None  # before the grant is redeemed: no cookie yet
    cookie = sessions.redeem(grant)
    assert cookie is not None
    assert sessions.resume(sid, 60) is None  # no secret
    assert sessions.resume(sid + ".00", 60) is None
    assert sessions.resume("x" + cookie, 60) is None
    assert sessions.resume(cookie + "x", 60) is None
    other = WebSessions(tmp_path / "other.duckdb", clock=Clock())  # another store: unknown
    assert other.resume(cookie, 60) is None
    assert sessions.resume(None, 60) is None


def test_the_store_holds_no_secret_that_resumes_a_session(tmp_path: Path) -> None:
    """Reading the review store file gives the session id, never the cookie's secret half."""
    store = tmp_path / "s.duckdb"
    sessions = WebSessions(store, clock=Clock())
    sid, grant = sessions.start("maya@example.com")
    cookie = sessions.redeem(grant)
    assert cookie is not None
    secret = cookie.partition(".")[2]
    con = sqlite3.connect(review_db_path(store))
    dump = "\n".join(con.iterdump())
    con.close()
    assert sid in dump and secret not in dump and grant not in dump


def test_idle_sessions_expire_activity_extends_and_sign_out_ends(tmp_path: Path) -> None:
    clock = Clock()
    sessions = WebSessions(tmp_path / "s.duckdb", clock=clock)
    sid, grant = sessions.start("maya@example.com")
    cookie = sessions.redeem(grant)
    clock.now += 50
    assert sessions.touch(sid, 60) == "maya@example.com"
    clock.now += 50  # 100 s since start, 50 s since the last activity
    assert sessions.resume(cookie, 60) == (sid, "maya@example.com")
    clock.now += 61
    assert sessions.resume(cookie, 60) is None and sessions.touch(sid, 60) is None
    sid2, grant2 = sessions.start("maya@example.com")
    cookie2 = sessions.redeem(grant2)
    sessions.end(sid2)
    assert sessions.resume(cookie2, 60) is None


def test_a_grant_expires(tmp_path: Path) -> None:
    clock = Clock()
    sessions = WebSessions(tmp_path / "s.duckdb", clock=clock)
    _, grant = sessions.start("maya@example.com")
    clock.now += GRANT_SECONDS + 1
    assert sessions.redeem(grant) is None


def test_a_session_survives_a_restart_until_its_idle_timeout(tmp_path: Path) -> None:
    """A new WebSessions on the same file (what a restarted dashboard makes) resumes the cookie,
    and so does a separate Python process; after the idle timeout neither does."""
    store = tmp_path / "s.duckdb"
    clock = Clock()
    first = WebSessions(store, clock=clock)
    sid, grant = first.start("maya@example.com")
    cookie = first.redeem(grant)
    assert cookie is not None
    del first
    clock.now += 30
    restarted = WebSessions(store, clock=clock)
    assert restarted.resume(cookie, 60) == (sid, "maya@example.com")
    code = (
        "import sys; from pathlib import Path;"
        " from scimaudit.webauth.browser_sessions import WebSessions;"
        f" s = WebSessions(Path(sys.argv[1]), clock=lambda: {clock.now + 40!r});"
        " print(s.resume(sys.argv[2], 60))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(store), cookie], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == repr((sid, "maya@example.com"))  # the other process's touch counts as activity
    clock.now += 40 + 61
    assert WebSessions(store, clock=clock).resume(cookie, 60) is None
