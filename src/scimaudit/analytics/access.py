"""Who had access to what on a date, answered from the stored snapshots current on that date.

The answer is recomputed from the complete snapshots current at the end of day D (the same choice
an analysis as of D makes, see :mod:`selection`) and the overrides in force on D, so it does not
depend on whether anyone ran ``analyze`` that day. Nothing is written: the correlation runs into
temporary tables of a read-only connection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb

from scimaudit.analytics import sqlfiles
from scimaudit.analytics.overrides import load_overrides
from scimaudit.analytics.runner import correlate, sql_params, today_utc
from scimaudit.analytics.selection import choose_snapshots
from scimaudit.config import Config
from scimaudit.errors import AnalysisError

ACCESS_COLUMNS = (
    "app",
    "account_id",
    "user_name",
    "employee_id",
    "person",
    "hr_status",
    "account_type",
    "linked_by",
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


def who_has_access(
    con: duckdb.DuckDBPyConnection,
    config: Config,
    *,
    as_of: date | None = None,
    person: str | None = None,
    app: str | None = None,
    group: str | None = None,
) -> AccessAnswer:
    """Active accounts and their groups on ``as_of`` (default today), filtered.

    ``person`` is an employee id or work email; ``app`` an app name; ``group`` a group display
    name (needs ``app`` or ``person``). Raises :class:`AnalysisError` when nothing was asked or
    the snapshots needed do not exist.
    """
    if person is None and app is None:
        raise AnalysisError("say whose access or which app: give --person ID or --app NAME")
    if group is not None and app is None and person is None:
        raise AnalysisError("--group needs --app (group names are per app)")
    day = as_of or today_utc()
    con.execute("SET TimeZone = 'UTC'")
    choice = choose_snapshots(con, config, day, strict=False, only_app=app)
    overrides = load_overrides(config.correlation.overrides)
    params = sql_params(config, 0, day, choice.hr.snapshot_id)
    con.execute("BEGIN TRANSACTION")
    try:
        correlate(con, config, choice, overrides, [], params)
        sql = sqlfiles.sql_text("access/access")
        query = {**params, "person": person, "app": app, "group": group}
        cur = con.execute(sql, sqlfiles.bind(sql, query))
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.execute("ROLLBACK")
    return AccessAnswer(day, choice.ids(), list(choice.notes), rows)
