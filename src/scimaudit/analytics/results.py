"""Reading analysis results back: the run summary and the findings of the latest complete run.

These are the functions the CLI, the reports and the dashboard share, so a finding reads the same
everywhere: one dict per finding with ``first_seen`` / ``last_seen`` / ``resolved_on`` from
``finding_history`` and the registry's title beside the kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import orjson

from scimaudit.analytics.registry import KIND_IDS, SEVERITY_ORDER, get_kind
from scimaudit.errors import AnalysisError


@dataclass(frozen=True)
class KindAppCount:
    """One (kind, app) line of a run: what was tested and what was found."""

    kind: str
    app: str
    tested: int
    not_assessable: int
    open: int
    exempted: int
    unit: str
    note: str | None


@dataclass(frozen=True)
class RunSummary:
    run_id: int
    as_of: date
    status: str
    snapshot_ids: dict[str, int]
    notes: tuple[str, ...]
    counts: tuple[KindAppCount, ...]
    accounts: int
    linked: int
    service: int
    unmatched: int
    ambiguous: int
    elapsed_seconds: float
    pending_deprovisioning: int = 0
    """Active accounts of leavers still inside the deprovisioning SLA: visible, not findings."""

    @property
    def open_findings(self) -> int:
        return sum(c.open for c in self.counts)

    @property
    def exempted_findings(self) -> int:
        return sum(c.exempted for c in self.counts)

    def by_kind(self) -> dict[str, tuple[int, int]]:
        """``{kind: (open, exempted)}`` over all apps, in registry order."""
        out = {k: (0, 0) for k in KIND_IDS}
        for c in self.counts:
            o, e = out.get(c.kind, (0, 0))
            out[c.kind] = (o + c.open, e + c.exempted)
        return out


def latest_run_id(con: duckdb.DuckDBPyConnection) -> int:
    """The newest complete analysis run; :class:`AnalysisError` when there is none."""
    row = con.execute("SELECT max(run_id) FROM analysis_run WHERE status = 'complete'").fetchone()
    if row is None or row[0] is None:
        raise AnalysisError("no complete analysis run in the store yet; run `scimaudit analyze`")
    return int(row[0])


def run_summary(
    con: duckdb.DuckDBPyConnection, run_id: int, *, elapsed_seconds: float = 0.0
) -> RunSummary:
    """Summarise one stored run (any status)."""
    head = con.execute(
        "SELECT as_of, status, snapshot_ids, notes FROM analysis_run WHERE run_id = ?", [run_id]
    ).fetchone()
    if head is None:
        raise AnalysisError(f"no analysis run {run_id} in the store")
    counts = con.execute(
        "WITH f AS (SELECT kind, coalesce(app, '*') AS app,"
        "   count(*) FILTER (WHERE status = 'open') AS open,"
        "   count(*) FILTER (WHERE status = 'exempted') AS exempted"
        "   FROM finding WHERE run_id = ? GROUP BY ALL)"
        " SELECT p.kind, p.app, p.tested, p.not_assessable, coalesce(f.open, 0),"
        "  coalesce(f.exempted, 0), p.unit, p.note"
        " FROM finding_population AS p LEFT JOIN f ON f.kind = p.kind AND f.app = p.app"
        " WHERE p.run_id = ?",
        [run_id, run_id],
    ).fetchall()
    order = {k: i for i, k in enumerate(KIND_IDS)}
    rows = sorted((KindAppCount(*r) for r in counts), key=lambda c: (order.get(c.kind, 99), c.app))
    links = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE account_type = 'human'),"
        " count(*) FILTER (WHERE account_type = 'service'),"
        " count(*) FILTER (WHERE account_type = 'unmatched'), count(*) FILTER (WHERE ambiguous)"
        " FROM identity_link WHERE run_id = ?",
        [run_id],
    ).fetchone()
    assert links is not None
    pending = con.execute(
        "SELECT count(*) FROM deprovision_pending WHERE run_id = ?", [run_id]
    ).fetchone()
    return RunSummary(
        run_id=run_id,
        as_of=head[0],
        status=head[1],
        snapshot_ids=orjson.loads(head[2]) if head[2] else {},
        notes=tuple(orjson.loads(head[3]) if head[3] else ()),
        counts=tuple(rows),
        accounts=int(links[0]),
        linked=int(links[1]),
        service=int(links[2]),
        unmatched=int(links[3]),
        ambiguous=int(links[4]),
        elapsed_seconds=elapsed_seconds,
        pending_deprovisioning=int(pending[0]) if pending else 0,
    )


FINDING_COLUMNS = (
    "kind",
    "app",
    "account_id",
    "user_name",
    "employee_id",
    "group_name",
    "severity",
    "status",
    "reason",
    "first_seen",
    "last_seen",
    "resolved_on",
    "finding_key",
    "run_id",
    "snapshot_ids",
    "evidence",
    "exemption",
)


def latest_findings(
    con: duckdb.DuckDBPyConnection,
    *,
    kind: str | None = None,
    app: str | None = None,
    status: str | None = None,
    run_id: int | None = None,
) -> list[dict[str, Any]]:
    """Findings of the latest complete run (or ``run_id``), most severe first.

    Each dict has the keys of :data:`FINDING_COLUMNS` plus ``title`` (the registry's); ``evidence``
    and ``exemption`` are decoded JSON. ``status`` filters ``open`` / ``exempted``.
    """
    if kind is not None:
        try:
            get_kind(kind)
        except KeyError as exc:
            raise AnalysisError(str(exc.args[0])) from None
    rid = run_id if run_id is not None else latest_run_id(con)
    sql = (
        "SELECT f.kind, f.app, f.account_id, f.user_name, f.employee_id, f.group_name, f.severity,"
        " f.status, f.reason, h.first_seen, h.last_seen, h.resolved_on, f.finding_key, f.run_id,"
        " f.snapshot_ids, f.evidence, f.exemption"
        " FROM finding AS f LEFT JOIN finding_history AS h ON h.finding_key = f.finding_key"
        " WHERE f.run_id = $run_id"
        " AND ($kind IS NULL OR f.kind = $kind) AND ($app IS NULL OR f.app = $app)"
        " AND ($status IS NULL OR f.status = $status)"
    )
    rows = con.execute(sql, {"run_id": rid, "kind": kind, "app": app, "status": status}).fetchall()
    out = []
    for row in rows:
        item = dict(zip(FINDING_COLUMNS, row, strict=True))
        item["evidence"] = orjson.loads(item["evidence"]) if item["evidence"] else {}
        item["exemption"] = orjson.loads(item["exemption"]) if item["exemption"] else None
        item["title"] = get_kind(item["kind"]).title
        out.append(item)
    order = {k: i for i, k in enumerate(KIND_IDS)}
    out.sort(
        key=lambda f: (
            SEVERITY_ORDER.get(f["severity"], 9),
            order.get(f["kind"], 99),
            f["app"] or "",
            f["user_name"] or f["account_id"] or "",
            f["group_name"] or "",
        )
    )
    return out


PENDING_COLUMNS = (
    "app",
    "account_id",
    "user_name",
    "employee_id",
    "person",
    "termination_date",
    "collected_at",
    "deadline",
    "reason",
    "run_id",
    "snapshot_id",
)


def pending_deprovisioning(
    con: duckdb.DuckDBPyConnection, *, app: str | None = None, run_id: int | None = None
) -> list[dict[str, Any]]:
    """Accounts of leavers still inside the deprovisioning SLA in the latest complete run (or
    ``run_id``), soonest deadline first: not findings (not counted anywhere), but due."""
    rid = run_id if run_id is not None else latest_run_id(con)
    cur = con.execute(
        f"SELECT {', '.join(PENDING_COLUMNS)} FROM deprovision_pending"
        " WHERE run_id = $run_id AND ($app IS NULL OR app = $app)"
        " ORDER BY deadline, app, user_name, account_id",
        {"run_id": rid, "app": app},
    )
    return [dict(zip(PENDING_COLUMNS, r, strict=True)) for r in cur.fetchall()]
