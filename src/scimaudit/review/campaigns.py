"""Starting a campaign: freeze who has what, with context, from a complete analysis.

A campaign is defined over a scope (apps, or the apps of some frameworks; all access, privileged
access only, or access that appeared since the previous campaign) and reads one complete analysis
run: its identity links, findings and the complete snapshots behind it. Items are frozen at start
with the context a reviewer needs, so later collections never change what a reviewer was shown; the
items' hash is the genesis of the campaign's hash-chained log (:mod:`scimaudit.review.chain`).

The items are built in :mod:`scimaudit.review.items` and inserted in one statement, in the same
transaction as the campaign row that records their hash.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import duckdb
import orjson

from scimaudit import __version__
from scimaudit.config import Config
from scimaudit.errors import ReviewError, SnapshotNotFoundError
from scimaudit.review import chain
from scimaudit.review.auth import ADMINISTER, Actor, require_role
from scimaudit.review.db import fetch_one, insert_frame
from scimaudit.review.items import ACCESS_SCOPES, ITEM_COLUMNS, AccessScope, build_items


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


def _info(row: tuple[Any, ...]) -> CampaignInfo:
    values = list(row)
    values[2] = orjson.loads(values[2])
    return CampaignInfo(*values)


def list_campaigns(con: duckdb.DuckDBPyConnection) -> list[CampaignInfo]:
    return [_info(r) for r in con.execute(_INFO_SQL + " ORDER BY c.campaign_id DESC").fetchall()]


def get_campaign(con: duckdb.DuckDBPyConnection, campaign_id: int) -> CampaignInfo:
    row = fetch_one(con, _INFO_SQL + " WHERE c.campaign_id = ?", [campaign_id])
    if row is None:
        raise ReviewError(f"no campaign with id {campaign_id} (see `scimaudit review status`)")
    return _info(row)


def require_open(con: duckdb.DuckDBPyConnection, campaign_id: int) -> CampaignInfo:
    info = get_campaign(con, campaign_id)
    if info.closed_at is not None:
        raise ReviewError(
            f"campaign {campaign_id} ({info.name}) was closed on"
            f" {info.closed_at:%Y-%m-%d %H:%M} UTC; its decisions are final"
        )
    return info


def snapshot_of(con: duckdb.DuckDBPyConnection, campaign_id: int) -> int | None:
    """The HR snapshot the campaign was frozen from."""
    row = fetch_one(con, "SELECT hr_snapshot_id FROM campaign WHERE campaign_id = ?", [campaign_id])
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

    def work(con: duckdb.DuckDBPyConnection) -> int:
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
        row = fetch_one(con, "SELECT nextval('campaign_id_seq')")
        assert row is not None
        campaign_id = int(row[0])
        items.insert(0, "campaign_id", campaign_id)
        insert_frame(con, "campaign_item", items, ITEM_COLUMNS)
        scope = {
            "apps": chosen,
            "frameworks": sorted(f.upper() for f in frameworks or []),
            "access": access,
            **details,
        }
        con.execute(
            "INSERT INTO campaign (campaign_id, name, scope, run_id, hr_snapshot_id, snapshot_ids,"
            " due, default_undecided, created_at, created_by, item_count, items_sha256,"
            " tool_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                campaign_id,
                name,
                orjson.dumps(scope).decode(),
                rid,
                hr_snap,
                orjson.dumps(snapshot_ids, option=orjson.OPT_SORT_KEYS).decode(),
                due,
                default,
                chain.utc_now(),
                actor,
                len(items),
                chain.items_sha256(con, campaign_id),
                __version__,
            ],
        )
        return campaign_id

    return chain.write_transaction(config, work)


def start_campaign_as(config: Config, actor: Actor, **kwargs: Any) -> int:
    """:func:`start_campaign` for a signed-in person: security or admin only."""
    require_role(actor, ADMINISTER, "start a review campaign")
    return start_campaign(config, actor=actor.email, **kwargs)
