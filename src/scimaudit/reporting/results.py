"""Results: the exceptions in scope, what each rule tested, and how they bear on each control.

The PDF prints at most ``cap`` exceptions (weasyprint spends ~0.4 s and ~170 KB per table-heavy page
row budget; see DESIGN.md) and says so; ``exceptions.csv`` carries all of them. Every rule result is
shown with its tested population, so "no exceptions" never hides "nothing was tested".
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import orjson

from scimaudit.reporting.control_status import ControlResult, Coverage, judge_control, unit_label
from scimaudit.reporting.population import copy_csv, sha256_file
from scimaudit.reporting.remediation import load_remediation, mark_remediated
from scimaudit.reporting.report_sql import fetch_dicts, run_sql, sql_text
from scimaudit.reporting.scope import Scope, app_snapshots
from scimaudit.reporting.spec import ReportSpec

EXCEPTION_COLUMNS = (
    "rule_id",
    "severity",
    "status",
    "app",
    "account_id",
    "user_name",
    "employee_id",
    "person_name",
    "group_name",
    "reason",
    "evidence",
    "first_detected",
    "resolved_on",
    "approver",
    "expires",
    "acceptance_reason",
    "finding_key",
    "snapshot_ids",
    "remediation_requested_at",
    "remediation_applied_at",
    "remediation_verified_at",
)


@dataclass(frozen=True)
class ExceptionFacts:
    """All exceptions in scope, counted; the first ``cap`` of them kept for print."""

    printed: list[dict[str, Any]]
    cap: int
    counts: list[tuple[str, str, str, str, int]]
    """(kind, app or "(cross-app)", status, severity, count)."""
    csv_path: Path
    sha256: str
    people_counts: list[tuple[str, str, int]] = field(default_factory=list)
    """(kind, status or "*" for all, distinct people): a person is the HR employee id, or the
    account itself when it is tied to nobody. Rows are accounts; people are what a reader asks."""

    def people(self, kind: str, status: str = "*") -> int:
        """Distinct people with an exception of ``kind`` (and ``status``): not accounts or rows."""
        return sum(n for k, st, n in self.people_counts if k == kind and st == status)

    @property
    def total(self) -> int:
        return sum(c[4] for c in self.counts)

    @property
    def truncated(self) -> bool:
        return self.total > len(self.printed)

    def count(
        self,
        *,
        kind: str | None = None,
        status: str | None = None,
        severity: str | None = None,
        app: str | None = None,
    ) -> int:
        return sum(
            n
            for k, a, st, sev, n in self.counts
            if (kind is None or k == kind)
            and (status is None or st == status)
            and (severity is None or sev == severity)
            and (app is None or a == app)
        )

    @property
    def by_kind_app(self) -> list[tuple[str, str, int]]:
        merged: Counter[tuple[str, str]] = Counter()
        for k, a, _st, _sev, n in self.counts:
            merged[(k, a)] += n
        return [(k, a, n) for (k, a), n in sorted(merged.items())]


def _plain(value: Any) -> str:
    """One evidence value as words, never JSON: lists joined by commas, nested objects as
    ``key value`` pairs in parentheses, null as "none", booleans as yes/no."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value) if value else "none"
    if isinstance(value, dict):
        return "(" + ", ".join(f"{k} {_plain(v)}" for k, v in value.items()) + ")"
    return str(value)


def evidence_text(raw: str | None, limit: int = 240) -> str:
    """Evidence JSON as ``key: value; …`` plain text for print, truncated (the CSV keeps the
    JSON whole)."""
    if not raw:
        return ""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        text = raw
    else:
        if isinstance(value, dict):
            text = "; ".join(f"{k}: {_plain(v)}" for k, v in value.items())
        else:
            text = _plain(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def gather_exceptions(
    con: duckdb.DuckDBPyConnection, scope: Scope, spec: ReportSpec, out_dir: Path, cap: int
) -> ExceptionFacts:
    """Materialise ``report_exceptions``, write ``exceptions.csv`` and keep the printed head.

    Also materialises ``report_remediation`` (see :mod:`scimaudit.reporting.remediation`): an
    exception whose access a verified operation removed by the period end is "remediated".
    """
    params = {
        "run_id": scope.run.run_id,
        "hr_snapshot_id": scope.run.hr_snapshot_id,
        "apps": list(scope.apps),
        "kinds": list(spec.exception_kinds),
        "privileged_only": spec.privileged_only,
        "period_start": scope.period_start,
        "as_of": scope.run.as_of,
    }
    run_sql(con, "exceptions", params)
    load_remediation(con, scope)
    mark_remediated(con)
    path = out_dir / "exceptions.csv"
    export = sql_text("exceptions_export").strip().rstrip(";")
    copy_csv(con, export, path)
    ordered = (
        "SELECT * FROM report_exceptions ORDER BY severity_rank(severity), kind,"
        " app NULLS FIRST, account_id NULLS FIRST, finding_key"
    )
    cur = con.execute(f"{ordered} LIMIT {int(cap)}")
    cols = [d[0] for d in cur.description or []]
    printed = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    for row in printed:
        row["evidence_text"] = evidence_text(row["evidence"])
    counts = con.execute(
        "SELECT kind, coalesce(app, '(cross-app)'), status, severity, count(*)"
        " FROM report_exceptions GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    people = con.execute(sql_text("exception_people")).fetchall()
    return ExceptionFacts(
        printed=printed,
        cap=cap,
        counts=[(str(k), str(a), str(st), str(sev), int(n)) for k, a, st, sev, n in counts],
        people_counts=[(str(k), str(st), int(n)) for k, st, n in people],
        csv_path=path,
        sha256=sha256_file(path),
    )


def rows_of_kind(con: duckdb.DuckDBPyConnection, kind: str, cap: int) -> list[dict[str, Any]]:
    """The first ``cap`` exceptions of one kind, in print order (for a report-specific test)."""
    cur = con.execute(
        "SELECT * FROM report_exceptions WHERE kind = ? ORDER BY severity_rank(severity),"
        " app NULLS FIRST, account_id NULLS FIRST, finding_key LIMIT ?",
        [kind, cap],
    )
    cols = [d[0] for d in cur.description or []]
    rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    for row in rows:
        row["evidence_text"] = evidence_text(row["evidence"])
    return rows


def gather_rule_population(
    con: duckdb.DuckDBPyConnection, scope: Scope, spec: ReportSpec
) -> list[dict[str, Any]]:
    """``finding_population`` rows of the run for in-scope apps (and cross-app rows).

    Each row gets ``tested_text`` (the count with its unit: one unit per cell) and ``listing``:
    a kind the pack does not report as exceptions (privileged access is a listing, stale ids a
    data-quality note) shows its count as listed, so 5.1 never shows "exceptions" the control
    table does not count.
    """
    rows = fetch_dicts(
        con,
        "rule_population",
        {
            "run_id": scope.run.run_id,
            "apps": list(scope.apps),
            "known_apps": sorted(set(app_snapshots(scope.run)) | set(scope.apps)),
        },
    )
    for row in rows:
        row["tested_text"] = unit_label(str(row["unit"]), int(row["tested"]))
        row["listing"] = row["kind"] not in spec.exception_kinds
    return rows


def map_controls(
    spec: ReportSpec,
    rule_population: list[dict[str, Any]],
    exceptions: ExceptionFacts,
    coverage: Coverage,
) -> list[ControlResult]:
    """Per control: the verdict (:mod:`scimaudit.reporting.control_status`) over the population
    its rules tested and the exceptions (all statuses in the period) of its exception kinds."""
    out = []
    for control in spec.controls:
        kinds = [k for k in control.finding_kinds if k in spec.exception_kinds]
        out.append(
            judge_control(
                control,
                rule_population,
                coverage,
                exceptions=sum(exceptions.count(kind=k) for k in kinds),
                open_exceptions=sum(exceptions.count(kind=k, status="open") for k in kinds),
            )
        )
    return out


def gather_privileged(
    con: duckdb.DuckDBPyConnection, scope: Scope, cap: int
) -> list[dict[str, Any]]:
    """Privileged accounts in scope, holders with other findings first, at most ``cap`` rows."""
    return fetch_dicts(
        con,
        "privileged",
        {
            "run_id": scope.run.run_id,
            "hr_snapshot_id": scope.run.hr_snapshot_id,
            "apps": list(scope.apps),
            "cap": cap,
        },
    )
