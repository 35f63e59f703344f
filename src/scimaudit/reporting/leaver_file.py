"""Re-performable leaver test: ``leavers.csv`` and the HR extract it was drawn from.

An auditor re-performs the leaver test from the attachments alone: the HR extract (who left, when)
and one row per HR leaver of the period and in-scope app, whether or not an account was found
there. A leaver with no account in any app still appears (as "no account found" rows), so the
distinct leavers in the file reconcile to HR's leavers in the period; the build adds that
reconciliation to the pack's completeness checks, so a leaver silently dropped fails the pack.

The HR extract is attached as the normalised rows of the run's HR snapshot (what the rules read),
with ``line_no`` pointing back into the original file; the original file's own SHA-256, name, row
count and import time are printed beside it, as recorded when it was imported. "Data as of" is the
as-of given at import; when none was given it is the import time, and the page says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path, PurePath
from typing import Any

import duckdb

from scimaudit.output import to_csv
from scimaudit.reporting.leavers import LeaverCase, LeaverSummary, leaver_params
from scimaudit.reporting.lineage import ReconCheck
from scimaudit.reporting.population import copy_csv, sha256_file
from scimaudit.reporting.report_sql import fetch_dicts
from scimaudit.reporting.scope import Scope
from scimaudit.store import snapshots

LEAVERS_FILE = "leavers.csv"
HR_FILE = "hr_extract.csv"
NO_ACCOUNT = "no account found"
LEAVER_COLUMNS = (
    "employee_id",
    "person_name",
    "worker_type",
    "event",
    "event_date",
    "app",
    "account_id",
    "user_name",
    "status_by_snapshot",
    "last_active_at",
    "removed_by_snapshot",
    "removed_no_later_than",
    "removal",
    "lag_min_hours",
    "lag_max_hours",
    "outcome",
)
HR_COLUMNS = (
    "employee_id",
    "first_name",
    "last_name",
    "email",
    "status",
    "status_raw",
    "worker_type",
    "hire_date",
    "termination_date",
    "contract_end_date",
    "department",
    "title",
    "manager_id",
    "line_no",
)
IMPORT_TIME_SLACK = timedelta(minutes=1)
"""An as-of this close to the import's start was the import time (no as-of was given)."""


@dataclass(frozen=True)
class HrExtract:
    """The run's HR snapshot as attached, and the original file as recorded at import."""

    file_name: str
    original_sha256: str
    rows_in_file: int | None
    people: int
    imported_at: datetime
    as_of: datetime
    as_of_is_import_time: bool
    csv_path: Path
    sha256: str


@dataclass(frozen=True)
class LeaverFile:
    """``leavers.csv`` as written, with the figures that reconcile it to HR."""

    csv_path: Path
    sha256: str
    rows: int
    leavers: int
    hr_leavers: int
    accounts: int
    no_account_rows: int
    leavers_without_any_account: int


def _utc(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def _row(base: dict[str, Any], case: LeaverCase | None) -> dict[str, Any]:
    if case is None:
        return {
            **base,
            "account_id": "",
            "user_name": "",
            "status_by_snapshot": NO_ACCOUNT,
            "removal": NO_ACCOUNT,
            "outcome": NO_ACCOUNT,
        }
    return {
        **base,
        "last_active_at": _utc(case.last_active_at),
        "removed_by_snapshot": _utc(case.removed_by),
        "removed_no_later_than": _utc(case.removed_no_later_than),
        "removal": case.resolution,
        "lag_min_hours": case.lag_min_hours,
        "lag_max_hours": case.lag_max_hours,
        "outcome": case.outcome,
    }


def write_leavers_csv(
    con: duckdb.DuckDBPyConnection, scope: Scope, summary: LeaverSummary, out_dir: Path
) -> LeaverFile:
    """One row per HR leaver × in-scope app (× account), merged with the judged removal cases."""
    params = leaver_params(scope)
    cases = {(c.employee_id, c.app, c.account_id): c for c in summary.cases}
    rows = []
    for r in fetch_dicts(con, "leaver_rows", params):
        key = (str(r["employee_id"]), str(r["app"]), str(r["account_id"]))
        rows.append(_row(r, None if r["account_id"] is None else cases.get(key)))
    with_account = {r["employee_id"] for r in rows if r["account_id"]}
    people = {r["employee_id"] for r in rows}
    path = out_dir / LEAVERS_FILE
    path.write_text(to_csv(rows, LEAVER_COLUMNS), encoding="utf-8")
    return LeaverFile(
        csv_path=path,
        sha256=sha256_file(path),
        rows=len(rows),
        leavers=len(people),
        hr_leavers=summary.terminations + summary.contract_ends,
        accounts=sum(1 for r in rows if r["account_id"]),
        no_account_rows=sum(1 for r in rows if not r["account_id"]),
        leavers_without_any_account=len(people - with_account),
    )


def reconcile(file: LeaverFile) -> ReconCheck:
    """Distinct leavers in leavers.csv = HR leavers of the period (none silently dropped)."""
    return ReconCheck(
        LEAVERS_FILE,
        "distinct leavers in the file = HR leavers in the period",
        str(file.hr_leavers),
        str(file.leavers),
        file.leavers == file.hr_leavers,
    )


def write_hr_extract(
    con: duckdb.DuckDBPyConnection, scope: Scope, out_dir: Path
) -> HrExtract | None:
    """Attach the run's HR snapshot (normalised rows, file order) and describe the original.

    None when the run used no HR snapshot (lineage already fails the pack's completeness then).
    """
    if scope.run.hr_snapshot_id is None:
        return None
    snap = snapshots.get(con, scope.run.hr_snapshot_id)
    record = snap.completeness or {}
    path = out_dir / HR_FILE
    cols = ", ".join(
        c
        if c in ("line_no", "hire_date", "termination_date", "contract_end_date")
        else f"csv_safe({c}) AS {c}"
        for c in HR_COLUMNS
    )
    copy_csv(
        con,
        f"SELECT {cols} FROM employee WHERE snapshot_id = {int(snap.snapshot_id)} ORDER BY line_no",
        path,
    )
    people = con.execute(
        "SELECT count(*) FROM employee WHERE snapshot_id = ?", [snap.snapshot_id]
    ).fetchone()
    rows_read = record.get("rows_read")
    return HrExtract(
        file_name=PurePath(str(record.get("file") or snap.location or "")).name,
        original_sha256=snap.sha256 or "",
        rows_in_file=int(rows_read) if isinstance(rows_read, int) else None,
        people=int(people[0]) if people else 0,
        imported_at=snap.started_at,
        as_of=snap.as_of,
        as_of_is_import_time=abs(snap.as_of - snap.started_at) <= IMPORT_TIME_SLACK,
        csv_path=path,
        sha256=sha256_file(path),
    )
