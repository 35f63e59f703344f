"""Which analysis run, which apps and which period a report covers.

A report never computes findings itself: it presents one complete ``analysis_run``
(002_analysis.sql) and the snapshots that run used, so the document describes exactly what was
analysed. With ``--as-of D`` the run must be *as of D* (an auditor asking for June 30 must not
silently get June 15); without it, the latest complete run is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import orjson

from scimaudit.config import Config
from scimaudit.errors import ReportError
from scimaudit.reporting.spec import ReportSpec

DEFAULT_PERIOD_DAYS = 90
"""Without ``--period-start``, the period is the 90 days (one quarter) ending at the period end."""


@dataclass(frozen=True)
class AnalysisRun:
    run_id: int
    as_of: date
    started_at: datetime
    finished_at: datetime | None
    hr_snapshot_id: int | None
    snapshot_ids: dict[str, int]
    params: dict[str, Any]
    params_sha256: str
    tool_version: str
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Scope:
    """The run, apps and period one report covers."""

    run: AnalysisRun
    apps: tuple[str, ...]
    app_snapshot_ids: dict[str, int]
    missing_apps: tuple[str, ...]
    scope_note: str
    period_start: date
    period_end: date


_RUN_COLUMNS = (
    "run_id, as_of, started_at, finished_at, hr_snapshot_id, snapshot_ids, params,"
    " params_sha256, tool_version, notes"
)


def _run(row: tuple[Any, ...]) -> AnalysisRun:
    ids = orjson.loads(row[5]) if row[5] else {}
    params = orjson.loads(row[6]) if row[6] else {}
    notes = orjson.loads(row[9]) if row[9] else []
    return AnalysisRun(
        run_id=int(row[0]),
        as_of=row[1],
        started_at=row[2],
        finished_at=row[3],
        hr_snapshot_id=None if row[4] is None else int(row[4]),
        snapshot_ids={str(k): int(v) for k, v in ids.items()},
        params=params,
        params_sha256=str(row[7]),
        tool_version=str(row[8]),
        notes=tuple(str(n) for n in notes) if isinstance(notes, list) else (str(notes),),
    )


def find_run(con: duckdb.DuckDBPyConnection, as_of: date | None) -> AnalysisRun:
    """The complete analysis run as of ``as_of`` exactly, or the latest complete one."""
    if as_of is None:
        row = con.execute(
            f"SELECT {_RUN_COLUMNS} FROM analysis_run WHERE status = 'complete'"
            " ORDER BY as_of DESC, run_id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            raise ReportError(
                "no complete analysis run in the store; run `scimaudit analyze` first"
            )
        return _run(row)
    row = con.execute(
        f"SELECT {_RUN_COLUMNS} FROM analysis_run WHERE status = 'complete' AND as_of = ?"
        " ORDER BY run_id DESC LIMIT 1",
        [as_of],
    ).fetchone()
    if row is None:
        before = con.execute(
            "SELECT max(as_of) FROM analysis_run WHERE status = 'complete' AND as_of < ?", [as_of]
        ).fetchone()
        hint = f" (latest earlier run: as of {before[0]})" if before and before[0] else ""
        raise ReportError(
            f"no complete analysis run as of {as_of}{hint}; "
            f"run `scimaudit analyze --as-of {as_of}` first"
        )
    return _run(row)


def get_run(con: duckdb.DuckDBPyConnection, run_id: int) -> AnalysisRun:
    row = con.execute(
        f"SELECT {_RUN_COLUMNS} FROM analysis_run WHERE run_id = ?", [run_id]
    ).fetchone()
    if row is None:
        raise ReportError(f"analysis run {run_id} is not in the store")
    return _run(row)


def app_snapshots(run: AnalysisRun) -> dict[str, int]:
    """``{"app:chat": 12}`` → ``{"chat": 12}``."""
    out = {}
    for key, sid in run.snapshot_ids.items():
        kind, _, name = key.partition(":")
        if kind == "app":
            out[name] = sid
    return out


def _apps(config: Config, spec: ReportSpec, run: AnalysisRun) -> tuple[list[str], list[str], str]:
    in_run = app_snapshots(run)
    configured = [a.name for a in config.apps]
    if spec.framework:
        tagged = [a.name for a in config.apps if spec.framework in a.frameworks]
        if tagged:
            note = (
                f"Applications tagged {spec.framework} in the configuration "
                f'(frameworks = ["{spec.framework}"]).'
            )
            return sorted(tagged), sorted(set(tagged) - set(in_run)), note
        everything = sorted(set(in_run) | set(configured))
        note = (
            f"No application is tagged {spec.framework} in the configuration, so every application "
            f"the analysis run covered is in scope ({len(everything)})."
        )
        return everything, sorted(set(everything) - set(in_run)), note
    everything = sorted(set(in_run) | set(configured))
    note = f"Every configured and analysed application ({len(everything)})."
    return everything, sorted(set(everything) - set(in_run)), note


def resolve_scope(
    con: duckdb.DuckDBPyConnection,
    config: Config,
    spec: ReportSpec,
    *,
    as_of: date | None,
    period_start: date | None,
    period_end: date | None,
) -> Scope:
    """Pick the run and derive apps and period; refuses contradictory dates."""
    if as_of is not None and period_end is not None and period_end > as_of:
        raise ReportError(
            f"--period-end {period_end} is after --as-of {as_of}: the population cannot describe "
            "a period that ends after it"
        )
    run = find_run(con, as_of if as_of is not None else period_end)
    end = period_end or run.as_of
    start = period_start or (end - timedelta(days=DEFAULT_PERIOD_DAYS - 1))
    if start > end:
        raise ReportError(f"--period-start {start} is after the period end {end}")
    apps, missing, note = _apps(config, spec, run)
    in_run = app_snapshots(run)
    return Scope(
        run=run,
        apps=tuple(apps),
        app_snapshot_ids={a: in_run[a] for a in apps if a in in_run},
        missing_apps=tuple(missing),
        scope_note=note,
        period_start=start,
        period_end=end,
    )
