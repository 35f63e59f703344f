"""Starting a campaign: freeze who has what, with context, from a complete analysis.

A campaign is defined over a scope (apps, or the apps of some frameworks; all access, privileged
access only, or access that appeared since the previous campaign) and reads one complete analysis
run: its identity links, findings and the complete snapshots behind it. Items are frozen at start
with the context a reviewer needs, so later collections never change what a reviewer was shown; the
items' hash is the genesis of the campaign's hash-chained log (:mod:`scimaudit.review.chain`).

The items are built in :mod:`scimaudit.review.items` from the DuckDB store, then copied into the
SQLite review store (:mod:`scimaudit.store.review_state`) in one unit of work with the campaign row
that records their hash: from then on the campaign needs nothing from DuckDB, so reviewers never
wait for `collect` or `analyze`. The functions reading campaigns take either store's connection
(DuckDB ones see the review state as temp views under the same names).
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

import duckdb
import orjson
import pandas as pd

from scimaudit import __version__
from scimaudit.config import Config
from scimaudit.errors import ReviewError, SnapshotNotFoundError
from scimaudit.hashchain import canonical_value
from scimaudit.review import chain
from scimaudit.review.actors import ADMINISTER, Actor, require_role
from scimaudit.review.db import fetch_one, open_store
from scimaudit.review.items import ACCESS_SCOPES, ITEM_COLUMNS, AccessScope, build_items


class Executes(Protocol):
    """A DuckDB or sqlite3 connection: both run ``execute(sql, params).fetchall()``."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Any: ...


@dataclass(frozen=True)
class CampaignInfo:
    campaign_id: int
    name: str
    scope: dict[str, Any]
    run_id: int
    due: date
    default_undecided: str
    created_at: datetime
    created_by: str
    item_count: int
    closed_at: datetime | None

    @property
    def status(self) -> str:
        return "closed" if self.closed_at else "open"

    def overdue(self, today: date) -> bool:
        return self.closed_at is None and today > self.due


_INFO_SQL = (
    "SELECT c.campaign_id, c.name, c.scope, c.run_id, c.due, c.default_undecided, c.created_at,"
    " c.created_by, c.item_count, cl.closed_at"
    " FROM campaign c LEFT JOIN campaign_closed cl USING (campaign_id)"
)


def _when(value: Any) -> Any:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _info(row: tuple[Any, ...]) -> CampaignInfo:
    values = list(row)
    values[2] = orjson.loads(values[2])
    if isinstance(values[4], str):
        values[4] = date.fromisoformat(values[4])
    values[6], values[9] = _when(values[6]), _when(values[9])
    return CampaignInfo(*values)


def list_campaigns(con: Executes) -> list[CampaignInfo]:
    return [_info(r) for r in con.execute(_INFO_SQL + " ORDER BY c.campaign_id DESC").fetchall()]


def get_campaign(con: Executes, campaign_id: int) -> CampaignInfo:
    rows = con.execute(_INFO_SQL + " WHERE c.campaign_id = ?", [campaign_id]).fetchall()
    row = rows[0] if rows else None
    if row is None:
        raise ReviewError(f"no campaign with id {campaign_id} (see `scimaudit review status`)")
    return _info(row)


def require_open(con: Executes, campaign_id: int) -> CampaignInfo:
    info = get_campaign(con, campaign_id)
    if info.closed_at is not None:
        raise ReviewError(
            f"campaign {campaign_id} ({info.name}) was closed on"
            f" {info.closed_at:%Y-%m-%d %H:%M} UTC; its decisions are final"
        )
    return info


def snapshot_of(con: Executes, campaign_id: int) -> int | None:
    """The HR snapshot the campaign was frozen from."""
    rows = con.execute(
        "SELECT hr_snapshot_id FROM campaign WHERE campaign_id = ?", [campaign_id]
    ).fetchall()
    row = rows[0] if rows else None
    if row is None:
        raise ReviewError(f"no campaign with id {campaign_id}")
    return int(row[0]) if row[0] is not None else None


def latest_complete_run(
    con: duckdb.DuckDBPyConnection, run_id: int | None = None
) -> tuple[int, int | None, dict[str, int]]:
    """(run_id, hr_snapshot_id, snapshot_ids) of a complete analysis over complete snapshots."""
    sql = "SELECT run_id, hr_snapshot_id, snapshot_ids FROM analysis_run WHERE status = 'complete'"
    params: list[Any] = []
    if run_id is not None:
        sql += " AND run_id = ?"
        params.append(run_id)
    row = fetch_one(con, sql + " ORDER BY run_id DESC LIMIT 1", params)
    if row is None:
        raise SnapshotNotFoundError(
            "no complete analysis to review"
            + (f" (run {run_id})" if run_id is not None else "")
            + ": run `scimaudit collect` and `scimaudit analyze` first"
        )
    snapshot_ids = {str(k): int(v) for k, v in orjson.loads(row[2]).items()}
    ids = sorted(set(snapshot_ids.values()))
    if ids:
        bad = con.execute(
            "SELECT snapshot_id, status FROM snapshot"
            " WHERE snapshot_id IN (SELECT unnest(?::BIGINT[])) AND status <> 'complete'",
            [ids],
        ).fetchall()
        if bad:
            listed = ", ".join(f"{sid} ({status})" for sid, status in bad)
            raise SnapshotNotFoundError(
                f"analysis run {row[0]} uses incomplete snapshots: {listed}"
            )
    return int(row[0]), (int(row[1]) if row[1] is not None else None), snapshot_ids


def scope_apps(
    config: Config,
    run_apps: Sequence[str],
    apps: Sequence[str] | None,
    frameworks: Sequence[str] | None,
) -> list[str]:
    """The apps a campaign covers: named ones, else the configured (framework-filtered) ones."""
    known = sorted(set(run_apps) | {a.name for a in config.apps})
    if apps:
        unknown = sorted(set(apps) - set(known))
        if unknown:
            raise ReviewError(
                f"unknown app(s) {', '.join(unknown)}; known: {', '.join(known) or 'none'}"
            )
        chosen = sorted(set(apps))
    else:
        chosen = sorted({a.name for a in config.apps} or set(run_apps))
    if frameworks:
        wanted = {f.upper() for f in frameworks}
        in_framework = {a.name for a in config.apps if wanted & set(a.frameworks)}
        chosen = [a for a in chosen if a in in_framework]
        if not chosen:
            raise ReviewError(f"no configured app is in framework(s) {', '.join(sorted(wanted))}")
    return chosen


def start_campaign(
    config: Config,
    *,
    name: str,
    due: date,
    actor: str,
    apps: Sequence[str] | None = None,
    frameworks: Sequence[str] | None = None,
    access: AccessScope = "all",
    run_id: int | None = None,
    default_undecided: str | None = None,
    today: date | None = None,
) -> int:
    """Freeze a campaign's items from the latest complete analysis; return the campaign id."""
    name = name.strip()
    if not name:
        raise ReviewError("a campaign needs a name")
    if access not in ACCESS_SCOPES:
        raise ReviewError(f"access scope {access!r}: choose one of {', '.join(ACCESS_SCOPES)}")
    if due < (today or date.today()):
        raise ReviewError(f"due date {due} is in the past")
    default = default_undecided or config.review.default_undecided
    if default not in ("keep", "revoke", "undecided"):
        raise ReviewError(f"default for undecided items {default!r}: keep, revoke or undecided")

    with open_store(config) as con:
        rid, hr_snap, snapshot_ids = latest_complete_run(con, run_id)
        run_apps = [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT app FROM identity_link WHERE run_id = ? ORDER BY app", [rid]
            ).fetchall()
        ]
        chosen = scope_apps(config, run_apps, apps, frameworks)
        items, details = build_items(
            con,
            config,
            run_id=rid,
            hr_snapshot_id=hr_snap,
            snapshot_ids=snapshot_ids,
            apps=chosen,
            access=access,
        )
    if items.empty:
        raise ReviewError(
            f"campaign {name!r}: the scope (apps {', '.join(chosen) or 'none'},"
            f" access {access}) matches no active access in analysis run {rid}"
        )
    scope = {
        "apps": chosen,
        "frameworks": sorted(f.upper() for f in frameworks or []),
        "access": access,
        **details,
    }
    item_rows = _item_rows(items)

    def work(con: sqlite3.Connection) -> int:
        row = con.execute("SELECT coalesce(max(campaign_id), 0) + 1 FROM campaign").fetchone()
        campaign_id = int(row[0])
        cols = ITEM_COLUMNS
        con.execute(
            "INSERT INTO campaign (campaign_id, name, scope, run_id, hr_snapshot_id, snapshot_ids,"
            " due, default_undecided, created_at, created_by, item_count, items_sha256,"
            " tool_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?)",
            [
                campaign_id,
                name,
                orjson.dumps(scope).decode(),
                rid,
                hr_snap,
                orjson.dumps(snapshot_ids, option=orjson.OPT_SORT_KEYS).decode(),
                due.isoformat(),
                default,
                canonical_value(chain.utc_now()),
                actor,
                len(item_rows),
                __version__,
            ],
        )
        con.executemany(
            f"INSERT INTO campaign_item ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            [[campaign_id, *r] for r in item_rows],
        )
        con.execute(
            "UPDATE campaign SET items_sha256 = ? WHERE campaign_id = ?",
            [chain.items_sha256(con, campaign_id), campaign_id],
        )
        return campaign_id

    return chain.write_transaction(config, work)


def _cell(value: Any) -> Any:
    """A frame value as SQLite stores it: None for missing, ISO text for times, plain numbers."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (pd.Timestamp, datetime, date)):
        return canonical_value(value.to_pydatetime() if isinstance(value, pd.Timestamp) else value)
    if hasattr(value, "item"):  # numpy scalars
        return _cell(value.item())
    if isinstance(value, bool):
        return int(value)
    return value


_INT_COLUMNS = {"peer_holders", "peer_count", "item_id"}


def _item_rows(items: pd.DataFrame) -> list[list[Any]]:
    """The items (without campaign_id) as SQLite rows in :data:`ITEM_COLUMNS` order."""
    cols = [c for c in ITEM_COLUMNS if c != "campaign_id"]
    out = []
    for values in items[cols].itertuples(index=False, name=None):
        row = [_cell(v) for v in values]
        for i, c in enumerate(cols):
            if c in _INT_COLUMNS and row[i] is not None:
                row[i] = int(row[i])
        out.append(row)
    return out


def start_campaign_as(config: Config, actor: Actor, **kwargs: Any) -> int:
    """:func:`start_campaign` for a signed-in person: security or admin only."""
    require_role(actor, ADMINISTER, "start a review campaign")
    return start_campaign(config, actor=actor.email, **kwargs)
