"""What every file import shares: the snapshot lifecycle, landing raw rows, and the result record.

A file import is a snapshot like an app pull. The ``running`` row is registered in its own short
transaction (so a crash leaves a trace the registry later marks ``interrupted``); the file is read
and validated with no store lock held; then raw rows, normalised rows and the ``complete`` status
are written in ONE transaction, so a failure leaves nothing behind but the snapshot row marked
``failed`` with the reason.

Raw rows are loaded set-wise: the Arrow table is registered in DuckDB and turned into one JSON
object per row by ``INSERT ... SELECT json_object(...)`` (DuckDB row inserts cost about 1 ms each).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import duckdb
import pyarrow as pa

from scimaudit.collect.hr.reader import RawTable, sheet_context
from scimaudit.collect.hr.rejects import record_problems
from scimaudit.config import Config
from scimaudit.errors import InputError, Problem, RowProblemsError, ScimauditError, StoreError
from scimaudit.store import snapshots
from scimaudit.store.connect import connect

_LINE_COLUMN = "__scimaudit_line_no"


@dataclass(frozen=True)
class ImportResult:
    """The outcome of one file import (HR or activity).

    ``problems`` are the rows rejected under ``allow_errors`` (empty otherwise): the import went on
    without them, and ``partial`` says so.
    """

    snapshot_id: int
    path: Path
    rows_read: int
    imported: int
    rejected: int
    sha256: str
    reject_file: Path | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def partial(self) -> bool:
        """True when rows were rejected and the rest imported anyway (``allow_errors``)."""
        return self.rejected > 0


def quote_ident(name: str) -> str:
    """A column name from a user's file as a safe DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """A string from a user's file as a safe DuckDB SQL literal (single quotes doubled)."""
    return "'" + text.replace("'", "''") + "'"


def one_line(exc: BaseException) -> str:
    """The snapshot's ``error`` column holds one line: the headline plus the first detail."""
    lines = [line for line in str(exc).splitlines() if line.strip()] or [type(exc).__name__]
    return lines[0] if len(lines) == 1 else f"{lines[0]}; first: {lines[1]}"


def begin_snapshot(
    config: Config, kind: snapshots.SourceKind, name: str, path: Path, as_of: datetime
) -> int:
    """Register the ``running`` snapshot in its own short transaction."""
    with connect(config.store.path, lock_timeout=config.store.lock_timeout_seconds) as con:
        return snapshots.begin(con, kind, name, location=str(path), as_of=as_of)


def fail_snapshot(
    config: Config, snapshot_id: int, exc: BaseException, completeness: dict[str, Any]
) -> None:
    """Mark the snapshot failed with the reason; a refused file's problems go in its record.

    A store that cannot be reached leaves it ``running`` (the registry marks it ``interrupted`` once
    this process is gone), and the caller's original error is what the user sees.
    """
    record_problems(completeness, exc)
    if isinstance(exc, RowProblemsError):
        exc.snapshot_id = snapshot_id
    with (
        contextlib.suppress(ScimauditError, duckdb.Error),
        connect(config.store.path, lock_timeout=config.store.lock_timeout_seconds) as con,
    ):
        snapshots.finish(con, snapshot_id, "failed", completeness=completeness, error=one_line(exc))


def land_raw_rows(
    con: duckdb.DuckDBPyConnection,
    target: Literal["raw_hr_row", "raw_activity_row"],
    snapshot_id: int,
    raw: RawTable,
) -> None:
    """Insert every row read as ``(snapshot_id, line_no, record)``, record = original columns."""
    table = raw.table.append_column(_LINE_COLUMN, pa.array(raw.line_no, type=pa.int64()))
    pairs = ", ".join(f"{quote_literal(c)}, {quote_ident(c)}" for c in raw.columns)
    con.register("raw_rows_in", table)
    try:
        con.execute(
            f"INSERT INTO {target} (snapshot_id, line_no, record)"
            f" SELECT ?, {quote_ident(_LINE_COLUMN)}, json_object({pairs}) FROM raw_rows_in",
            [snapshot_id],
        )
    finally:
        con.unregister("raw_rows_in")


def run_in_transaction(
    config: Config, work: Callable[[duckdb.DuckDBPyConnection], None], *, what: str, path: Path
) -> None:
    """Run ``work(con)`` as one transaction; a DuckDB failure rolls back and is a StoreError."""
    with connect(config.store.path, lock_timeout=config.store.lock_timeout_seconds) as con:
        con.begin()
        try:
            work(con)
            con.commit()
        except duckdb.Error as exc:
            con.rollback()
            raise StoreError(f"{path}: could not store the {what} import: {exc}") from None
        except BaseException:
            con.rollback()
            raise


def require_rows(raw: RawTable, *, what: str) -> None:
    """An export with a header and no data would make everyone look gone: refuse it."""
    if raw.rows == 0:
        where = sheet_context(raw)
        raise InputError(
            f"{raw.path}: the {what} export has a header but no data rows"
            + (f"; {where}" if where else "")
        )
