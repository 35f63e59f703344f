"""Import the HR export as a snapshot: all rows or none, unless the caller accepts rejects.

The HR export is the system of record every account is judged against, so a silently dropped row
would make a current employee look like an orphan or hide a leaver. By default any problem fails the
whole import (every problem is reported with its line) and the store keeps only a ``failed``
snapshot row. With ``allow_errors`` the bad rows go to a reject file (original columns + ``line`` +
``problem``), the rest are imported, and the snapshot's completeness record says how many were
rejected, so the gap stays visible to anyone reading the evidence.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from scimaudit.collect.hr.landing import (
    ImportResult,
    Problem,
    begin_snapshot,
    fail_snapshot,
    land_raw_rows,
    require_rows,
    run_in_transaction,
)
from scimaudit.collect.hr.normalize import EMPLOYEE_COLUMNS, NormalizedHr, check_header, normalize
from scimaudit.collect.hr.reader import RawTable, read_table
from scimaudit.config import Config
from scimaudit.errors import ConfigError, HrImportError, InputError
from scimaudit.output import csv_safe
from scimaudit.store import snapshots


def default_reject_file(path: Path) -> Path:
    """``hr.csv`` -> ``hr.rejects.csv`` beside it."""
    return path.with_suffix(".rejects.csv")


def import_hr(
    config: Config,
    *,
    path: Path | None = None,
    allow_errors: bool = False,
    reject_file: Path | None = None,
    as_of: datetime | None = None,
) -> ImportResult:
    """Read the HR export (``config.hr.path`` or ``path``) into a new ``hr`` snapshot.

    Raises :class:`HrImportError` listing every problem by line (nothing imported) unless
    ``allow_errors``; then bad rows go to ``reject_file`` (default ``<export>.rejects.csv``,
    rewritten on every such run) and the rest are imported. ``as_of`` is the moment the export
    describes (default: now).
    """
    hr = config.hr
    if hr is None:
        raise ConfigError(f"{config.source}: no [hr] section; add [hr] with path and [hr.columns]")
    source = Path(path) if path is not None else hr.path
    rejects_to = (reject_file or default_reject_file(source)) if allow_errors else None
    snapshot_id = begin_snapshot(config, "hr", "hr", source, as_of or datetime.now(UTC))
    record: dict[str, Any] = {"file": str(source), "allow_errors": allow_errors}
    try:
        raw = read_table(source, delimiter=hr.delimiter, sheet=hr.sheet)
        record.update(format=raw.file_format, **raw.details, columns=raw.columns)
        record["rows_read"] = raw.rows
        check_header(raw, hr)
        require_rows(raw, what="HR")
        checked = normalize(raw, hr)
        imported = len(checked.employees)
        rejected = int(checked.rejected.sum())
        record.update(imported=imported, rejected=rejected, problems=len(checked.problems))
        record["date_formats"] = checked.date_formats
        if checked.problems and (not allow_errors or imported == 0):
            raise HrImportError(str(source), checked.problems)
        if rejects_to is not None:
            write_rejects(rejects_to, raw, checked)
            record["reject_file"] = str(rejects_to)
        counts = {"rows": raw.rows, "employees": imported, "rejected": rejected}

        def load(con: duckdb.DuckDBPyConnection) -> None:
            land_raw_rows(con, "raw_hr_row", snapshot_id, raw)
            _insert_employees(con, snapshot_id, checked)
            snapshots.finish(
                con, snapshot_id, "complete", counts=counts, sha256=raw.sha256, completeness=record
            )

        run_in_transaction(config, load, what="HR", path=source)
    except BaseException as exc:
        fail_snapshot(config, snapshot_id, exc, record)
        raise
    return ImportResult(snapshot_id, source, raw.rows, imported, rejected, raw.sha256, rejects_to)


def _insert_employees(
    con: duckdb.DuckDBPyConnection, snapshot_id: int, checked: NormalizedHr
) -> None:
    columns = ", ".join(EMPLOYEE_COLUMNS)
    con.register("employees_in", checked.employees)
    try:
        con.execute(
            f"INSERT INTO employee (snapshot_id, {columns}) SELECT ?, {columns} FROM employees_in",
            [snapshot_id],
        )
    finally:
        con.unregister("employees_in")


def write_rejects(target: Path, raw: RawTable, checked: NormalizedHr) -> None:
    """Rejected rows: original values, line and problem(s); formula-looking cells defused."""
    by_line: dict[int, list[str]] = {}
    for line, where, message in checked.problems:
        by_line.setdefault(line, []).append(f"{where}: {message}")
    extra = [_free_name("line", raw.columns), _free_name("problem", raw.columns)]
    rows = raw.table.filter(checked.rejected).to_pylist() if checked.rejected.any() else []
    lines = raw.line_no[checked.rejected] if rows else np.empty(0, dtype=np.int64)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow([csv_safe(c) for c in [*raw.columns, *extra]])
            for row, line in zip(rows, lines, strict=True):
                cells = [row[c] for c in raw.columns]
                cells += [int(line), "; ".join(by_line.get(int(line), []))]
                writer.writerow([csv_safe(c) for c in cells])
    except OSError as exc:
        raise InputError(f"{target}: cannot write the reject file: {exc.strerror}") from None


def _free_name(name: str, taken: list[str]) -> str:
    while name in taken:
        name = "_" + name
    return name


__all__ = ["ImportResult", "Problem", "default_reject_file", "import_hr", "write_rejects"]
