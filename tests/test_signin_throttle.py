"""Failed sign-ins are counted per account in the review store, locked out, and logged; the
counts survive a restart and are shared by processes on one store."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from review_support import MIA, ORG, PASSWORD, A, build_store, make_config, password_hash
from scimaudit.errors import PermissionDeniedError
from scimaudit.webauth.failed_signins import SignInThrottle
from scimaudit.webauth.signin import authenticate_password


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_locks_after_free_failures_doubling_and_a_success_clears(tmp_path: Path) -> None:
    clock = Clock()
    t = SignInThrottle(
        tmp_path / "s.duckdb", free_failures=3, base_lock=30, max_lock=100, clock=clock
    )
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


def test_failures_outside_the_window_start_a_new_count(tmp_path: Path) -> None:
    clock = Clock()
    t = SignInThrottle(tmp_path / "s.duckdb", free_failures=2, window=60, clock=clock)
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
    throttle = SignInThrottle(config.store.path, free_failures=2, base_lock=30, clock=clock)
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


def test_counts_survive_a_restart(tmp_path: Path) -> None:
    """A new throttle on the same file (a restarted dashboard) sees the count and the lock."""
    clock = Clock()
    store = tmp_path / "s.duckdb"
    first = SignInThrottle(store, free_failures=2, base_lock=30, clock=clock)
    first.failed("a@x")
    first.failed("a@x")
    del first
    restarted = SignInThrottle(store, free_failures=2, base_lock=30, clock=clock)
    assert restarted.failures("a@x") == 2
    assert restarted.failed("a@x") == 30  # the third failure locks: the first two still counted
    clock.now += 10
    assert SignInThrottle(store, clock=clock).wait_seconds("a@x") == 20


_HAMMER = """
import sys
from pathlib import Path
from scimaudit.webauth.failed_signins import SignInThrottle
t = SignInThrottle(Path(sys.argv[1]), free_failures=10_000, clock=lambda: 1_800_000_000.0)
for _ in range(int(sys.argv[2])):
    t.failed("shared@x")
"""


def test_two_processes_share_one_count_and_lose_no_failure(tmp_path: Path) -> None:
    """Two dashboard processes counting failures of one account at the same time: every failure
    is counted once (each is one write transaction), so guessing through two processes is no
    faster than through one."""
    store = tmp_path / "s.duckdb"
    SignInThrottle(store).wait_seconds("shared@x")  # create the store before the race
    procs = [subprocess.Popen([sys.executable, "-c", _HAMMER, str(store), "40"]) for _ in range(2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    assert SignInThrottle(store, clock=lambda: 1_800_000_000.0).failures("shared@x") == 80
