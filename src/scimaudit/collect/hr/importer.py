"""Import the HR export as a snapshot: all rows or none, unless the config accepts rejects.

The HR export is the system of record every account is judged against, so a silently dropped row
would make a current employee look like an orphan or hide a leaver. By default any problem fails the
whole import (every problem is reported with its line), the store keeps only a ``failed`` snapshot
row whose record lists the problems, and the refused rows are written to a reject file (original
columns + ``line`` + ``problem``) for HR to correct. With ``allow_errors`` (``[hr] allow_errors``)
the rest are imported and the snapshot is *partial*: still usable, but its completeness record says
``partial`` and how many rows were rejected, so the gap stays visible to anyone reading the evidence
(analysis notes it; an evidence pack refuses it without ``--force``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from scimaudit.collect.hr.landing import (
    ImportResult,
    begin_snapshot,
    fail_snapshot,
    land_raw_rows,
    require_rows,
    run_in_transaction,
)
from scimaudit.collect.hr.normalize import EMPLOYEE_COLUMNS, NormalizedHr, check_header, normalize
from scimaudit.collect.hr.reader import read_table, sheet_context
from scimaudit.collect.hr.rejects import (
    RECORDED_PROBLEMS,
    default_reject_file,
    failed_import_reject_file,
    problem_dicts,
    rejects_for_failure,
    write_rejects,
)
from scimaudit.config import Config
from scimaudit.errors import ConfigError, HrImportError, Problem
from scimaudit.store import snapshots


def import_hr(
    config: Config,
    *,
    path: Path | None = None,
    allow_errors: bool | None = None,
    reject_file: Path | None = None,
    as_of: datetime | None = None,
) -> ImportResult:
    """Read the HR export (``config.hr.path`` or ``path``) into a new ``hr`` snapshot.

    Raises :class:`HrImportError` listing every problem by line (nothing imported) unless
    ``allow_errors``; then the rest are imported. Either way bad rows go to ``reject_file``
    (default ``[hr] reject_file``; else ``<export>.rejects.csv`` under ``allow_errors``, or
    ``<store>.rejects/<snapshot>-<export>.csv`` for a refused import). ``allow_errors`` and
    ``reject_file`` default to the ``[hr]`` config. ``as_of`` is the moment the export describes
    (default: now).
    """
    hr = config.hr
    if hr is None:
        raise ConfigError(f"{config.source}: no [hr] section; add [hr] with path and [hr.columns]")
    source = Path(path) if path is not None else hr.path
    if allow_errors is None:
        allow_errors = hr.allow_errors
    reject_file = reject_file or hr.reject_file
    rejects_to = reject_file or default_reject_file(source)
    snapshot_id = begin_snapshot(config, "hr", "hr", source, as_of or datetime.now(UTC))
    record: dict[str, Any] = {"file": str(source), "allow_errors": allow_errors}
    try:
        raw = read_table(source, delimiter=hr.delimiter, sheet=hr.sheet)
        record.update(format=raw.file_format, **raw.details, columns=raw.columns)
        if raw.sheets:
            record["sheets"] = list(raw.sheets)
        record["rows_read"] = raw.rows
        context = sheet_context(raw)
        check_header(raw, hr, context=context)
        require_rows(raw, what="HR")
        checked = normalize(raw, hr)
        imported = len(checked.employees)
        rejected = int(checked.rejected.sum())
        record.update(imported=imported, rejected=rejected, problems=len(checked.problems))
        record["date_formats"] = checked.date_formats
        if checked.problems and (not allow_errors or imported == 0):
            record["imported"] = 0  # the good rows were read, but none was stored
            target = reject_file or failed_import_reject_file(
                config.store.path, snapshot_id, source
            )
            written, note = rejects_for_failure(target, raw, checked.problems)
            context = "; ".join(x for x in (context, note) if x)
            raise HrImportError(str(source), checked.problems, context=context, reject_file=written)
        partial = bool(checked.problems)
        if allow_errors:  # rewritten even when empty, so no stale rejects are mistaken for new
            write_rejects(rejects_to, raw, checked.problems)
            record["reject_file"] = str(rejects_to)
        if partial:
            record["partial"] = True
            listed = checked.problems[:RECORDED_PROBLEMS]
            record["problem_list"] = problem_dicts(listed, str(source))
        counts = {"rows": raw.rows, "employees": imported, "rejected": rejected}

        def load(con: duckdb.DuckDBPyConnection) -> None:
            """One transaction: land the raw rows, insert employees, mark the snapshot complete."""
            land_raw_rows(con, "raw_hr_row", snapshot_id, raw)
            _insert_employees(con, snapshot_id, checked)
            snapshots.finish(
                con, snapshot_id, "complete", counts=counts, sha256=raw.sha256, completeness=record
            )

        run_in_transaction(config, load, what="HR", path=source)
    except BaseException as exc:
        fail_snapshot(config, snapshot_id, exc, record)
        raise
    return ImportResult(
        snapshot_id,
        source,
        raw.rows,
        imported,
        rejected,
        raw.sha256,
        rejects_to if allow_errors else None,
        checked.problems if partial else [],
    )


def _insert_employees(
    con: duckdb.DuckDBPyConnection, snapshot_id: int, checked: NormalizedHr
) -> None:
    """Copy the accepted employee rows into ``employee`` under the snapshot, in one INSERT."""
    columns = ", ".join(EMPLOYEE_COLUMNS)
    con.register("employees_in", checked.employees)
    try:
        con.execute(
            f"INSERT INTO employee (snapshot_id, {columns}) SELECT ?, {columns} FROM employees_in",
            [snapshot_id],
        )
    finally:
        con.unregister("employees_in")


__all__ = ["ImportResult", "Problem", "default_reject_file", "import_hr", "write_rejects"]
