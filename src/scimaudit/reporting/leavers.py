"""Leaver timing: how long after someone left did each of their accounts stop being active?

We only see the apps through snapshots, so the honest answer is usually a *bracket*: the account was
active in the snapshot taken at ``last_active_at`` and no longer in the one at ``removed_by``, so it
was removed in that interval ("between snapshots A and B"). The lag against the service level is
then a range, and a verdict is given only when the whole range lies on one side of the SLA
("indeterminate" otherwise). When the account was deactivated (still present, ``active = false``)
and the server's ``meta.lastModified`` (RFC 7643 §3.1) falls inside the bracket, it narrows the
upper end: the deactivation was itself a modification, so it happened *no later than* that time (any
later change moves lastModified on, never back). It is not the removal time, so it can prove a
removal within the SLA but never a late one; the row says "no later than lastModified X". An account
never seen active in any snapshot gives no lower bound at all. The clock starts at 00:00 UTC on the
termination (or contract end) date: conservative, it never understates a lag.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import duckdb

from scimaudit.reporting.report_sql import fetch_dicts
from scimaudit.reporting.scope import Scope

WITHIN = "within SLA"
BREACHED = "SLA breached"
INDETERMINATE = "indeterminate"
STILL_ACTIVE = "still active"
STILL_ACTIVE_BREACHED = "still active, SLA breached"


@dataclass(frozen=True)
class LeaverCase:
    """One account of one leaver, with the removal bracket and the verdict against the SLA."""

    employee_id: str
    person_name: str
    worker_type: str
    event: str
    event_date: date
    app: str
    account_id: str
    user_name: str
    last_active_at: datetime | None
    removed_by: datetime | None
    removed_no_later_than: datetime | None
    """``meta.lastModified`` of the first inactive snapshot, when it narrows the bracket."""
    resolution: str
    lag_min_hours: float | None
    lag_max_hours: float | None
    outcome: str


@dataclass(frozen=True)
class LeaverSummary:
    terminations: int
    contract_ends: int
    terminated_without_date: int
    cases: list[LeaverCase]
    sla_hours: int

    def count(self, outcome: str) -> int:
        return sum(1 for c in self.cases if c.outcome == outcome)

    @property
    def people_with_accounts(self) -> int:
        return len({c.employee_id for c in self.cases})

    @property
    def bounded_by_last_modified(self) -> int:
        return sum(1 for c in self.cases if c.removed_no_later_than is not None)


def event_start(day: date) -> datetime:
    """When the SLA clock starts for a leaving date: 00:00 UTC that day."""
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _hours(later: datetime, earlier: datetime) -> float:
    return round((later - earlier).total_seconds() / 3600.0, 1)


def judge(row: dict[str, Any], sla_hours: int) -> LeaverCase:
    """Turn one bracket row of ``leaver_brackets.sql`` into a verdict (pure; unit-tested)."""
    start = event_start(row["event_date"])
    last_active: datetime | None = row["last_active_at"]
    removed_by: datetime | None = row["removed_by"]
    modified: datetime | None = row["removed_modified"]
    bound: datetime | None = None
    lag_min: float | None
    lag_max: float | None
    if removed_by is None:
        # active in the latest snapshot the run used: not removed (yet)
        assert last_active is not None
        lag = _hours(last_active, start)
        outcome = STILL_ACTIVE_BREACHED if lag > sla_hours else STILL_ACTIVE
        lag_min, lag_max, resolution = max(lag, 0.0), None, "open"
    else:
        in_bracket = (
            modified is not None
            and modified <= removed_by
            and (last_active is None or modified > last_active)
        )
        lag_min = None if last_active is None else _hours(last_active, start)
        never = "" if last_active is not None else " (never seen active)"
        if row["deactivated"] and in_bracket:
            assert modified is not None
            bound = modified
            lag_max = _hours(modified, start)
            resolution = f"no later than lastModified {_when(modified)}{never}"
        else:
            lag_max = _hours(removed_by, start)
            resolution = (
                f"between snapshots {_when(last_active)} and {_when(removed_by)}"
                if last_active is not None
                else f"by snapshot {_when(removed_by)}{never}"
            )
        if lag_max <= sla_hours:
            outcome = WITHIN
        elif lag_min is not None and lag_min > sla_hours:
            outcome = BREACHED
        else:
            outcome = INDETERMINATE
    return LeaverCase(
        employee_id=str(row["employee_id"]),
        person_name=row["person_name"] or "",
        worker_type=str(row["worker_type"]),
        event=str(row["event"]),
        event_date=row["event_date"],
        app=str(row["app"]),
        account_id=str(row["account_id"]),
        user_name=row["user_name"] or "",
        last_active_at=last_active,
        removed_by=removed_by,
        removed_no_later_than=bound,
        resolution=resolution,
        lag_min_hours=lag_min,
        lag_max_hours=lag_max,
        outcome=outcome,
    )


OUTCOME_ORDER = {
    STILL_ACTIVE_BREACHED: 0,
    BREACHED: 1,
    STILL_ACTIVE: 2,
    INDETERMINATE: 3,
    WITHIN: 4,
}


def leaver_params(scope: Scope) -> dict[str, Any]:
    """The parameters of the leaver queries (brackets, count, leavers.csv rows) for one scope."""
    return {
        "hr_snapshot_id": scope.run.hr_snapshot_id,
        "period_start": scope.period_start,
        "period_end": scope.period_end,
        "as_of": scope.run.as_of,
        "apps": list(scope.apps),
        "app_names": list(scope.app_snapshot_ids),
        "app_snapshot_ids": list(scope.app_snapshot_ids.values()),
    }


def gather_leavers(con: duckdb.DuckDBPyConnection, scope: Scope, sla_hours: int) -> LeaverSummary:
    """Leavers of the period, their accounts' removal brackets and verdicts."""
    params = leaver_params(scope)
    counts = fetch_dicts(con, "leaver_count", params)[0]
    cases = [judge(row, sla_hours) for row in fetch_dicts(con, "leaver_brackets", params)]
    cases.sort(
        key=lambda c: (OUTCOME_ORDER[c.outcome], c.event_date, c.employee_id, c.app, c.account_id)
    )
    return LeaverSummary(
        terminations=int(counts["terminations"] or 0),
        contract_ends=int(counts["contract_ends"] or 0),
        terminated_without_date=int(counts["terminated_without_date"] or 0),
        cases=cases,
        sla_hours=sla_hours,
    )
