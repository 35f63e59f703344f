"""Break-glass accounts of a pack's apps: who owns each and when it was last used, where known.

Why: a break-glass account is the way in when the identity provider fails, so it is privileged by
design, exempt from remediation (``apps.break_glass_accounts``), and an auditor asks two things of
it: who is accountable, and was it used. The pack answers both from the data or says why it cannot
("unknown: no sign-in data for app ehr"); it never leaves the cell blank.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from scimaudit.config import Config
from scimaudit.reporting.report_sql import fetch_dicts
from scimaudit.reporting.scope import Scope


@dataclass(frozen=True)
class BreakGlass:
    """One declared break-glass account, as printed."""

    app: str
    user_name: str
    account_id: str | None
    status: str
    owner: str
    last_use: str


def _declared(config: Config, apps: tuple[str, ...]) -> dict[str, tuple[str, str]]:
    """``app/lower(userName)`` → (app, userName as declared), for the in-scope apps."""
    out: dict[str, tuple[str, str]] = {}
    for app in config.apps:
        if app.name in apps:
            for name in app.break_glass_accounts:
                out[f"{app.name}/{name.strip().casefold()}"] = (app.name, name.strip())
    return out


def _owner(row: dict[str, object]) -> str:
    if not row["owner_id"]:
        return "no owner: linked to no person and no service owner declared"
    who = f"{row['owner_name']} ({row['owner_id']})" if row["owner_name"] else str(row["owner_id"])
    status = f", {row['owner_status']} in HR" if row["owner_status"] else ", not in the HR export"
    return f"{who}, from {row['owner_source']}{status}"


def _last_use(row: dict[str, object]) -> str:
    used = row["last_used"]
    if isinstance(used, datetime):
        return f"{used:%Y-%m-%d %H:%M} UTC"
    if not row["app_has_signin_data"]:
        return f"unknown: no sign-in data for app {row['app']}"
    return "no sign-in recorded in the sign-in data"


def gather_break_glass(
    con: duckdb.DuckDBPyConnection, config: Config, scope: Scope
) -> list[BreakGlass]:
    """Every declared break-glass account of the in-scope apps, found in the run or not."""
    declared = _declared(config, scope.apps)
    if not declared:
        return []
    run = scope.run
    rows = fetch_dicts(
        con,
        "break_glass",
        {
            "run_id": run.run_id,
            "apps": list(scope.apps),
            "declared": sorted(declared),
            "hr_snapshot_id": run.hr_snapshot_id,
            "activity_ids": [v for k, v in run.snapshot_ids.items() if k.startswith("activity:")],
            "app_snapshot_ids": list(scope.app_snapshot_ids.values()),
        },
    )
    out = [
        BreakGlass(
            app=str(r["app"]),
            user_name=str(r["user_name"]),
            account_id=str(r["account_id"]),
            status="active" if r["active"] else "inactive",
            owner=_owner(r),
            last_use=_last_use(r),
        )
        for r in rows
    ]
    found = {f"{b.app}/{b.user_name.casefold()}" for b in out}
    out += [
        BreakGlass(app, name, None, "declared, no such account in the snapshot", "—", "—")
        for key, (app, name) in sorted(declared.items())
        if key not in found
    ]
    return out
