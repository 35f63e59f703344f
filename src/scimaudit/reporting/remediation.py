"""Remediation in a pack: each requested revocation as requested → applied → verified.

Closed-loop remediation (:mod:`scimaudit.remediation`) records every SCIM request and the later
snapshot that proved the access gone. A pack shows that trail as of the end of its period, so the
same stored data and period give the same document even after later runs: a stage logged after the
period's last day (UTC) is not shown (the operation appears as it stood then).

An exception whose access a *verified* operation removed is printed as "remediated" with the three
dates. The match is, in order of preference: the operation was planned for that finding
(``finding_key``); it removed that account from that group; it deactivated or deleted that account.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from scimaudit.remediation import OperationStatus, operation_status
from scimaudit.reporting.population import copy_csv, sha256_file
from scimaudit.reporting.report_sql import run_sql, sql_text
from scimaudit.reporting.scope import Scope

COLUMNS = (
    "plan_id",
    "seq",
    "app",
    "action",
    "account_id",
    "user_name",
    "group_name",
    "source_kind",
    "campaign_id",
    "item_id",
    "finding_key",
    "finding_kind",
    "requested_at",
    "requested_by",
    "applied_at",
    "verified_at",
    "state",
    "detail",
)
_TYPES = {
    "seq": "INTEGER",
    "campaign_id": "BIGINT",
    "item_id": "BIGINT",
    "requested_at": "TIMESTAMPTZ",
    "applied_at": "TIMESTAMPTZ",
    "verified_at": "TIMESTAMPTZ",
}
PRINT_ORDER = (
    "requested_at, plan_id, seq NULLS LAST, app, account_id, group_name, finding_key, item_id"
)
"""Same order as remediation.csv (remediation_export.sql)."""
_APPLY_STATES = ("applied", "already_done", "conflict", "failed", "refused")


def cutoff(period_end: date) -> datetime:
    """The first instant after the period (UTC): stages logged at or after it are not shown."""
    return datetime.combine(period_end + timedelta(days=1), time(0), UTC)


def as_of(status: OperationStatus, until: datetime) -> OperationStatus | None:
    """``status`` as it stood just before ``until``; None if it was not yet requested."""
    if status.requested_at >= until:
        return None
    if status.seq is None:
        return status
    applied = status.applied_at is not None and status.applied_at < until
    verified = status.verified_at is not None and status.verified_at < until
    state: Any = "requested"
    if verified:
        state = status.state
    elif applied and status.apply_outcome in _APPLY_STATES:
        state = status.apply_outcome
    return replace(
        status,
        apply_outcome=status.apply_outcome if applied else None,
        applied_at=status.applied_at if applied else None,
        verify_outcome=status.verify_outcome if verified else None,
        verified_at=status.verified_at if verified else None,
        verify_snapshot_id=status.verify_snapshot_id if verified else None,
        state=state,
    )


def load_remediation(con: duckdb.DuckDBPyConnection, scope: Scope) -> None:
    """Materialise ``report_remediation``: operations on in-scope apps, as of the period end."""
    until = cutoff(scope.period_end)
    apps = set(scope.apps)
    rows = [
        s
        for s in (as_of(s, until) for s in operation_status(con) if s.app in apps)
        if s is not None
    ]
    cols = ", ".join(f"{c} {_TYPES.get(c, 'VARCHAR')}" for c in COLUMNS)
    con.execute(f"CREATE OR REPLACE TEMP TABLE report_remediation ({cols})")
    if not rows:
        return
    frame = pd.DataFrame([{c: s.as_dict()[c] for c in COLUMNS} for s in rows], columns=COLUMNS)
    con.register("_report_remediation_rows", frame)
    try:
        select = ", ".join(f"CAST({c} AS {_TYPES.get(c, 'VARCHAR')})" for c in COLUMNS)
        con.execute(f"INSERT INTO report_remediation SELECT {select} FROM _report_remediation_rows")
    finally:
        con.unregister("_report_remediation_rows")


def mark_remediated(con: duckdb.DuckDBPyConnection) -> None:
    """Rewrite ``report_exceptions`` so verified removals show as remediated, with their dates."""
    run_sql(con, "exceptions_remediation", {})


@dataclass(frozen=True)
class RemediationFacts:
    """Requested revocations on in-scope apps; the first ``cap`` kept for print."""

    printed: list[dict[str, Any]]
    cap: int
    states: list[tuple[str, int]]
    csv_path: Path
    sha256: str

    @property
    def total(self) -> int:
        return sum(n for _s, n in self.states)

    @property
    def truncated(self) -> bool:
        return self.total > len(self.printed)

    def count(self, state: str) -> int:
        return sum(n for s, n in self.states if s == state)


def gather_remediation(con: duckdb.DuckDBPyConnection, out_dir: Path, cap: int) -> RemediationFacts:
    """Write ``remediation.csv`` from ``report_remediation`` and keep the printed head."""
    path = out_dir / "remediation.csv"
    export = sql_text("remediation_export").strip().rstrip(";")
    copy_csv(con, export, path)
    cur = con.execute(f"SELECT * FROM report_remediation ORDER BY {PRINT_ORDER} LIMIT {int(cap)}")
    cols = [d[0] for d in cur.description or []]
    printed = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    states = con.execute(
        "SELECT state, count(*) FROM report_remediation GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    return RemediationFacts(
        printed=printed,
        cap=cap,
        states=[(str(s), int(n)) for s, n in states],
        csv_path=path,
        sha256=sha256_file(path),
    )
