"""Opening the DuckDB store: short-lived connections, retried while another process holds the lock.

DuckDB lets one process open a file read-write, and while it does, no other process can open it at
all. So every unit of work (a collector's load step, a dashboard request, a decision) opens the
store, does its work in a short transaction and closes it; a caller that finds the file locked
waits and retries with backoff for up to ``lock_timeout`` seconds instead of failing. Long network
work (collecting) lands in the page archive on disk first, so the lock is only held while loading.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from scimaudit.errors import StoreError, StoreLockedError
from scimaudit.store.migrations import check_version, migrate
from scimaudit.store.review_state import attach_review_state

_LOCK_MARKERS = ("Could not set lock", "Conflicting lock", "lock on file")


def _is_lock_error(exc: BaseException) -> bool:
    return any(marker in str(exc) for marker in _LOCK_MARKERS)


@contextmanager
def connect(
    path: str | Path,
    *,
    read_only: bool = False,
    lock_timeout: float = 30.0,
    migrate_schema: bool = True,
    review_state: bool = True,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the store (creating and migrating it when writable), retrying while it is locked.

    With ``review_state``, the review workflow state (kept in SQLite, see
    :mod:`scimaudit.store.review_state`) is visible as read-only temp views under its old names.
    """
    path = Path(path)
    if read_only and not path.exists():
        raise StoreError(f"{path}: store does not exist yet (run `scimaudit collect` first)")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + lock_timeout
    delay = 0.05
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.Error as exc:
            if not _is_lock_error(exc):
                raise StoreError(f"{path}: cannot open store: {exc}") from None
            if time.monotonic() >= deadline:
                raise StoreLockedError(
                    f"{path}: store is locked by another scimaudit process (waited "
                    f"{lock_timeout:.0f}s); try again when it finishes"
                ) from None
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 1.0)
    try:
        con.execute("SET TimeZone = 'UTC'")
        if migrate_schema and not read_only:
            migrate(con)
        elif read_only:
            check_version(con)
        if review_state:
            attach_review_state(con, path)
        yield con
    finally:
        con.close()
