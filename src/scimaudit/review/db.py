"""Small store helpers for the review package: one connection per unit of work, whole results.

DuckDB 2 refuses ``register`` while an earlier result is only partly fetched, and ``fetchone()``
leaves a result open; fetching whole (small) results keeps every connection reusable within a
transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import duckdb
import pandas as pd

from scimaudit.config import Config
from scimaudit.store.connect import connect
from scimaudit.store.review_state import attach_review_state


@contextmanager
def open_store(config: Config) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection for one unit of work (the dashboard never mixes in read-only ones:
    DuckDB refuses two configurations of one file in one process)."""
    with connect(config.store.path, lock_timeout=config.store.lock_timeout_seconds) as con:
        yield con


@contextmanager
def review_view(
    config: Config, campaign_id: int | None = None, *, reviewer_id: str | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB connection over a copy of the review state (all, one campaign's, or
    what one reviewer's queue in it needs).

    Review screens read through this, never through the DuckDB store file, so a reviewer's page
    neither waits for `analyze` nor holds the file lock it needs. One thread: these are small
    reads, and hundreds of reviewers' pages run at once.
    """
    con = duckdb.connect(config={"threads": 1})
    try:
        con.execute("SET TimeZone = 'UTC'")
        attach_review_state(
            con, config.store.path, campaign_id=campaign_id, reviewer_id=reviewer_id
        )
        yield con
    finally:
        con.close()


def fetch_one(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | dict[str, Any] | None = None
) -> tuple[Any, ...] | None:
    """The first row of a query (or None), with the result fully consumed."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def insert_frame(
    con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, columns: Sequence[str]
) -> None:
    """INSERT the frame's ``columns`` into ``table`` in one statement."""
    name = f"_frame_{table}"
    con.register(name, frame[list(columns)])
    try:
        cols = ", ".join(columns)
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {name}")
    finally:
        con.unregister(name)
