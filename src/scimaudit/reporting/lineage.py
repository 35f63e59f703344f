"""Data lineage and completeness: where every number in the report came from, and if it is whole.

PCAOB AS 1105 asks an auditor to test the completeness and accuracy of information produced by the
entity. This module gives them the means from the document itself: per source, the endpoint or file,
extraction window, pages, retries, the server-reported total against what was received and what the
store holds, and the SHA-256 of the raw data; then a reconciliation table whose rows each either
hold or do not. Counts marked "store" are recomputed from the DuckDB tables now, not copied from the
collector's own record, so a collector bug cannot vouch for itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

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
    record: str = ""


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


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _resource(record: dict[str, Any], rtype: str) -> dict[str, Any]:
    """``completeness.resources.<User|Group>`` of an app snapshot (collect/scim/completeness.py)."""
    resources = record.get("resources")
    found = resources.get(rtype) if isinstance(resources, dict) else None
    return found if isinstance(found, dict) else {}


def _counts(con: duckdb.DuckDBPyConnection, table: str, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = con.execute(
        f"SELECT snapshot_id, count(*) FROM {table} WHERE list_contains(?, snapshot_id) GROUP BY 1",
        [ids],
    ).fetchall()
    return {int(sid): int(n) for sid, n in rows}


def _page_stats(con: duckdb.DuckDBPyConnection, ids: list[int]) -> dict[int, tuple[int, int, str]]:
    """Pages stored, responses that needed a retry, first request's parameters, per snapshot."""
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


_RESOURCE_FIELDS = (
    ("pagination", "{}"),
    ("page_size", "page size {}"),
    ("expected", "totalResults {}"),
    ("recount", "recount {}"),
    ("received", "received {}"),
    ("unique", "unique {}"),
    ("duplicates_dropped", "duplicates dropped {}"),
    ("malformed", "malformed {}"),
    ("loaded", "loaded {}"),
    ("pages", "pages {}"),
    ("retries", "retries {}"),
    ("end", "end: {}"),
    ("duration_seconds", "{} s"),
)
_FILE_FIELDS = ("format", "rows_read", "imported", "rejected", "problems", "reject_file")


def _fmt(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def record_summary(snap: snapshots.Snapshot) -> str:
    """The collector's or importer's completeness record in one readable line."""
    record = snap.completeness
    if snap.source_kind == "app":
        parts = []
        for rtype in ("User", "Group"):
            res = _resource(record, rtype)
            if res:
                fields = [
                    template.format(_fmt(res[key]))
                    for key, template in _RESOURCE_FIELDS
                    if res.get(key) not in (None, "", [])
                ]
                parts.append(f"{rtype}: " + ", ".join(fields))
        shortfalls = record.get("shortfalls") or []
        if shortfalls:
            parts.append("shortfalls: " + "; ".join(map(str, shortfalls)))
        if record.get("pull_attempt", 1) != 1:
            parts.append(f"pull attempt {record.get('pull_attempt')}")
        return " | ".join(parts)
    return ", ".join(f"{k} {_fmt(record[k])}" for k in _FILE_FIELDS if record.get(k) is not None)


class _Checks:
    def __init__(self) -> None:
        self.items: list[ReconCheck] = []

    def add(self, source: str, check: str, expected: Any, actual: Any, passed: bool) -> None:
        def show(v: Any) -> str:
            return (
                "—"
                if v is None
                else f"{v:,}"
                if isinstance(v, int) and not isinstance(v, bool)
                else str(v)
            )

        self.items.append(ReconCheck(source, check, show(expected), show(actual), passed))

    def equal(self, source: str, check: str, expected: int | None, actual: int | None) -> None:
        if expected is None and actual is None:
            return
        self.add(source, check, expected, actual, expected is not None and expected == actual)


def _app_source(
    snap: snapshots.Snapshot,
    label: str,
    stats: tuple[int, int, str],
    loaded: int,
    groups: int,
    members: int,
    analysed: int,
    checks: _Checks,
) -> SourceLineage:
    users, grp = _resource(snap.completeness, "User"), _resource(snap.completeness, "Group")
    expected, received = (
        _int(users.get("expected")),
        _int(users.get("unique", users.get("received"))),
    )
    if "complete" in snap.completeness:
        shortfalls = snap.completeness.get("shortfalls") or []
        checks.add(
            label,
            "collector record: complete",
            "true",
            "true" if snap.completeness["complete"] else "; ".join(map(str, shortfalls))[:120],
            bool(snap.completeness["complete"]),
        )
    if expected is not None or users.get("end") is None:
        checks.equal(label, "users: server totalResults = unique received", expected, received)
    else:
        checks.add(
            label,
            "users: clean end of listing (no totalResults)",
            "clean end",
            users.get("end"),
            users.get("end") in ("empty_page", "no_next_cursor"),
        )
    checks.equal(label, "users: received = loaded (recounted in store)", received, loaded)
    if grp:
        g_expected, g_received = (
            _int(grp.get("expected")),
            _int(grp.get("unique", grp.get("received"))),
        )
        if g_expected is not None:
            checks.equal(
                label, "groups: server totalResults = unique received", g_expected, g_received
            )
        checks.equal(label, "groups: received = loaded (recounted in store)", g_received, groups)
    checks.equal(label, "accounts loaded = accounts analysed", loaded, analysed)
    # "Pages" = User and Group listing pages counted in the store (the record's own total also
    # counts discovery and recount requests, which made 11 disagree with its "pages 4" + "pages 2")
    pages, retried, params = stats
    retries = sum(_int(r.get("retries")) or 0 for r in (users, grp)) if users else retried
    if users.get("pagination"):
        params = f"{users.get('pagination')} pagination, page size {users.get('page_size')}"
    return SourceLineage(
        label=label,
        snapshot_id=snap.snapshot_id,
        source_kind=snap.source_kind,
        source_name=snap.source_name,
        status=snap.status,
        location=snap.location or "",
        as_of=snap.as_of,
        started_at=snap.started_at,
        finished_at=snap.finished_at,
        sha256=snap.sha256 or "",
        request_params=params,
        pages=pages,
        retries=retries,
        expected=expected,
        received=received,
        loaded=loaded,
        groups_loaded=groups,
        memberships_loaded=members,
        record=record_summary(snap),
    )


def _file_source(
    snap: snapshots.Snapshot, label: str, raw_rows: int, loaded: int, checks: _Checks
) -> SourceLineage:
    record = snap.completeness
    rows_read = _int(record.get("rows_read"))
    if rows_read is not None:
        checks.equal(label, "rows in file = raw rows stored", rows_read, raw_rows)
    rejected = _int(record.get("rejected"))
    if rejected is not None:
        checks.add(label, "rows rejected at import", 0, rejected, rejected == 0)
    if snap.source_kind == "hr":
        imported = _int(record.get("imported"))
        checks.equal(
            label,
            "people imported = people in store",
            imported if imported is not None else raw_rows,
            loaded,
        )
    return SourceLineage(
        label=label,
        snapshot_id=snap.snapshot_id,
        source_kind=snap.source_kind,
        source_name=snap.source_name,
        status=snap.status,
        location=str(record.get("file") or snap.location or ""),
        as_of=snap.as_of,
        started_at=snap.started_at,
        finished_at=snap.finished_at,
        sha256=snap.sha256 or "",
        request_params="",
        pages=0,
        retries=0,
        expected=rows_read,
        received=raw_rows,
        loaded=loaded,
        groups_loaded=None,
        memberships_loaded=None,
        record=record_summary(snap),
    )


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
    raw_rows = {**_counts(con, "raw_hr_row", ids), **_counts(con, "raw_activity_row", ids)}
    loaded = {**_counts(con, "employee", ids), **_counts(con, "activity", ids)}
    pages = _page_stats(con, ids)
    analysed = dict(
        con.execute(
            "SELECT app, count(*) FROM identity_link WHERE run_id = ? GROUP BY 1",
            [scope.run.run_id],
        ).fetchall()
    )
    checks = _Checks()
    sources: list[SourceLineage] = []
    for label, sid in wanted:
        snap = snapshots.get(con, sid)
        checks.add(label, "snapshot status", "complete", snap.status, snap.status == "complete")
        if snap.source_kind == "app":
            sources.append(
                _app_source(
                    snap,
                    label,
                    pages.get(sid, (0, 0, "")),
                    accounts.get(sid, 0),
                    groups.get(sid, 0),
                    members.get(sid, 0),
                    int(analysed.get(snap.source_name, 0)),
                    checks,
                )
            )
        else:
            sources.append(
                _file_source(snap, label, raw_rows.get(sid, 0), loaded.get(sid, 0), checks)
            )
    if scope.run.hr_snapshot_id is None:
        checks.add("hr", "HR snapshot used by the analysis", "present", "none", False)
    for app in scope.missing_apps:
        checks.add(
            f"app:{app}", "in-scope app collected and analysed", "snapshot in run", "missing", False
        )
    return sources, checks.items
