"""One writer per process for the review store: a queue that batches chain appends.

Why: a campaign's log is one hash chain, so two appends must never read the same last record. Run
as independent transactions, hundreds of reviewers' decisions collided and were retried until they
were refused (issue 15). Here every write of a process is a *unit of work* (rule checks plus the
append) handed to one thread; it takes whatever units are waiting (up to :data:`MAX_BATCH`), runs
them one after another inside a single ``BEGIN IMMEDIATE`` transaction, each in its own savepoint,
and commits once. Each unit still sees the records of the units before it (its rules check the
latest state, the chain stays linear), a unit that breaks a rule is rolled back alone and its caller
gets the error, and the commit cost is shared by the batch. Callers block until their batch is
committed, so an acknowledged decision is durable.

Across processes (CLI next to the dashboard), SQLite's write lock serialises the writers' batches.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from scimaudit.config import Config
from scimaudit.errors import StoreError
from scimaudit.store.review_state import review_db

T = TypeVar("T")
MAX_BATCH = 64

Work = Callable[[sqlite3.Connection], Any]


@dataclass
class _Job:
    work: Work
    future: Future[Any]


class ReviewWriter:
    """The single writer thread of one review store (see the module docstring)."""

    def __init__(self, store_path: Path) -> None:
        self.store_path = store_path
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._thread = threading.Thread(
            target=self._run, name=f"review-writer:{store_path.name}", daemon=True
        )
        self._thread.start()

    def submit(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work`` in the next batch; return its result or raise its error."""
        job = _Job(work, Future())
        self._jobs.put(job)
        result: T = job.future.result()
        return result

    def _run(self) -> None:
        while True:
            batch = [self._jobs.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._jobs.get_nowait())
                except queue.Empty:
                    break
            self._run_batch(batch)

    def _run_batch(self, batch: list[_Job]) -> None:
        outcomes: list[tuple[_Job, bool, Any]] = []
        try:
            with review_db(self.store_path) as con:
                con.execute("BEGIN IMMEDIATE")
                try:
                    for job in batch:
                        con.execute("SAVEPOINT unit")
                        try:
                            outcomes.append((job, True, job.work(con)))
                            con.execute("RELEASE unit")
                        except BaseException as exc:  # the caller gets it, the batch goes on
                            con.execute("ROLLBACK TO unit")
                            con.execute("RELEASE unit")
                            if isinstance(exc, sqlite3.Error):  # into the documented tree
                                exc = StoreError(f"{self.store_path}: review store: {exc}")
                            outcomes.append((job, False, exc))
                    con.execute("COMMIT")
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
        except sqlite3.Error as exc:
            error = StoreError(f"{self.store_path}: review store write failed: {exc}")
            for job in batch:
                job.future.set_exception(error)
            return
        except BaseException as exc:  # pragma: no cover - keep the thread alive
            for job in batch:
                if not job.future.done():
                    job.future.set_exception(exc)
            return
        for job, ok, value in outcomes:
            if ok:
                job.future.set_result(value)
            else:
                job.future.set_exception(value)


_WRITERS: dict[Path, ReviewWriter] = {}
_LOCK = threading.Lock()


def writer_for(config: Config) -> ReviewWriter:
    """The process's writer for this config's store (started on first use)."""
    key = Path(config.store.path).resolve()
    with _LOCK:
        if key not in _WRITERS:
            _WRITERS[key] = ReviewWriter(key)
        return _WRITERS[key]


def write(config: Config, work: Callable[[sqlite3.Connection], T]) -> T:
    """Run one unit of work through the process's single review writer."""
    return writer_for(config).submit(work)
