"""Full pulls from real SCIM servers on 127.0.0.1, compared exactly with what was seeded.

scim2-server 0.8.3 in index mode, cursor mode (RFC 9865) and multi-tenant; SCIMMY (node), an
independent implementation with its own quirks (itemsPerPage echoes count, no ETags).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson
import pytest

from scimaudit.collect.scim import collect_apps
from scimaudit.config import Config, parse_config
from scimaudit.demo.scim2_server import Scim2ServerProcess
from scimaudit.demo.seed import seed
from scimaudit.store import connect
from scimmy_peer import ScimmyProcess

pytestmark = pytest.mark.slow

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
SAMPLE_APPS = Path(__file__).resolve().parents[1] / "sample_data" / "apps"


def synthetic(
    n_users: int, n_groups: int, tag: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    users = [
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
            "userName": f"{tag}.user{i}@example.com",
            "externalId": f"{tag}-{i}",
            "active": i % 5 != 0,
            "emails": [{"value": f"{tag}.user{i}@example.com", "primary": True, "type": "work"}],
            ENTERPRISE: {"employeeNumber": f"{i:05d}", "department": f"D{i % 4}"},
        }
        for i in range(n_users)
    ]
    groups = [
        {
            "displayName": f"{tag}-group-{g}",
            "members": [{"value": u["userName"]} for u in users[g::n_groups]],
        }
        for g in range(n_groups)
    ]
    return users, groups


def expected_view(
    users: list[dict[str, Any]], groups: list[dict[str, Any]]
) -> tuple[set[Any], set[Any]]:
    accounts = {
        (
            u["userName"],
            u.get("externalId"),
            u.get("active", True),
            u["emails"][0]["value"],
            (u.get(ENTERPRISE) or {}).get("employeeNumber"),
            (u.get(ENTERPRISE) or {}).get("department"),
        )
        for u in users
    }
    members = {(g["displayName"], m["value"]) for g in groups for m in g.get("members") or []}
    return accounts, members


def stored_view(config: Config, snapshot_id: int) -> tuple[set[Any], set[Any]]:
    with connect(config.store.path) as con:
        accounts = set(
            con.execute(
                "SELECT user_name, external_id, coalesce(active, true), primary_email,"
                " employee_number, department FROM account WHERE snapshot_id = ?",
                [snapshot_id],
            ).fetchall()
        )
        members = set(
            con.execute(
                "SELECT g.display_name, a.user_name FROM membership m"
                " JOIN scim_group g USING (snapshot_id, group_id)"
                " JOIN account a ON a.snapshot_id = m.snapshot_id AND a.account_id = m.account_id"
                " WHERE m.snapshot_id = ?",
                [snapshot_id],
            ).fetchall()
        )
    return accounts, members


def config_for(tmp_path: Path, apps: list[dict[str, Any]]) -> Config:
    return parse_config(
        {"store": {"path": str(tmp_path / "s.duckdb")}, "apps": apps}, tmp_path / "c.toml"
    )


def test_scim2_server_index_mode_full_pull(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    users, groups = synthetic(230, 7, "idx")
    with Scim2ServerProcess(["app"], max_page_size=50) as server:
        seed(server.base_url(), server.token, users, groups)
        monkeypatch.setenv("PEER_TOKEN", server.token)
        config = config_for(
            tmp_path,
            [
                {
                    "name": "app",
                    "url": server.base_url(),
                    "token": {"env": "PEER_TOKEN"},
                    "page_size": 200,
                }
            ],
        )
        [result] = collect_apps(config, progress=False)
    assert result.status == "complete", result.error
    record = result.completeness["resources"]["User"]
    assert record["pagination"] == "index"
    assert record["page_size"] == 50  # lowered to the announced maxResults
    assert record["expected"] == record["recount"] == record["loaded"] == 230
    assert stored_view(config, result.snapshot_id or 0) == expected_view(users, groups)


def test_scim2_server_cursor_mode_full_pull(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    users, groups = synthetic(120, 4, "cur")
    with Scim2ServerProcess(["app"], cursor=True, index=False) as server:
        seed(server.base_url(), server.token, users, groups)
        monkeypatch.setenv("PEER_TOKEN", server.token)
        config = config_for(
            tmp_path,
            [
                {
                    "name": "app",
                    "url": server.base_url(),
                    "token": {"env": "PEER_TOKEN"},
                    "page_size": 25,
                }
            ],
        )
        [result] = collect_apps(config, progress=False)
    assert result.status == "complete", result.error
    record = result.completeness["resources"]["User"]
    assert record["pagination"] == "cursor" and record["end"] == "no_next_cursor"
    assert record["pages"] == 5
    assert stored_view(config, result.snapshot_id or 0) == expected_view(users, groups)


def test_scim2_server_multi_tenant_sample_apps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = ["chat", "erp"]
    data = {
        n: (
            orjson.loads((SAMPLE_APPS / n / "users.json").read_bytes()),
            orjson.loads((SAMPLE_APPS / n / "groups.json").read_bytes()),
        )
        for n in names
    }
    with Scim2ServerProcess(names) as server:
        for name, (users, groups) in data.items():
            seed(server.base_url(name), server.token, users, groups)
        monkeypatch.setenv("PEER_TOKEN", server.token)
        config = config_for(
            tmp_path,
            [
                {
                    "name": n,
                    "url": server.base_url(n),
                    "token": {"env": "PEER_TOKEN"},
                    "page_size": 30,
                    "group_members": "per_group" if n == "erp" else "inline",
                }
                for n in names
            ],
        )
        results = {r.app: r for r in collect_apps(config, progress=False)}
    for name, (users, groups) in data.items():
        assert results[name].status == "complete", results[name].error
        got = stored_view(config, results[name].snapshot_id or 0)
        assert got == expected_view(users, groups)


def test_scimmy_full_pull(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    users, groups = synthetic(140, 5, "scimmy")
    with ScimmyProcess(max_page_size=40) as server:
        seed(server.base_url(), server.token, users, groups)
        monkeypatch.setenv("PEER_TOKEN", server.token)
        config = config_for(
            tmp_path,
            [
                {
                    "name": "scimmy",
                    "url": server.base_url(),
                    "token": {"env": "PEER_TOKEN"},
                    "page_size": 100,
                }
            ],
        )
        [result] = collect_apps(config, progress=False)
    assert result.status == "complete", result.error
    record = result.completeness["resources"]["User"]
    assert record["effective_page_size"] == 40
    assert record["expected"] == record["loaded"] == 140
    assert stored_view(config, result.snapshot_id or 0) == expected_view(users, groups)
    assert os.path.exists(config.store.path)
