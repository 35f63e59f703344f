"""A collect run's hold on the store: one open database, a cursor per loader thread.

The store's write lock belongs to whichever process has the file open, so the collector opens it
only while it has loading to do and closes it as soon as its queue runs dry: during a slow pull
the lock is free between chunks, and a dashboard can read. While it is open, each loader thread
works through its own cursor (a DuckDB connection sharing the one database), so two chunks load
in parallel on the two cores.

Settings, and why (measured at 1M users, 10k groups, 2M memberships, on the 2-core machine):

* ``memory_limit`` (1 GB): caps DuckDB's buffer pool, which holds rows waiting for the next
  checkpoint, cached blocks, the account key index, and each loader's working set while it parses
  an archive file's pages (a few hundred MB for an 8 MiB file of 1000-member group pages). With
  it, the collector's peak RSS was ~0.85-0.99 GB at 1M users and the same at 2M: it does not grow
  with the tenant. 512-640 MB ran out of memory on the group pages.
* ``checkpoint_threshold`` (64 MB): committed rows live in memory until a checkpoint writes them
  to the file. At 512 MB nothing was checkpointed during a 1M-user pull and those rows reached
  ~400 MB; at 64 MB they stay near 50-90 MB, for the same speed. (Before the page archive,
  checkpoints rewrote every stored page and had to be rare; see migration 005.)
* ``threads`` (1): the parallelism is the two loader threads, each loading its own archive file;
  DuckDB's own threads inside each load added overhead (a serial load of 1M users took 11.8 s
  with one thread, 13.8 s with two) and a 1M-user pull ran 5 % faster without them.
* ``force_compression = 'zstd'``: a 1M-user pull ran 8 % faster than with DuckDB's default
  choice (dictionary/FSST), for a 180 MB instead of 150 MB store.
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

    MEMORY_LIMIT = "1GB"
    CHECKPOINT_THRESHOLD = "64MB"
    THREADS = 1

    def __init__(self, store_path: Path, lock_timeout: float) -> None:
        self.store_path = store_path
        self.lock_timeout = lock_timeout
        self._lock = threading.Lock()
        self._cm: contextlib.AbstractContextManager[duckdb.DuckDBPyConnection] | None = None
        self._con: duckdb.DuckDBPyConnection | None = None
        self._cursors = 0

    def _open(self) -> duckdb.DuckDBPyConnection:
        """Open the store on first use with the loader settings (the module docstring says why)."""
        if self._con is None:
            cm = connect(self.store_path, lock_timeout=self.lock_timeout)
            con = cm.__enter__()
            try:
                con.execute(f"SET GLOBAL memory_limit = '{self.MEMORY_LIMIT}'")
                con.execute(f"SET GLOBAL checkpoint_threshold = '{self.CHECKPOINT_THRESHOLD}'")
                con.execute("SET GLOBAL force_compression = 'zstd'")
                con.execute("SET GLOBAL preserve_insertion_order = false")
                con.execute(f"SET GLOBAL threads = {self.THREADS}")
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
