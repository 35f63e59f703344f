"""Access questions, one function each: who had which access on a day (the same answer as
``scimaudit access`` and campaign items), and accounts per app over time. Read by the dashboard's
Access explorer.

These take the config, not a person: who may ask (security, auditor, admin) is checked by the
caller, above this layer (the dashboard checks the role at the top of every page run).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from scimaudit.analytics.access import ACCESS_COLUMNS, access_frame
from scimaudit.config import Config
from scimaudit.errors import AnalysisError
from scimaudit.store.connect import connect

ACCESS_ROW_CAP = 5000
"""Rows the access explorer shows at once; the CSV download carries all of them."""


@dataclass(frozen=True)
class AccessView:
    """The access rows of one day after the explorer's filters, with the snapshots behind them."""

    as_of: date
    rows: pd.DataFrame
    total: int
    snapshots: dict[str, int]
    notes: list[str]


def access_as_of(
    config: Config,
    day: date,
    *,
    person: str | None = None,
    app: str | None = None,
    access: str | None = None,
) -> AccessView:
    """Who had which active account and group (direct or nested) on ``day``: the same answer as
    ``scimaudit access`` and campaign items (:func:`~scimaudit.analytics.access.access_frame`),
    then narrowed by the page's free-text filters (person: name, login or employee id; access:
    part of a group name)."""
    with connect(config.store.path, lock_timeout=config.store.lock_timeout_seconds) as con:
        try:
            answer = access_frame(con, config, day, app=app or None)
        except AnalysisError:
            return AccessView(day, pd.DataFrame(columns=list(ACCESS_COLUMNS)), 0, {}, [])
    frame = answer.frame
    frame["access"] = frame["group_name"]
    if person:
        needle = person.lower()
        mask = (
            frame["person"].fillna("").str.lower().str.contains(needle, regex=False)
            | frame["user_name"].fillna("").str.lower().str.contains(needle, regex=False)
            | frame["employee_id"].fillna("").str.lower().eq(needle)
        )
        frame = frame[mask]
    if access:
        frame = frame[
            frame["access"].fillna("").str.lower().str.contains(access.lower(), regex=False)
        ]
    snaps = {k.split(":", 1)[1]: v for k, v in answer.snapshot_ids.items() if k.startswith("app:")}
    return AccessView(day, frame.reset_index(drop=True), len(frame), snaps, answer.notes)


def access_over_time(config: Config) -> pd.DataFrame:
    """Accounts per app in every complete snapshot (for a line chart)."""
    with connect(config.store.path, lock_timeout=config.store.lock_timeout_seconds) as con:
        return con.execute(
            "SELECT s.as_of, s.source_name AS app, count(a.account_id) AS accounts"
            " FROM snapshot s LEFT JOIN account a ON a.snapshot_id = s.snapshot_id"
            " WHERE s.source_kind = 'app' AND s.status = 'complete'"
            " GROUP BY ALL ORDER BY s.as_of"
        ).df()
