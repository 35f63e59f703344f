"""Import a sign-in / last-login export (``[[activity]]``) as a snapshot.

SCIM has no standard last-login attribute, so "stale access" needs an activity signal from
elsewhere: an identity provider's sign-in log or an app's last-login report. Each export becomes an
``activity`` snapshot named after the file (``signins.csv`` -> ``signins``), read through the same
reader as the HR export (CSV in any dialect, XLSX, Parquet) with the same all-or-nothing rule: a
missing login, a missing app or a timestamp no format reads fails the import with every problem by
line, the rows refused written to a reject file (``<store>.rejects/<snapshot>-<export>.csv``, or
``reject_file``) and the problems kept in the failed snapshot's record.

The ``activity`` table keeps one row per (app, login): the latest time seen, so a log with one row
per sign-in and a report with one row per user both work. An empty timestamp means the export says
the user never signed in (NULL), which is evidence of staleness, unlike an app with no export at
all. Timestamps are ISO 8601 (offsets honoured) or a configured strptime format; without an offset
they are taken as UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from scimaudit.collect.hr.dates import describe_formats, parse_instants
from scimaudit.collect.hr.landing import (
    ImportResult,
    begin_snapshot,
    fail_snapshot,
    land_raw_rows,
    require_rows,
    run_in_transaction,
)
from scimaudit.collect.hr.normalize import clean_text, header_has, with_sheet_hint
from scimaudit.collect.hr.reader import RawTable, read_table, sheet_context
from scimaudit.collect.hr.rejects import failed_import_reject_file, rejects_for_failure
from scimaudit.config import ActivityConfig, Config
from scimaudit.errors import Problem, RowProblemsError
from scimaudit.store import snapshots


class ActivityImportError(RowProblemsError):
    """The activity export has bad rows; ``problems`` lists ``(line, field, message)`` for each."""

    what = "activity import"


def _check_header(raw: RawTable, activity: ActivityConfig) -> None:
    """Fail before reading any row when a configured column is missing from the header.

    One error lists every missing column with the header actually found (and a sheet hint for XLSX),
    so a wrong mapping is fixed in one go instead of showing up as one bad cell per row.
    """
    wanted = {
        "app_column": activity.app_column,
        "user_column": activity.user_column,
        "last_seen_column": activity.last_seen_column,
    }
    have = header_has(raw)
    problems: list[Problem] = [
        (
            raw.header_line,
            f"activity.{key}",
            f"column {col!r} is not in the header; {have}",
        )
        for key, col in wanted.items()
        if col is not None and col not in raw.columns
    ]
    if problems:
        columns = [c for c in wanted.values() if c is not None]
        context = with_sheet_hint(sheet_context(raw), raw, columns)
        raise ActivityImportError(str(raw.path), problems, context=context)


def _rows(raw: RawTable, activity: ActivityConfig) -> pd.DataFrame:
    """(app, login, last_seen, line_no) per row read; raises with every bad row by line."""
    frame = raw.frame()
    lines = raw.line_no
    problems: list[Problem] = [(line, "(row)", message) for line, message in raw.ragged]

    def flag(mask: pd.Series, where: str, message: Callable[[int], str]) -> None:
        """Record one problem per row where ``mask`` holds, at the row's line in the export."""
        for p in np.flatnonzero(mask.to_numpy(dtype=bool, na_value=False)):
            problems.append((int(lines[p]), where, message(int(p))))

    login = clean_text(frame[activity.user_column])
    flag(login.isna(), activity.user_column, lambda p: "missing login")
    if activity.app_column is not None:
        app = clean_text(frame[activity.app_column])
        flag(app.isna(), activity.app_column, lambda p: "missing app name")
    else:
        app = pd.Series([activity.app] * len(frame), dtype="str")
    seen = clean_text(frame[activity.last_seen_column])
    parsed = parse_instants(seen, activity.timestamp_formats)
    tried = describe_formats(activity.timestamp_formats)
    flag(
        parsed.invalid,
        activity.last_seen_column,
        lambda p: f"unparseable timestamp {seen.iat[p]!r} (formats tried: {tried})",
    )
    if problems:
        problems.sort(key=lambda item: item[0])
        raise ActivityImportError(str(raw.path), problems)
    return pd.DataFrame({"app": app, "login": login, "last_seen": parsed.values, "line_no": lines})


def import_activity(
    config: Config, activity: ActivityConfig, *, as_of: datetime | None = None
) -> ImportResult:
    """Read one ``[[activity]]`` export into a new ``activity`` snapshot named after the file."""
    source = activity.path
    snapshot_id = begin_snapshot(
        config, "activity", source.stem, source, as_of or datetime.now(UTC)
    )
    record: dict[str, Any] = {"file": str(source)}
    try:
        raw = read_table(source, delimiter=activity.delimiter, sheet=activity.sheet)
        record.update(format=raw.file_format, **raw.details, rows_read=raw.rows)
        if raw.sheets:
            record["sheets"] = list(raw.sheets)
        _check_header(raw, activity)
        require_rows(raw, what="activity")
        try:
            rows = _rows(raw, activity)
        except ActivityImportError as exc:
            target = activity.reject_file or failed_import_reject_file(
                config.store.path, snapshot_id, source
            )
            written, note = rejects_for_failure(target, raw, exc.problems)
            context = "; ".join(x for x in (sheet_context(raw), note) if x)
            raise ActivityImportError(
                exc.path, exc.problems, context=context, reject_file=written
            ) from None
        known = {app.name for app in config.apps}
        record["apps_not_configured"] = sorted(set(rows["app"]) - known)

        def load(con: duckdb.DuckDBPyConnection) -> None:
            """One transaction: land raw rows, keep the latest sign-in per (app, login), finish."""
            land_raw_rows(con, "raw_activity_row", snapshot_id, raw)
            con.register("activity_in", rows)
            try:
                con.execute(
                    "INSERT INTO activity (snapshot_id, app, login, last_seen, line_no)"
                    " SELECT ?, app, login, max(last_seen),"
                    "  coalesce(arg_max(line_no, last_seen), min(line_no))"
                    " FROM activity_in GROUP BY app, login",
                    [snapshot_id],
                )
            finally:
                con.unregister("activity_in")
            found = con.execute(
                "SELECT count(*), count(DISTINCT app), count(*) FILTER (WHERE last_seen IS NULL)"
                " FROM activity WHERE snapshot_id = ?",
                [snapshot_id],
            ).fetchone()
            assert found is not None
            counts = {"rows": raw.rows, "logins": found[0], "apps": found[1], "never": found[2]}
            record.update(imported=raw.rows, rejected=0)
            snapshots.finish(
                con, snapshot_id, "complete", counts=counts, sha256=raw.sha256, completeness=record
            )

        run_in_transaction(config, load, what="activity", path=source)
    except BaseException as exc:
        fail_snapshot(config, snapshot_id, exc, record)
        raise
    return ImportResult(snapshot_id, source, raw.rows, raw.rows, 0, raw.sha256)
