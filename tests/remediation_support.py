"""Helpers of the remediation tests: a config, and app snapshots written straight to the store.

Quick tests write the snapshot tables (account, scim_group, membership) the way the collector's
staging SQL does, so planning logic is tested without a server; the slow tests collect for real.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from scimaudit.config import Config, parse_config
from scimaudit.store import snapshots
from scimaudit.store.connect import connect


def make_config(
    tmp_path: Path,
    apps: Mapping[str, str],
    *,
    token_env: str = "REMEDIATION_TEST_TOKEN",  # noqa: S107 - the name of an env var
    app_options: Mapping[str, Mapping[str, Any]] | None = None,
    remediation: Mapping[str, Any] | None = None,
) -> Config:
    """A config with one app per ``name -> SCIM base URL``, all with a bearer token from the env."""
    raw: dict[str, Any] = {
        "store": {"path": str(tmp_path / "store.duckdb"), "lock_timeout_seconds": 30},
        "apps": [
            {
                "name": name,
                "url": url,
                "token": {"env": token_env},
                "max_retries": 3,
                **(app_options or {}).get(name, {}),
            }
            for name, url in apps.items()
        ],
    }
    if remediation:
        raw["remediation"] = dict(remediation)
    return parse_config(raw, tmp_path / "scimaudit.toml")


def write_snapshot(
    cfg: Config,
    app: str,
    users: Iterable[Mapping[str, Any]],
    groups: Iterable[Mapping[str, Any]] = (),
    *,
    as_of: datetime | None = None,
) -> int:
    """A complete app snapshot from dicts: users ``{id, userName, active, version, lastModified}``,
    groups ``{id, displayName, version, members: [user ids]}``. Returns the snapshot id."""
    with connect(cfg.store.path) as con:
        sid = snapshots.begin(con, "app", app, location="test", as_of=as_of)
        for u in users:
            con.execute(
                "INSERT INTO account (snapshot_id, app, account_id, user_name, active, etag,"
                " last_modified) VALUES (?, ?, ?, ?, ?, ?, ?::TIMESTAMPTZ)",
                [
                    sid,
                    app,
                    u["id"],
                    u["userName"],
                    u.get("active", True),
                    u.get("version"),
                    u.get("lastModified"),
                ],
            )
        for g in groups:
            members = list(g.get("members", []))
            con.execute(
                "INSERT INTO scim_group (snapshot_id, app, group_id, display_name, member_count,"
                " etag) VALUES (?, ?, ?, ?, ?, ?)",
                [sid, app, g["id"], g["displayName"], len(members), g.get("version")],
            )
            for member in members:
                con.execute(
                    "INSERT INTO membership VALUES (?, ?, ?, ?, 'User')",
                    [sid, app, g["id"], member],
                )
        snapshots.finish(con, sid, "complete")
    return sid
