"""Reload-surviving sessions: signed cookie, one-time grants, idle timeout, sign-out."""

from __future__ import annotations

from scimaudit.review.web_sessions import GRANT_SECONDS, WebSessions


class Clock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


def test_a_grant_is_redeemed_once_for_a_signed_cookie_that_resumes_the_session() -> None:
    sessions = WebSessions(clock=Clock())
    sid, grant = sessions.start("maya@example.com")
    cookie = sessions.redeem(grant)
    assert cookie is not None and cookie.startswith(sid + ".")
    assert sessions.redeem(grant) is None  # once only
    assert sessions.resume(cookie, 60) == (sid, "maya@example.com")


def test_forged_tampered_or_foreign_cookies_resume_nothing() -> None:
    sessions = WebSessions(clock=Clock())
    sid, grant = sessions.start("maya@example.com")
    cookie = sessions.redeem(grant)
    assert cookie is not None
    assert sessions.resume(sid, 60) is None  # no signature
    assert sessions.resume(sid + ".00", 60) is None
    assert sessions.resume("x" + cookie, 60) is None
    other = WebSessions(clock=Clock())  # another process (another key): not its session
    assert other.resume(cookie, 60) is None
    assert sessions.resume(None, 60) is None


def test_idle_sessions_expire_activity_extends_and_sign_out_ends() -> None:
    clock = Clock()
    sessions = WebSessions(clock=clock)
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


def test_a_grant_expires() -> None:
    clock = Clock()
    sessions = WebSessions(clock=clock)
    _, grant = sessions.start("maya@example.com")
    clock.now += GRANT_SECONDS + 1
    assert sessions.redeem(grant) is None
