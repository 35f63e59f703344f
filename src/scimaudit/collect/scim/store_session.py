"""A collect run's hold on the store: one open database, a cursor per loader thread.

The store's write lock belongs to whichever process has the file open, so the collector opens it
only while it has loading to do and closes it as soon as its queue runs dry: during a slow pull
the lock is free between chunks, and a dashboard can read. While it is open, each loader thread
works through its own cursor (a DuckDB connection sharing the one database), so two chunks load
in parallel on the two cores.

Settings, and why (measured at 1M users on the 2-core machine):

* ``checkpoint_threshold``: DuckDB writes committed rows to its log, then copies them into the
  file at a checkpoint. ``raw_scim_page`` holds few, huge rows (one per page), so all of it lives
  in one row group, and *every checkpoint rewrites every raw page stored so far*, in CPU (~2 s
  per GB) and in memory (~1x their size, outside ``memory_limit``); see the README's collector
  notes. Fewer checkpoints per pull is therefore cheaper: 512 MB of log (about 300k users) rather
  than 256 MB. Larger thresholds were faster still, but what waits for the checkpoint is held in
  DuckDB's buffer pool, and at 1 GB it came within 200 MB of the memory limit below.
* ``force_compression = 'zstd'``: DuckDB's default picks dictionary/FSST for the per-account
  ``resource`` JSON; zstd writes it with 25 % less checkpoint CPU and a 35 % smaller file (a
  1M-user snapshot: 297 MiB instead of 464 MiB). Only segments written by this process change.
* ``memory_limit``: caps DuckDB's buffer pool: data waiting for the checkpoint (~1.3x the
  threshold), the account key index, and the two loaders' working sets (up to ~1 GB together).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb

from scimaudit.store.connect import connect


class StoreSession:
    """The loader's connection to the store: opened on demand, closed by :meth:`release`."""

    MEMORY_LIMIT = "2GB"
    CHECKPOINT_THRESHOLD = "512MB"

    def __init__(self, store_path: Path, lock_timeout: float) -> None:
        self.store_path = store_path
        self.lock_timeout = lock_timeout
        self._lock = threading.Lock()
        self._cm: contextlib.AbstractContextManager[duckdb.DuckDBPyConnection] | None = None
        self._con: duckdb.DuckDBPyConnection | None = None
        self._cursors = 0

    def _open(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            cm = connect(self.store_path, lock_timeout=self.lock_timeout)
            con = cm.__enter__()
            try:
                con.execute(f"SET GLOBAL memory_limit = '{self.MEMORY_LIMIT}'")
                con.execute(f"SET GLOBAL checkpoint_threshold = '{self.CHECKPOINT_THRESHOLD}'")
                con.execute("SET GLOBAL force_compression = 'zstd'")
                con.execute("SET GLOBAL preserve_insertion_order = false")
            except BaseException:
                cm.__exit__(None, None, None)
                raise
            self._cm, self._con = cm, con
        return self._con

    @contextlib.contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for this thread's unit of work (the store is opened if it is not)."""
        with self._lock:
            cur = self._open().cursor()
            self._cursors += 1
        try:
            cur.execute("SET TimeZone = 'UTC'")
            yield cur
        finally:
            cur.close()
            with self._lock:
                self._cursors -= 1

    def release(self) -> None:
        """Close the store (checkpointing what was committed) and free the lock, if idle."""
        with self._lock:
            if self._cursors:
                return
            cm, self._cm, self._con = self._cm, None, None
            if cm is not None:
                cm.__exit__(None, None, None)
