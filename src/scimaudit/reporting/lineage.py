"""Data lineage and completeness: where every number in the report came from, and whether it is whole.

PCAOB AS 1105 asks an auditor to test the completeness and accuracy of information produced by the
entity. This module gives them the means from the document itself: per source, the endpoint or file,
extraction window, pages, retries, the server-reported total against what was received and what the
store holds, and the SHA-256 of the raw data; then a reconciliation table whose rows each either hold
or do not. Counts marked "store" are recomputed from the DuckDB tables now, not copied from the
collector's own record, so a collector bug cannot vouch for itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import orjson

from scimaudit.reporting.scope import Scope
from scimaudit.store import snapshots


@dataclass(frozen=True)
class SourceLineage:
    """One snapshot the analysis run used, described for the lineage table."""

    label: str
    snapshot_id: int
    source_kind: str
    source_name: str
    status: str
    location: str
    as_of: datetime
    started_at: datetime
    finished_at: datetime | None
    sha256: str
    request_params: str
    pages: int
    retries: int
    expected: int | None
    received: int | None
    loaded: int
    groups_loaded: int | None
    memberships_loaded: int | None
    record: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class ReconCheck:
    """One reconciliation line: expected against actual, and whether it holds."""

    source: str
    check: str
    expected: str
    actual: str
    passed: bool


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(_flatten(inner, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): value}


def _pick_int(flat: dict[str, Any], *names: str) -> int | None:
    """First integer among candidate keys of the completeness record (its shape is the collector's)."""
    for name in names:
        value = flat.get(name)
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.isdigit():
            return int(value)
    return None


def _expected(flat: dict[str, Any]) -> int | None:
    return _pick_int(
        flat,
        "users.expected",
        "users.total_results",
        "users.totalResults",
        "users.server_total",
        "expected_users",
        "users_expected",
        "expected.users",
        "total_results",
        "expected",
    )


def _received(flat: dict[str, Any], counts: dict[str, Any]) -> int | None:
    found = _pick_int(
        flat, "users.received", "received_users", "users_received", "received.users", "received"
    )
    return found if found is not None else _pick_int(_flatten(counts), "users", "rows")


def _counts(
    con: duckdb.DuckDBPyConnection, table: str, ids: list[int]
) -> dict[int, int]:
    if not ids:
        return {}
    rows = con.execute(
        f"SELECT snapshot_id, count(*) FROM {table} WHERE list_contains(?, snapshot_id) GROUP BY 1",
        [ids],
    ).fetchall()
    return {int(sid): int(n) for sid, n in rows}


def _page_stats(con: duckdb.DuckDBPyConnection, ids: list[int]) -> dict[int, tuple[int, int, str]]:
    """Pages received, retried responses, and the first list request's parameters, per snapshot."""
    if not ids:
        return {}
    rows = con.execute(
        "SELECT snapshot_id, count(*) FILTER (WHERE resource_type IN ('User', 'Group')),"
        " count(*) FILTER (WHERE attempt > 1),"
        " arg_min(request_params::VARCHAR, seq) FILTER (WHERE resource_type = 'User')"
        " FROM raw_scim_page WHERE list_contains(?, snapshot_id) GROUP BY 1",
        [ids],
    ).fetchall()
    return {int(r[0]): (int(r[1]), int(r[2]), r[3] or "") for r in rows}


def _record(snap: snapshots.Snapshot) -> list[tuple[str, str]]:
    flat = _flatten(snap.completeness)
    return [
        (key, orjson.dumps(value).decode() if not isinstance(value, str) else value)
        for key, value in sorted(flat.items())
    ]


def gather_lineage(
    con: duckdb.DuckDBPyConnection, scope: Scope
) -> tuple[list[SourceLineage], list[ReconCheck]]:
    """Describe every source of the run that the report depends on and reconcile its counts."""
    wanted: list[tuple[str, int]] = []
    for label, sid in sorted(scope.run.snapshot_ids.items()):
        kind, _, name = label.partition(":")
        if kind == "app" and name not in scope.apps:
            continue
        wanted.append((label, sid))
    ids = [sid for _, sid in wanted]
    accounts = _counts(con, "account", ids)
    groups = _counts(con, "scim_group", ids)
    members = _counts(con, "membership", ids)
    hr_raw = _counts(con, "raw_hr_row", ids)
    employees = _counts(con, "employee", ids)
    act_raw = _counts(con, "raw_activity_row", ids)
    activity = _counts(con, "activity", ids)
    pages = _page_stats(con, ids)
    linked = dict(
        con.execute(
            "SELECT app, count(*) FROM identity_link WHERE run_id = ? GROUP BY 1",
            [scope.run.run_id],
        ).fetchall()
    )
    sources: list[SourceLineage] = []
    checks: list[ReconCheck] = []
    for label, sid in wanted:
        snap = snapshots.get(con, sid)
        flat = _flatten(snap.completeness)
        checks.append(
            ReconCheck(label, "snapshot status", "complete", snap.status, snap.status == "complete")
        )
        page_count, retried, params = pages.get(sid, (0, 0, ""))
        expected = received = None
        if snap.source_kind == "app":
            expected, received = _expected(flat), _received(flat, snap.counts)
            loaded = accounts.get(sid, 0)
            if expected is not None and received is not None:
                checks.append(
                    ReconCheck(label, "users: server total = received", str(expected),
                               str(received), expected == received)
                )
            if received is not None:
                checks.append(
                    ReconCheck(label, "users: received = loaded (store)", str(received),
                               str(loaded), received == loaded)
                )
            in_population = int(linked.get(snap.source_name, 0))
            checks.append(
                ReconCheck(label, "accounts loaded = accounts analysed", str(loaded),
                           str(in_population), loaded == in_population)
            )
        elif snap.source_kind == "hr":
            received, loaded = hr_raw.get(sid, 0), employees.get(sid, 0)
            expected = _pick_int(flat, "rows", "rows_read", "data_rows", "expected")
            checks.append(
                ReconCheck(label, "HR rows read = people loaded", str(received), str(loaded),
                           received == loaded)
            )
        else:
            received, loaded = act_raw.get(sid, 0), activity.get(sid, 0)
        sources.append(
            SourceLineage(
                label=label,
                snapshot_id=sid,
                source_kind=snap.source_kind,
                source_name=snap.source_name,
                status=snap.status,
                location=snap.location or "",
                as_of=snap.as_of,
                started_at=snap.started_at,
                finished_at=snap.finished_at,
                sha256=snap.sha256 or "",
                request_params=params,
                pages=page_count,
                retries=retried,
                expected=expected,
                received=received,
                loaded=loaded,
                groups_loaded=groups.get(sid, 0) if snap.source_kind == "app" else None,
                memberships_loaded=members.get(sid, 0) if snap.source_kind == "app" else None,
                record=_record(snap),
            )
        )
    if scope.run.hr_snapshot_id is None:
        checks.append(ReconCheck("hr", "HR snapshot used by the analysis", "present", "none", False))
    for app in scope.missing_apps:
        checks.append(
            ReconCheck(f"app:{app}", "in-scope app collected and analysed", "snapshot in run",
                       "missing", False)
        )
    return sources, checks
