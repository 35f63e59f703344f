"""Run the collector against in-memory fake servers and a real DuckDB file in a temp folder."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from faults.mock_scim import MockScim
from scimaudit.collect.scim.collector import AppResult, collect_apps_async
from scimaudit.config import Config, parse_config
from scimaudit.store import connect, snapshots

TOKEN_ENV = "SCIMAUDIT_TEST_TOKEN"


def app_table(name: str, **options: Any) -> dict[str, Any]:
    """An [[apps]] table for a fake server on loopback, with fast retries."""
    table: dict[str, Any] = {
        "name": name,
        "url": "http://127.0.0.1/scim/v2",
        "token": {"env": TOKEN_ENV},
        "page_size": 10,
        "max_retries": 3,
        "retry_base_seconds": 0.001,
        "timeout_seconds": 5,
    }
    table.update(options)
    return table


def make_config(tmp_path: Path, *apps: dict[str, Any]) -> Config:
    return parse_config(
        {"store": {"path": str(tmp_path / "store.duckdb")}, "apps": list(apps)},
        tmp_path / "scimaudit.toml",
    )


def collect(config: Config, servers: dict[str, MockScim], **kwargs: Any) -> list[AppResult]:
    return asyncio.run(
        collect_apps_async(
            config, transport_factory=lambda app: servers[app.name].transport(), **kwargs
        )
    )


def query(config: Config, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with connect(config.store.path) as con:
        return con.execute(sql, params or []).fetchall()


def current_id(config: Config, app: str) -> int | None:
    with connect(config.store.path) as con:
        snap = snapshots.current(con, "app", app)
    return snap.snapshot_id if snap else None


def account_ids(config: Config, snapshot_id: int) -> list[str]:
    rows = query(
        config, "SELECT account_id FROM account WHERE snapshot_id = ? ORDER BY 1", [snapshot_id]
    )
    return [r[0] for r in rows]


def completeness(config: Config, snapshot_id: int) -> dict[str, Any]:
    with connect(config.store.path) as con:
        return snapshots.get(con, snapshot_id).completeness
