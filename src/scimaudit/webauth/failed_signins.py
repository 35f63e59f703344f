"""Failed dashboard sign-ins, counted per account on the server and written to the log.

Counting in the browser session is no brake: a reload starts a fresh session. Here the count is
kept per normalised email in the dashboard process, which every browser session shares, so
guessing one account's password is slowed whatever the attacker reloads. After ``free_failures``
failures inside ``window`` an account is locked for ``base_lock`` (doubling with each further
failure, up to ``max_lock``); while locked no password is checked at all. Unknown emails are
counted like real ones, so a lock says nothing about who exists. A success clears the count.

Every failure and every lock is a WARNING record on the ``scimaudit.signin`` logger (the dashboard
log): email, failures so far, lock length. Passwords never appear. The counts live in memory: a
dashboard restart clears them (documented in the README).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

LOG = logging.getLogger("scimaudit.signin")
MAX_TRACKED = 10_000
"""Accounts remembered at most (oldest forgotten first): a flood of made-up emails stays small."""


@dataclass
class _Record:
    failures: int = 0
    first_failure: float = 0.0
    locked_until: float = 0.0


@dataclass
class SignInThrottle:
    """Per-account failure counts and locks; thread-safe (Streamlit runs sessions in threads)."""

    free_failures: int = 5
    window: float = 15 * 60.0
    base_lock: float = 30.0
    max_lock: float = 15 * 60.0
    clock: Callable[[], float] = time.monotonic
    _records: dict[str, _Record] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_seconds(self, account: str) -> float:
        """Seconds until ``account`` may try again (0 = now)."""
        with self._lock:
            record = self._records.get(account)
            return max(0.0, record.locked_until - self.clock()) if record else 0.0

    def failed(self, account: str) -> float:
        """Count a failure; return the lock it caused in seconds (0 = none) and log it."""
        now = self.clock()
        with self._lock:
            record = self._records.pop(account, None) or _Record(first_failure=now)
            if now - record.first_failure > self.window and record.locked_until <= now:
                record = _Record(first_failure=now)
            record.failures += 1
            over = record.failures - self.free_failures
            lock = min(self.base_lock * 2 ** (over - 1), self.max_lock) if over > 0 else 0.0
            if lock:
                record.locked_until = now + lock
            self._records[account] = record  # most recent last
            while len(self._records) > MAX_TRACKED:
                self._records.pop(next(iter(self._records)))
        LOG.warning(
            "sign-in failed: account=%s failures=%d%s",
            account,
            record.failures,
            f" locked_for={lock:.0f}s" if lock else "",
        )
        return lock

    def refused_while_locked(self, account: str, wait: float) -> None:
        LOG.warning("sign-in refused: account=%s locked wait=%.0fs", account, wait)

    def succeeded(self, account: str) -> None:
        with self._lock:
            self._records.pop(account, None)


THROTTLE = SignInThrottle()
"""The dashboard process's one throttle (shared by every browser session)."""
