"""Failed dashboard sign-ins, counted per account in the review store and written to the log.

Counting in the browser session is no brake: a reload starts a fresh session. Counting in the
dashboard process is a weak one: restarting the dashboard (or reaching a second dashboard process
on the same store) started the count afresh. So the count is a row per normalised email in the
review store's ``signin_failure`` table (SQLite, WAL), shared by every session and every process
on that store and kept across restarts. After ``free_failures`` failures inside ``window`` an
account is locked for ``base_lock`` (doubling with each further failure, up to ``max_lock``);
while locked no password is checked at all. Unknown emails are counted like real ones, so a lock
says nothing about who exists. A success clears the count.

Each failure is one ``BEGIN IMMEDIATE`` read-modify-write, so two processes counting the same
account at once never lose a failure. Times are wall-clock Unix seconds (a monotonic clock means
nothing to another process or after a reboot); the clock is injectable for tests.

Every failure and every lock is a WARNING record on the ``scimaudit.signin`` logger (the dashboard
log): email, failures so far, lock length. Passwords never appear.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from scimaudit.config import Config
from scimaudit.store.review_state import review_db

LOG = logging.getLogger("scimaudit.signin")
MAX_TRACKED = 10_000
"""Accounts remembered at most (least recently failed forgotten first): a flood of made-up
emails stays small."""


@dataclass
class SignInThrottle:
    """Per-account failure counts and locks in the review store beside ``store_path``."""

    store_path: Path
    free_failures: int = 5
    window: float = 15 * 60.0
    base_lock: float = 30.0
    max_lock: float = 15 * 60.0
    clock: Callable[[], float] = time.time

    def wait_seconds(self, account: str) -> float:
        """Seconds until ``account`` may try again (0 = now)."""
        with review_db(self.store_path) as con:
            row = con.execute(
                "SELECT locked_until FROM signin_failure WHERE account = ?", [account]
            ).fetchone()
        return max(0.0, float(row[0]) - self.clock()) if row else 0.0

    def failures(self, account: str) -> int:
        """Failures counted for ``account`` in its current window (0 = none)."""
        with review_db(self.store_path) as con:
            row = con.execute(
                "SELECT failures FROM signin_failure WHERE account = ?", [account]
            ).fetchone()
        return int(row[0]) if row else 0

    def failed(self, account: str) -> float:
        """Count a failure; return the lock it caused in seconds (0 = none) and log it."""
        now = self.clock()
        with review_db(self.store_path) as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                row = con.execute(
                    "SELECT failures, first_failure, locked_until FROM signin_failure"
                    " WHERE account = ?",
                    [account],
                ).fetchone()
                failures, first, locked_until = row if row else (0, now, 0.0)
                if now - first > self.window and locked_until <= now:
                    failures, first, locked_until = 0, now, 0.0
                failures += 1
                over = failures - self.free_failures
                lock = min(self.base_lock * 2 ** (over - 1), self.max_lock) if over > 0 else 0.0
                if lock:
                    locked_until = now + lock
                con.execute(
                    "INSERT OR REPLACE INTO signin_failure"
                    " (account, failures, first_failure, last_failure, locked_until)"
                    " VALUES (?, ?, ?, ?, ?)",
                    [account, failures, first, now, locked_until],
                )
                con.execute(
                    "DELETE FROM signin_failure WHERE account IN (SELECT account FROM"
                    " signin_failure ORDER BY last_failure DESC LIMIT -1 OFFSET ?)",
                    [MAX_TRACKED],
                )
                con.execute("COMMIT")
            finally:
                if con.in_transaction:
                    con.execute("ROLLBACK")
        LOG.warning(
            "sign-in failed: account=%s failures=%d%s",
            account,
            failures,
            f" locked_for={lock:.0f}s" if lock else "",
        )
        return lock

    def refused_while_locked(self, account: str, wait: float) -> None:
        """Log a sign-in refused because the account is locked (its password was not checked)."""
        LOG.warning("sign-in refused: account=%s locked wait=%.0fs", account, wait)

    def succeeded(self, account: str) -> None:
        """A correct password: the account's count starts again from zero."""
        with review_db(self.store_path) as con:
            con.execute("DELETE FROM signin_failure WHERE account = ?", [account])


def throttle_for(config: Config) -> SignInThrottle:
    """The throttle of the store ``config`` names (the same counts in every dashboard process)."""
    return SignInThrottle(Path(config.store.path))
