"""A snapshot is complete only when coherent: items 1-6 of issue 13, on fault transports.

Each test first takes a clean complete snapshot (35 users, 4 groups), then collects again from a
misbehaving server and checks the outcome: a correct complete snapshot, or a clear failure (or a
suspect hold) with the earlier complete snapshot untouched and still current.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from faults.harness import (
    TOKEN_ENV,
    account_ids,
    app_table,
    collect,
    completeness,
    current_id,
    make_config,
    query,
)
from faults.mock_scim import (
    LIST,
    LoopbackServer,
    MockScim,
    State,
    json_response,
    make_groups,
    make_users,
)
from scimaudit.config import Config
from scimaudit.errors import InputError
from scimaudit.store import connect, snapshots
from test_scim_cli import run, write_config


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, "test-token")


def baseline(tmp_path: Path, **options: Any) -> tuple[Config, MockScim, int]:
    users = make_users(35)
    server = MockScim(users, make_groups(users, 4))
    config = make_config(tmp_path, app_table("app", **options))
    [result] = collect(config, {"app": server})
    assert result.status == "complete", result.error
    assert result.snapshot_id is not None
    server.state = State()
    return config, server, result.snapshot_id


def untouched(config: Config, good: int) -> None:
    assert current_id(config, "app") == good
    assert len(account_ids(config, good)) == 35


def by_user_name(server: MockScim) -> None:
    """Rewrite every member value to the member's userName, as canaille 0.3.6 sends them."""
    names = {u["id"]: u["userName"] for u in server.users}
    for group in server.groups:
        group["members"] = [{"value": names[m["value"]]} for m in group["members"]]


# 1. group members that point at no account --------------------------------------------------


def test_member_values_naming_no_account_fail_the_snapshot_naming_group_and_values(
    tmp_path: Path,
) -> None:
    config, server, good = baseline(tmp_path)
    by_user_name(server)
    [result] = collect(config, {"app": server})
    assert result.status == "failed"
    assert result.exit_code == 5
    error = result.error or ""
    assert "35 of 35 memberships name no account or group" in error
    assert "group 'group-0'" in error and "'u0@example.com'" in error
    assert 'member_ref = "userName"' in error
    record = completeness(config, result.snapshot_id or 0)
    assert record["membership"]["unresolved"] == 35
    assert record["membership"]["resolved_by_id"] == 0
    untouched(config, good)


def test_member_ref_user_name_resolves_every_membership_to_an_account_id(tmp_path: Path) -> None:
    config, server, good = baseline(tmp_path, member_ref="userName")
    by_user_name(server)
    [result] = collect(config, {"app": server})
    assert result.status == "complete", result.error
    sid = result.snapshot_id or 0
    record = completeness(config, sid)["membership"]
    assert (record["memberships"], record["resolved_by_userName"], record["unresolved"]) == (
        35,
        35,
        0,
    )
    dangling = query(
        config,
        "SELECT count(*) FROM membership m ANTI JOIN account a"
        " ON a.snapshot_id = m.snapshot_id AND a.account_id = m.account_id"
        " WHERE m.snapshot_id = ?",
        [sid],
    )
    assert dangling == [(0,)]
    members = query(
        config,
        "SELECT account_id FROM membership WHERE snapshot_id = ? AND group_id = 'g000' ORDER BY 1",
        [sid],
    )
    assert [m[0] for m in members] == [f"u{i:05d}" for i in range(0, 35, 4)]
    assert current_id(config, "app") == sid != good


def test_member_ref_email_matches_any_address_case_insensitively(tmp_path: Path) -> None:
    config, server, _ = baseline(tmp_path, member_ref="email")
    emails = {u["id"]: u["emails"][0]["value"].upper() for u in server.users}
    for group in server.groups:
        group["members"] = [{"value": emails[m["value"]], "type": "User"} for m in group["members"]]
    [result] = collect(config, {"app": server})
    assert result.status == "complete", result.error
    assert completeness(config, result.snapshot_id or 0)["membership"]["resolved_by_email"] == 35


def test_a_user_name_two_accounts_share_is_not_guessed(tmp_path: Path) -> None:
    config, server, good = baseline(tmp_path, member_ref="userName")
    by_user_name(server)
    server.users[1]["userName"] = server.users[0]["userName"]  # u00001 now shares u00000's name
    [result] = collect(config, {"app": server})
    assert result.status == "failed"
    assert "'u0@example.com'" in (result.error or "")
    untouched(config, good)


def test_nested_group_members_resolve_to_groups(tmp_path: Path) -> None:
    config, server, _ = baseline(tmp_path)
    server.groups[0]["members"].append({"value": "g001", "type": "Group"})
    [result] = collect(config, {"app": server})
    assert result.status == "complete", result.error


# 2. an empty (or collapsed) user list ---------------------------------------------------------


def test_empty_user_list_while_groups_list_members_fails(tmp_path: Path) -> None:
    config, server, good = baseline(tmp_path)

    def no_users(request: httpx.Request, state: State) -> httpx.Response | None:
        if request.url.path.endswith("/Users"):
            return json_response(200, {"schemas": [LIST], "totalResults": 0})
        return None

    server.faults.append(no_users)
    [result] = collect(config, {"app": server})
    assert result.status == "failed"
    assert "35 of 35 memberships name no account" in (result.error or "")
    untouched(config, good)


def test_collapse_to_zero_users_is_held_suspect_until_accepted(tmp_path: Path) -> None:
    config, server, good = baseline(tmp_path)
    server.users.clear()
    server.groups.clear()
    [result] = collect(config, {"app": server})
    assert result.status == "suspect"
    assert result.exit_code == 5
    assert "count fell from 35" in (result.error or "") and "--accept" in (result.error or "")
    untouched(config, good)
    sid = result.snapshot_id or 0
    with connect(config.store.path) as con:
        with pytest.raises(InputError, match="not suspect"):
            snapshots.accept(con, good, accepted_by="cli:tester", reason="x")
        snap = snapshots.accept(con, sid, accepted_by="cli:tester", reason="tenant wound down")
        assert snap.status == "complete"
        assert snap.completeness["accepted"]["by"] == "cli:tester"
        assert "count fell from 35" in snap.completeness["accepted"]["held_because"]
        rows = con.execute("SELECT accepted_by, reason FROM snapshot_acceptance").fetchall()
    assert rows == [("cli:tester", "tenant wound down")]
    assert current_id(config, "app") == sid


@pytest.mark.parametrize(("left", "status"), [(17, "suspect"), (18, "complete")])
def test_collapse_threshold_is_a_share_of_the_last_complete_count(
    tmp_path: Path, left: int, status: str
) -> None:
    config, server, _ = baseline(tmp_path)
    server.users = server.users[:left]
    server.groups = make_groups(server.users, 4)
    [result] = collect(config, {"app": server})
    assert result.status == status, result.error
    assert completeness(config, result.snapshot_id or 0)["collapse"]["previous_users"] == 35


def test_collapse_share_is_configurable(tmp_path: Path) -> None:
    config, server, good = baseline(tmp_path, collapse_share=0.1)
    server.users = server.users[:30]
    server.groups = make_groups(server.users, 4)
    [result] = collect(config, {"app": server})
    assert result.status == "suspect"
    untouched(config, good)


# the CLI: a suspect collect exits 5, is listed as suspect, and --accept records who and why ----


def test_cli_collect_suspect_then_snapshots_accept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLI_TEST_TOKEN", "test-token")
    users = make_users(20)
    server = MockScim(users, make_groups(users, 3))
    with LoopbackServer(server.handle) as loop:
        cfg = write_config(tmp_path, {"crm": f"{loop.origin}/scim/v2"})
        code, _, err = run(["--config", str(cfg), "collect", "--app", "crm", "--json"], capsys)
        assert code == 0, err
        server.users.clear()
        server.groups.clear()
        code, out, err = run(["--config", str(cfg), "collect", "--app", "crm", "--json"], capsys)
    assert code == 5
    [row] = orjson.loads(out)
    assert row["status"] == "suspect"
    assert "count fell from 20" in err and "--accept" in err
    sid = row["snapshot_id"]
    code, out, _ = run(["--config", str(cfg), "snapshots", "--format", "json"], capsys)
    listed = {r["snapshot_id"]: (r["status"], r["current"]) for r in orjson.loads(out)}
    assert listed[sid] == ("suspect", False)
    code, _, err = run(["--config", str(cfg), "snapshots", "--accept", str(sid)], capsys)
    assert code == 3 and "--reason" in err
    accept = ["snapshots", "--accept", str(sid), "--reason", "CRM retired", "--actor", "jane"]
    code, out, err = run(["--config", str(cfg), *accept], capsys)
    assert code == 0, err
    assert f"snapshot {sid} (crm) accepted by jane" in out
    code, out, _ = run(["--config", str(cfg), "snapshots", "--format", "json"], capsys)
    accepted = next(r for r in orjson.loads(out) if r["snapshot_id"] == sid)
    assert (accepted["status"], accepted["current"]) == ("complete", True)
    assert accepted["completeness"]["accepted"]["reason"] == "CRM retired"
