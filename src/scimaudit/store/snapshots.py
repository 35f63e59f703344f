"""The snapshot registry: one row per collection run per source, and which ones count.

A snapshot is ``running`` while its source is read, then ``complete``, ``failed`` or ``suspect``.
Only complete snapshots feed analysis; a failed one is kept for diagnosis. A ``suspect`` one
reconciled by its own record but its user count collapsed against the app's last complete snapshot
(a server answering "no users" is more often broken than empty): it is held out of analysis until an
operator accepts it (:func:`accept`, recorded with who and why), when it becomes ``complete``.
The *current* snapshot of a source as of a moment is its latest complete one whose ``as_of`` is
not after that moment, so a failed or suspect pull never replaces the last good one. A ``running``
row whose process is gone (killed collector) is marked failed as ``interrupted`` the next time
anyone collects.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import duckdb
import orjson

from scimaudit import __version__
from scimaudit.errors import InputError, SnapshotNotFoundError

SourceKind = Literal["app", "hr", "activity"]
Status = Literal["running", "complete", "failed", "suspect"]


@dataclass(frozen=True)
class Snapshot:
    """One ``snapshot`` row, with ``counts`` and ``completeness`` decoded from JSON."""

    snapshot_id: int
    source_kind: str
    source_name: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    as_of: datetime
    location: str | None
    counts: dict[str, Any]
    sha256: str | None
    completeness: dict[str, Any]
    error: str | None


_COLUMNS = (
    "snapshot_id, source_kind, source_name, status, started_at, finished_at, as_of, location,"
    " counts, sha256, completeness, error"
)


def _row(row: tuple[Any, ...]) -> Snapshot:
    values = list(row)
    values[8] = orjson.loads(values[8]) if values[8] else {}
    values[10] = orjson.loads(values[10]) if values[10] else {}
    return Snapshot(*values)


def begin(
    con: duckdb.DuckDBPyConnection,
    kind: SourceKind,
    name: str,
    *,
    location: str | None,
    as_of: datetime | None = None,
) -> int:
    """Register a running snapshot and return its id.

    The times are read from Python's clock, not DuckDB's ``current_timestamp``: every date the
    product records or decides from then comes from one clock, which tests can set.
    """
    started = datetime.now(UTC)
    row = con.execute(
        "INSERT INTO snapshot (source_kind, source_name, status, started_at, as_of, location,"
        " tool_version, runner_pid)"
        " VALUES (?, ?, 'running', ?, ?, ?, ?, ?)"
        " RETURNING snapshot_id",
        [kind, name, started, as_of or started, location, __version__, os.getpid()],
    ).fetchone()
    assert row is not None
    return int(row[0])


def finish(
    con: duckdb.DuckDBPyConnection,
    snapshot_id: int,
    status: Literal["complete", "failed", "suspect"],
    *,
    counts: dict[str, Any] | None = None,
    sha256: str | None = None,
    completeness: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    """Close a snapshot as complete, failed or suspect with its record."""
    con.execute(
        "UPDATE snapshot SET status = ?, finished_at = ?, counts = ?, sha256 = ?,"
        " completeness = ?, error = ? WHERE snapshot_id = ?",
        [
            status,
            datetime.now(UTC),
            orjson.dumps(counts or {}).decode(),
            sha256,
            orjson.dumps(completeness or {}).decode(),
            error,
            snapshot_id,
        ],
    )


def _pid_alive(pid: int | None) -> bool:
    """Whether the collecting process still runs (signal 0; another user's process counts)."""
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_interrupted(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Mark ``running`` snapshots whose process is gone as failed (``interrupted``)."""
    rows = con.execute(
        "SELECT snapshot_id, runner_pid FROM snapshot WHERE status = 'running'"
    ).fetchall()
    dead = [sid for sid, pid in rows if not _pid_alive(pid)]
    for sid in dead:
        finish(
            con, sid, "failed", error="interrupted: the collecting process ended before finishing"
        )
    return dead


def fail_own_running(con: duckdb.DuckDBPyConnection, reason: str) -> list[int]:
    """Mark this process's ``running`` snapshots failed (a collect interrupted in-process)."""
    rows = con.execute(
        "SELECT snapshot_id FROM snapshot WHERE status = 'running' AND runner_pid = ?",
        [os.getpid()],
    ).fetchall()
    for (sid,) in rows:
        finish(con, sid, "failed", error=f"interrupted: {reason}")
    return [int(sid) for (sid,) in rows]


def list_snapshots(
    con: duckdb.DuckDBPyConnection, *, source_name: str | None = None, limit: int | None = None
) -> list[Snapshot]:
    """Snapshots newest first, optionally of one source and at most ``limit`` of them."""
    sql = f"SELECT {_COLUMNS} FROM snapshot"
    params: list[Any] = []
    if source_name:
        sql += " WHERE source_name = ?"
        params.append(source_name)
    sql += " ORDER BY snapshot_id DESC"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return [_row(r) for r in con.execute(sql, params).fetchall()]


def get(con: duckdb.DuckDBPyConnection, snapshot_id: int) -> Snapshot:
    """One snapshot by id; a missing id is :class:`SnapshotNotFoundError` (a clean CLI message)."""
    row = con.execute(
        f"SELECT {_COLUMNS} FROM snapshot WHERE snapshot_id = ?", [snapshot_id]
    ).fetchone()
    if row is None:
        raise SnapshotNotFoundError(f"no snapshot with id {snapshot_id}")
    return _row(row)


def current(
    con: duckdb.DuckDBPyConnection, kind: SourceKind, name: str, *, as_of: datetime | None = None
) -> Snapshot | None:
    """Latest complete snapshot of a source whose data is not newer than ``as_of`` (default now)."""
    row = con.execute(
        f"SELECT {_COLUMNS} FROM snapshot WHERE source_kind = ? AND source_name = ?"
        " AND status = 'complete' AND as_of <= ?"
        " ORDER BY as_of DESC, snapshot_id DESC LIMIT 1",
        [kind, name, as_of or datetime.now(UTC)],
    ).fetchone()
    return _row(row) if row else None


def current_all(
    con: duckdb.DuckDBPyConnection, *, as_of: datetime | None = None
) -> dict[tuple[str, str], Snapshot]:
    """Current complete snapshot of every source, keyed by (kind, name)."""
    rows = con.execute(
        f"SELECT {_COLUMNS} FROM snapshot WHERE status = 'complete'"
        " AND as_of <= ?"
        " QUALIFY row_number() OVER (PARTITION BY source_kind, source_name"
        "   ORDER BY as_of DESC, snapshot_id DESC) = 1",
        [as_of or datetime.now(UTC)],
    ).fetchall()
    return {(s.source_kind, s.source_name): s for s in map(_row, rows)}


def accept(
    con: duckdb.DuckDBPyConnection, snapshot_id: int, *, accepted_by: str, reason: str
) -> Snapshot:
    """Confirm a ``suspect`` snapshot: it becomes ``complete`` (and current, if newest).

    The acceptance is appended to ``snapshot_acceptance`` with who, when, why and the reason the
    snapshot was held; the completeness record gains the same under ``accepted``. Only a suspect
    snapshot can be accepted: accepting a failed pull would let a partial one feed findings.
    """
    snap = get(con, snapshot_id)
    if snap.status != "suspect":
        raise InputError(
            f"snapshot {snapshot_id} is {snap.status}, not suspect: only a suspect snapshot "
            "can be accepted"
        )
    if not reason.strip() or not accepted_by.strip():
        raise InputError("accepting a suspect snapshot needs who and why")
    con.execute("BEGIN TRANSACTION")
    try:
        row = con.execute(
            "INSERT INTO snapshot_acceptance VALUES (?, current_timestamp, ?, ?, ?)"
            " RETURNING accepted_at",
            [snapshot_id, accepted_by, reason, snap.error],
        ).fetchone()
        assert row is not None
        record = dict(snap.completeness)
        record["accepted"] = {
            "by": accepted_by,
            "reason": reason,
            "at": row[0].isoformat(),
            "held_because": snap.error,
        }
        con.execute(
            "UPDATE snapshot SET status = 'complete', completeness = ?, error = NULL"
            " WHERE snapshot_id = ?",
            [orjson.dumps(record).decode(), snapshot_id],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return get(con, snapshot_id)
