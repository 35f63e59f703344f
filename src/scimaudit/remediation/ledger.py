"""The remediation record: apply/verify runs and the append-only, hash-chained operation log.

Why a chain: the log is the evidence that a revocation was requested, sent, answered and verified;
an auditor must be able to tell that no entry was edited or removed afterwards. Each entry's
``record_sha256`` covers its fields and the previous entry's hash *of the same plan*; the first
entry of a plan chains from the plan's own SHA-256, so the log is anchored to exactly what was
approved.
:func:`verify_log` recomputes the chain. Entries are only ever inserted.

Every entry is written in its own short transaction as soon as the outcome is known, so a run that
dies half-way leaves a log that says exactly which operations were done.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import duckdb
import orjson

from scimaudit.config import Config
from scimaudit.errors import RemediationError
from scimaudit.hashchain import Link, broken_links, canonical_hash
from scimaudit.store.connect import connect

Outcome = Literal[
    "applied",
    "already_done",
    "conflict",
    "failed",
    "refused",
    "would_apply",
    "verified",
    "still_present",
]
Mode = Literal["dry_run", "execute"]

_HASHED = (
    "run_id",
    "plan_id",
    "seq",
    "app",
    "mode",
    "outcome",
    "precondition",
    "method",
    "url",
    "request_body",
    "if_match",
    "response_status",
    "response_etag",
    "detail",
    "attempts",
    "snapshot_id",
    "actor",
    "logged_at",
    "prev_sha256",
)


@dataclass(frozen=True)
class LogEntry:
    """One outcome of one operation, before it gets its place in the chain."""

    seq: int
    app: str
    outcome: Outcome
    precondition: str | None = None
    method: str | None = None
    url: str | None = None
    request_body: dict[str, Any] | None = None
    if_match: str | None = None
    response_status: int | None = None
    response_etag: str | None = None
    detail: str | None = None
    attempts: int | None = None
    snapshot_id: int | None = None


@dataclass(frozen=True)
class LogCheck:
    """The result of :func:`verify_log` for one plan: entries checked and every break found."""

    plan_id: str
    ok: bool
    entries: int
    problems: list[str] = field(default_factory=list)


def _now() -> datetime:
    return datetime.now(UTC)


def _store(cfg: Config) -> Any:
    return connect(cfg.store.path, lock_timeout=cfg.store.lock_timeout_seconds)


def start_run(cfg: Config, plan_id: str, kind: str, mode: Mode, actor: str) -> int:
    """Register a run; refuse when another live process is running this plan right now."""
    with _store(cfg) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            busy = con.execute(
                "SELECT run_id, summary ->> 'pid' FROM remediation_run"
                " WHERE plan_id = ? AND status = 'running' AND mode = 'execute'",
                [plan_id],
            ).fetchall()
            for other_run, pid in busy:
                if mode == "execute" and pid and _alive(int(pid)):
                    raise RemediationError(
                        f"plan {plan_id} is being run right now (run {other_run}, pid {pid}); "
                        "wait for it to finish"
                    )
            row = con.execute(
                "INSERT INTO remediation_run (plan_id, kind, mode, actor, started_at, status,"
                " summary) VALUES (?, ?, ?, ?, ?, 'running', ?) RETURNING run_id",
                [plan_id, kind, mode, actor, _now(), orjson.dumps({"pid": os.getpid()}).decode()],
            ).fetchone()
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    assert row is not None
    return int(row[0])


def _alive(pid: int) -> bool:
    """Whether another run's process still runs; our own pid always counts as alive."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def finish_run(cfg: Config, run_id: int, status: str, summary: dict[str, Any]) -> None:
    """Close a run with its status and summary (JSON), in its own short transaction."""
    with _store(cfg) as con:
        con.execute(
            "UPDATE remediation_run SET finished_at = ?, status = ?, summary = ? WHERE run_id = ?",
            [_now(), status, orjson.dumps(summary, default=str).decode(), run_id],
        )


def _last_hash(con: duckdb.DuckDBPyConnection, plan_id: str) -> str:
    """The hash the plan's next log entry chains from: its last entry's, else the plan's own."""
    row = con.execute(
        "SELECT record_sha256 FROM remediation_operation_log WHERE plan_id = ?"
        " ORDER BY log_id DESC LIMIT 1",
        [plan_id],
    ).fetchone()
    if row is not None:
        return str(row[0])
    plan = con.execute(
        "SELECT sha256 FROM remediation_plan WHERE plan_id = ?", [plan_id]
    ).fetchone()
    if plan is None:
        raise RemediationError(f"no remediation plan {plan_id}")
    return str(plan[0])


def append(
    cfg: Config, run_id: int, plan_id: str, mode: Mode, actor: str, entries: list[LogEntry]
) -> None:
    """Append entries to the plan's chain in one short transaction."""
    if not entries:
        return
    with _store(cfg) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            prev = _last_hash(con, plan_id)
            for entry in entries:
                values: dict[str, Any] = {
                    "run_id": run_id,
                    "plan_id": plan_id,
                    "seq": entry.seq,
                    "app": entry.app,
                    "mode": mode,
                    "outcome": entry.outcome,
                    "precondition": entry.precondition,
                    "method": entry.method,
                    "url": entry.url,
                    "request_body": entry.request_body,
                    "if_match": entry.if_match,
                    "response_status": entry.response_status,
                    "response_etag": entry.response_etag,
                    "detail": entry.detail,
                    "attempts": entry.attempts,
                    "snapshot_id": entry.snapshot_id,
                    "actor": actor,
                    "logged_at": _now(),
                    "prev_sha256": prev,
                }
                prev = canonical_hash(values)
                row = {**values, "record_sha256": prev}
                if row["request_body"] is not None:
                    row["request_body"] = orjson.dumps(row["request_body"]).decode()
                columns = list(row)
                con.execute(
                    f"INSERT INTO remediation_operation_log ({', '.join(columns)})"
                    f" VALUES ({', '.join('?' * len(columns))})",
                    [row[c] for c in columns],
                )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise


def verify_log(con: duckdb.DuckDBPyConnection, plan_id: str) -> LogCheck:
    """Recompute the plan's log chain from the plan hash; name the first broken entries."""
    plan = con.execute(
        "SELECT sha256 FROM remediation_plan WHERE plan_id = ?", [plan_id]
    ).fetchone()
    if plan is None:
        raise RemediationError(f"no remediation plan {plan_id}")
    prev = str(plan[0])
    rows = con.execute(
        f"SELECT log_id, {', '.join(_HASHED)}, record_sha256 FROM remediation_operation_log"
        " WHERE plan_id = ? ORDER BY log_id",
        [plan_id],
    ).fetchall()
    links = []
    for row in rows:
        values = dict(zip(_HASHED, row[1:-1], strict=True))
        if values["request_body"] is not None:
            values["request_body"] = orjson.loads(values["request_body"])
        links.append(Link(f"log entry {row[0]}", values, str(row[-1])))
    problems = broken_links(
        links, prev, prev_field="prev_sha256", hash_field="record_sha256", noun="entry"
    )
    return LogCheck(plan_id, not problems, len(rows), problems)


def settled_operations(con: duckdb.DuckDBPyConnection, plan_id: str) -> dict[int, str]:
    """Operations already done by an earlier *executed* run: seq -> 'applied' | 'already_done'."""
    rows = con.execute(
        "SELECT seq, outcome FROM remediation_operation_log WHERE plan_id = ? AND mode = 'execute'"
        " AND outcome IN ('applied', 'already_done')"
        " QUALIFY row_number() OVER (PARTITION BY seq ORDER BY log_id) = 1",
        [plan_id],
    ).fetchall()
    return {int(seq): str(outcome) for seq, outcome in rows}
