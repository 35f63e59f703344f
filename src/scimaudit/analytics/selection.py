"""Which snapshots an analysis uses: the current *complete* one of every source as of the date.

A partial or failed pull must never feed findings (an app that returned half its users would make
the other half look deprovisioned, and its missing accounts could hide a leaver). So each source's
newest snapshot is looked at: if it is complete it is used; if it failed, is held suspect (its user
count collapsed, see ``collect/scim/coherence.py``), is still running or was interrupted, the last
complete one is used instead (so no earlier finding is marked resolved on its account) and the
run says so in its notes; if no complete one exists at all the analysis refuses to run
(:class:`AnalysisError`).

"As of D" means the end of day D, UTC: a snapshot taken any time on D counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

import duckdb

from scimaudit.config import Config
from scimaudit.errors import AnalysisError
from scimaudit.store import snapshots
from scimaudit.store.snapshots import Snapshot


@dataclass(frozen=True)
class SnapshotChoice:
    """The snapshots one analysis reads, and the notes on what was skipped."""

    apps: dict[str, Snapshot]
    hr: Snapshot
    hr_history: list[Snapshot]
    activity: list[Snapshot]
    notes: list[str] = field(default_factory=list)

    def ids(self) -> dict[str, int]:
        """``{"app:chat": 12, "hr:hr": 10, "activity:signins": 11}`` for the run record."""
        out = {f"app:{name}": s.snapshot_id for name, s in sorted(self.apps.items())}
        out[f"hr:{self.hr.source_name}"] = self.hr.snapshot_id
        for s in self.activity:
            out[f"activity:{s.source_name}"] = s.snapshot_id
        return out


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=UTC)


def _newest(
    con: duckdb.DuckDBPyConnection, kind: str, cutoff: datetime
) -> dict[str, tuple[int, str, datetime, str | None]]:
    rows = con.execute(
        "SELECT source_name, snapshot_id, status, as_of, error FROM snapshot"
        " WHERE source_kind = ? AND as_of <= ?"
        " QUALIFY row_number() OVER (PARTITION BY source_name"
        "   ORDER BY as_of DESC, snapshot_id DESC) = 1",
        [kind, cutoff],
    ).fetchall()
    return {r[0]: (int(r[1]), str(r[2]), r[3], r[4]) for r in rows}


def _why(status: str, error: str | None) -> str:
    if status == "running":
        return "still running"
    return f"{status}: {error or 'no reason recorded'}"


def _skipped(label: str, newest: tuple[int, str, datetime, str | None], used: Snapshot) -> str:
    sid, status, _as_of, error = newest
    why = _why(status, error)
    return (
        f"{label}: newest snapshot {sid} not used ({why}); analysed the last complete snapshot "
        f"{used.snapshot_id} of {used.as_of:%Y-%m-%d %H:%M} UTC"
    )


def _refuse(label: str, day: date, newest: tuple[int, str, datetime, str | None] | None) -> str:
    if newest is None:
        return f"{label}: no snapshot as of {day}; collect it first (`scimaudit collect`)"
    sid, status, _as_of, error = newest
    why = _why(status, error)
    return (
        f"{label}: no complete snapshot as of {day} (newest is snapshot {sid}, {why}); "
        "a partial pull is never analysed: collect it again"
    )


def partial_hr_note(hr: Snapshot) -> str:
    """The note a run carries when its HR snapshot was imported with rows set aside.

    ``allow_errors`` keeps the good rows usable, but the people on the rejected rows are missing
    from the HR population: their accounts can show as orphaned or unmatched. Every finding built
    on such a snapshot must be readable as "against a partial HR population", so the run says so.
    """
    record = hr.completeness or {}
    rejected = record.get("rejected")
    if not record.get("partial") or not isinstance(rejected, int) or rejected <= 0:
        return ""
    where = record.get("reject_file") or "the reject file"
    return (
        f"HR export: snapshot {hr.snapshot_id} is partial: {rejected} row(s) were rejected at "
        f"import (allow_errors; rows in {where}), so the HR population is partial and accounts "
        "of the people on those rows may show as orphaned or unmatched"
    )


def choose_snapshots(
    con: duckdb.DuckDBPyConnection,
    config: Config,
    day: date,
    *,
    strict: bool = True,
    only_app: str | None = None,
) -> SnapshotChoice:
    """Pick the snapshots for an analysis as of ``day``; refuse when a needed one is missing.

    ``strict=False`` (access questions) skips an app without a complete snapshot, saying so in the
    notes, instead of refusing; ``only_app`` restricts the choice to one app.
    """
    cutoff = end_of_day(day)
    current = snapshots.current_all(con, as_of=cutoff)
    notes: list[str] = []
    problems: list[str] = []

    newest_apps = _newest(con, "app", cutoff)
    app_names = [a.name for a in config.apps] or sorted(newest_apps)
    if only_app is not None:
        app_names = [only_app]
    if not app_names:
        raise AnalysisError(
            f"nothing to analyse as of {day}: no [[apps]] configured and no app snapshot stored"
        )
    apps: dict[str, Snapshot] = {}
    for name in app_names:
        used = current.get(("app", name))
        newest = newest_apps.get(name)
        if used is None:
            if strict or only_app is not None:
                problems.append(_refuse(f"app {name!r}", day, newest))
            else:
                notes.append(_refuse(f"app {name!r}", day, newest) + " (skipped)")
            continue
        apps[name] = used
        if newest is not None and newest[0] != used.snapshot_id:
            notes.append(_skipped(f"app {name!r}", newest, used))

    hr_current = sorted(
        (s for (kind, _), s in current.items() if kind == "hr"),
        key=lambda s: (s.as_of, s.snapshot_id),
    )
    newest_hr = _newest(con, "hr", cutoff)
    if not hr_current:
        newest_any = max(newest_hr.values(), key=lambda n: (n[2], n[0]), default=None)
        problems.append(_refuse("HR export", day, newest_any))
    if problems:
        raise AnalysisError("analysis cannot run:\n" + "\n".join(problems))
    if not apps:
        raise AnalysisError(f"no app has a complete snapshot as of {day}")
    hr = hr_current[-1]
    newest = newest_hr.get(hr.source_name)
    if newest is not None and newest[0] != hr.snapshot_id:
        notes.append(_skipped("HR export", newest, hr))
    partial = partial_hr_note(hr)
    if partial:
        notes.append(partial)

    history = [
        s
        for s in snapshots.list_snapshots(con)
        if s.source_kind == "hr"
        and s.status == "complete"
        and s.snapshot_id != hr.snapshot_id
        and s.as_of <= hr.as_of
    ]
    newest_activity = _newest(con, "activity", cutoff)
    activity = []
    for (kind, name), snap in sorted(current.items()):
        if kind != "activity":
            continue
        activity.append(snap)
        newest = newest_activity.get(name)
        if newest is not None and newest[0] != snap.snapshot_id:
            notes.append(_skipped(f"activity export {name!r}", newest, snap))
    for name in sorted(newest_activity):
        if ("activity", name) not in current:
            notes.append(
                f"activity export {name!r}: no complete snapshot as of {day}; its apps have no "
                "sign-in signal in this run"
            )
    return SnapshotChoice(apps, hr, history, activity, notes)
