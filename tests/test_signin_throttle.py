"""Failed sign-ins are counted per account on the server, locked out, and logged."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from review_support import MIA, ORG, PASSWORD, A, build_store, make_config, password_hash
from scimaudit.errors import PermissionDeniedError
from scimaudit.review.auth import authenticate_password
from scimaudit.review.signin_throttle import SignInThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_locks_after_free_failures_doubling_and_a_success_clears() -> None:
    clock = Clock()
    t = SignInThrottle(free_failures=3, base_lock=30, max_lock=100, clock=clock)
    assert [t.failed("a@x") for _ in range(3)] == [0, 0, 0]
    assert t.wait_seconds("a@x") == 0
    assert t.failed("a@x") == 30 and t.wait_seconds("a@x") == 30
    assert t.wait_seconds("b@x") == 0  # per account
    clock.now += 31
    assert t.failed("a@x") == 60
    clock.now += 61
    assert t.failed("a@x") == 100  # capped
    t.succeeded("a@x")
    assert t.wait_seconds("a@x") == 0 and t.failed("a@x") == 0


def test_failures_outside_the_window_start_a_new_count() -> None:
    clock = Clock()
    t = SignInThrottle(free_failures=2, window=60, clock=clock)
    t.failed("a@x")
    t.failed("a@x")
    clock.now += 61
    assert t.failed("a@x") == 0  # the old two no longer count


def test_password_sign_in_is_throttled_per_account_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = make_config(
        tmp_path,
        extra={
            "dashboard": {
                "users": [{"email": MIA.email, "role": "manager", "password_hash": password_hash()}]
            }
        },
    )
    build_store(config, ORG, [A("crm", "c1", "E4")])
    clock = Clock()
    throttle = SignInThrottle(free_failures=2, base_lock=30, clock=clock)
    caplog.set_level(logging.WARNING, logger="scimaudit.signin")
    for _ in range(3):
        with pytest.raises(PermissionDeniedError, match="wrong email or password"):
            authenticate_password(config, MIA.email.upper(), "guess-guess", throttle=throttle)
    # locked: even the right password is refused, without being checked
    with pytest.raises(PermissionDeniedError, match="too many failed sign-ins"):
        authenticate_password(config, MIA.email, PASSWORD, throttle=throttle)
    # an unknown account is counted the same way (a lock reveals nothing about who exists)
    for _ in range(3):
        with pytest.raises(PermissionDeniedError, match="wrong email or password"):
            authenticate_password(config, "nobody@example.com", "x" * 9, throttle=throttle)
    assert throttle.wait_seconds("nobody@example.com") == 30
    clock.now += 31
    assert authenticate_password(config, MIA.email, PASSWORD, throttle=throttle).email == MIA.email
    lines = [r.getMessage() for r in caplog.records]
    assert f"sign-in failed: account={MIA.email} failures=3 locked_for=30s" in lines
    assert any(line.startswith(f"sign-in refused: account={MIA.email} locked") for line in lines)
    assert not any(PASSWORD in line or "guess-guess" in line for line in lines)
