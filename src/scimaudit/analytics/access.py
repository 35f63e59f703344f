"""Who had access to what on a date: the one answer, whoever asks.

``scimaudit access``, the dashboard's Access explorer and access-review campaign items all call
:func:`access_rows`, so they cannot disagree (they used to: the explorer read direct groups only,
inactive accounts included, linked by the last analysis run). The answer is recomputed from the
complete snapshots current at the end of day D (the same choice an analysis as of D makes, see
:mod:`selection`) and the overrides in force on D, so it does not depend on whether anyone ran
``analyze`` that day: active accounts, their groups held directly or through nested groups, linked
to people (rehires included) the way ``analyze`` links them. Nothing is written: the correlation
runs into temporary tables.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, TypeVar

import duckdb
import pandas as pd

from scimaudit.analytics.overrides import load_overrides
from scimaudit.analytics.runner import correlate, sql_params, today_utc
from scimaudit.analytics.selection import SnapshotChoice, choose_snapshots
from scimaudit.analytics.sql_steps import ANALYTICS_SQL
from scimaudit.config import Config
from scimaudit.errors import AnalysisError
from scimaudit.store import snapshots

T = TypeVar("T")

ACCESS_COLUMNS = (
    "app",
    "account_id",
    "user_name",
    "employee_id",
    "person",
    "hr_status",
    "department",
    "account_type",
    "linked_by",
    "service_owner",
    "link_note",
    "group_id",
    "group_name",
    "membership",
    "snapshot_id",
)


@dataclass(frozen=True)
class AccessAnswer:
    as_of: date
    snapshot_ids: dict[str, int]
    notes: list[str]
    rows: list[dict[str, Any]]


@dataclass(frozen=True)
class AccessFrame:
    """The same answer as a DataFrame (millions of rows at scale: no per-row Python objects)."""

    as_of: date
    snapshot_ids: dict[str, int]
    notes: list[str]
    frame: pd.DataFrame


def access_rows(
    con: duckdb.DuckDBPyConnection,
    config: Config,
    day: date,
    *,
    person: str | None = None,
    app: str | None = None,
    group: str | None = None,
    apps: Sequence[str] | None = None,
    snapshot_ids: Mapping[str, int] | None = None,
    in_transaction: bool = False,
) -> AccessAnswer:
    """Active accounts and the groups they hold (directly or nested) on ``day``, filtered.

    ``person`` is an employee id (current or an earlier employment's) or work email; ``app`` one
    app; ``apps`` several (a campaign's scope); ``group`` a group display name. ``snapshot_ids``
    (an analysis run's, ``{"app:chat": 12, "hr:hr": 10}``) pins the app and HR snapshots to those
    the run read, so review items show exactly what the run judged. The correlation
    runs in a transaction rolled back at the end, unless the caller is already in one
    (``in_transaction``: its temporary tables then live until the connection closes). Raises
    :class:`AnalysisError` when the snapshots needed do not exist.
    """

    def fetch(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
        names = [d[0] for d in cur.description or []]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    choice, rows = _answer(
        con, config, day, fetch, person, app, group, apps, snapshot_ids, in_transaction
    )
    return AccessAnswer(day, choice.ids(), list(choice.notes), rows)


def access_frame(
    con: duckdb.DuckDBPyConnection,
    config: Config,
    day: date,
    *,
    person: str | None = None,
    app: str | None = None,
    group: str | None = None,
    apps: Sequence[str] | None = None,
    snapshot_ids: Mapping[str, int] | None = None,
    in_transaction: bool = False,
) -> AccessFrame:
    """:func:`access_rows` as a DataFrame (columns :data:`ACCESS_COLUMNS`), for the dashboard and
    campaign items, which take the whole answer of every app."""

    def fetch(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
        return cur.df()

    choice, frame = _answer(
        con, config, day, fetch, person, app, group, apps, snapshot_ids, in_transaction
    )
    return AccessFrame(day, choice.ids(), list(choice.notes), frame)


def _answer(
    con: duckdb.DuckDBPyConnection,
    config: Config,
    day: date,
    fetch: Callable[[duckdb.DuckDBPyConnection], T],
    person: str | None,
    app: str | None,
    group: str | None,
    apps: Sequence[str] | None,
    snapshot_ids: Mapping[str, int] | None,
    in_transaction: bool,
) -> tuple[SnapshotChoice, T]:
    con.execute("SET TimeZone = 'UTC'")
    choice = choose_snapshots(con, config, day, strict=False, only_app=app)
    if snapshot_ids is not None:
        pinned = {k.split(":", 1)[1]: v for k, v in snapshot_ids.items() if k.startswith("app:")}
        hr_ids = [v for k, v in snapshot_ids.items() if k.startswith("hr:")]
        choice = replace(
            choice,
            apps={name: snapshots.get(con, sid) for name, sid in sorted(pinned.items())},
            hr=snapshots.get(con, hr_ids[0]) if hr_ids else choice.hr,
        )
    if apps is not None:
        wanted = set(apps)
        choice = replace(choice, apps={k: v for k, v in choice.apps.items() if k in wanted})
    overrides = load_overrides(config.correlation.overrides)
    params = sql_params(config, 0, day, choice.hr.snapshot_id)
    if not in_transaction:
        con.execute("BEGIN TRANSACTION")
    try:
        correlate(con, config, choice, overrides, [], params)
        query = {**params, "person": person, "app": app, "group": group}
        fetched = fetch(ANALYTICS_SQL.run(con, "access/access", query))
    finally:
        if not in_transaction:
            con.execute("ROLLBACK")
    return choice, fetched


def who_has_access(
    con: duckdb.DuckDBPyConnection,
    config: Config,
    *,
    as_of: date | None = None,
    person: str | None = None,
    app: str | None = None,
    group: str | None = None,
) -> AccessAnswer:
    """``scimaudit access``: :func:`access_rows` on ``as_of`` (default today), which must be asked
    about someone or something: raises :class:`AnalysisError` when nothing was asked."""
    if person is None and app is None:
        raise AnalysisError("say whose access or which app: give --person ID or --app NAME")
    if group is not None and app is None and person is None:
        raise AnalysisError("--group needs --app (group names are per app)")
    return access_rows(con, config, as_of or today_utc(), person=person, app=app, group=group)
