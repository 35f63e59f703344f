"""The real SCIM peers (scim2-server, SCIMMY) start, take seeded data, serve it back, and stop.

Everything is read back with raw httpx, not with scimaudit's collector, so these tests check the
peers and :func:`scimaudit.demo.seed.seed` on their own.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil
import pytest

from scimaudit.demo.loopback import PeerStartError
from scimaudit.demo.scim2_server import Scim2ServerProcess
from scimaudit.demo.seed import SeedError, seed, seed_from_sample_dir
from scimmy_peer import ScimmyProcess

pytestmark = pytest.mark.slow

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
REPO = Path(__file__).resolve().parents[1]


def make_users(prefix: str, n: int = 50) -> list[dict[str, Any]]:
    return [
        {
            "userName": f"{prefix}.user{i:03d}@example.com",
            "displayName": f"{prefix} User {i}",
            "name": {"givenName": f"Given{i}", "familyName": prefix.title()},
            "active": i % 10 != 0,
            "emails": [{"value": f"{prefix}.user{i:03d}@example.com", "primary": True}],
        }
        for i in range(n)
    ]


def make_groups(users: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Three groups: every 3rd user from offset j, so memberships differ and overlap nothing."""
    return [
        {
            "displayName": f"group-{j}",
            "members": [{"value": u["userName"]} for u in users[j::3]],
        }
        for j in range(3)
    ]


def client(base_url: str, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=base_url + "/", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def list_by_index(c: httpx.Client, endpoint: str, count: int) -> list[dict[str, Any]]:
    """Walk startIndex/count pages (RFC 7644 §3.4.2.4) and check every page's totalResults."""
    resources: list[dict[str, Any]] = []
    start = 1
    total: int | None = None
    while True:
        response = c.get(endpoint, params={"startIndex": start, "count": count})
        assert response.status_code == 200, response.text
        page = orjson.loads(response.content)
        total = page["totalResults"] if total is None else total
        assert page["totalResults"] == total
        assert page.get("startIndex") == start
        batch = page.get("Resources", [])
        resources += batch
        start += len(batch)
        if not batch or start > total:
            break
    assert len(resources) == total
    return resources


def assert_gone(pid: int) -> None:
    """The process is gone, or a zombie nobody has reaped yet (it no longer runs)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return
        except psutil.NoSuchProcess:
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} is still running")


def check_seeded(
    c: httpx.Client,
    users: list[dict[str, Any]],
    groups: list[dict[str, Any]],
    ids: dict[str, str],
    page_size: int,
) -> dict[str, dict[str, Any]]:
    """Exact users, ids and memberships come back; return the groups by displayName."""
    listed = list_by_index(c, "Users", page_size)
    assert sorted(u["userName"] for u in listed) == sorted(u["userName"] for u in users)
    assert {u["userName"]: u["id"] for u in listed} == ids
    assert len(set(ids.values())) == len(users)
    by_name = {u["userName"]: u for u in listed}
    for user in users:
        assert by_name[user["userName"]]["active"] is user["active"]

    listed_groups = {g["displayName"]: g for g in list_by_index(c, "Groups", 2)}
    assert sorted(listed_groups) == sorted(g["displayName"] for g in groups)
    for group in groups:
        expected = {ids[m["value"]] for m in group["members"]}
        got = [m["value"] for m in listed_groups[group["displayName"]]["members"]]
        assert len(got) == len(expected)
        assert set(got) == expected
    return listed_groups


# ------------------------------------------------------------------------------------------
# scim2-server


def test_scim2_server_two_tenants_seed_and_list() -> None:
    with Scim2ServerProcess(["alpha", "beta"]) as server:
        pid = server.pid
        assert server.base_url("alpha").endswith("/alpha/v2")
        assert server.base_url("beta").endswith("/beta/v2")
        with pytest.raises(KeyError):
            server.base_url()
        data = {}
        for tenant in ("alpha", "beta"):
            users = make_users(tenant)
            groups = make_groups(users)
            ids = seed(server.base_url(tenant), server.token, users, groups)
            data[tenant] = (users, groups, ids)
        for tenant, (users, groups, ids) in data.items():
            with client(server.base_url(tenant), server.token) as c:
                check_seeded(c, users, groups, ids, page_size=7)
                # userName is caseExact=false (RFC 7643 §4.1.1): eq matches any case.
                name = users[3]["userName"].upper()
                found = c.get("Users", params={"filter": f'userName eq "{name}"'}).json()
                assert [r["id"] for r in found["Resources"]] == [ids[users[3]["userName"]]]
        # The tenants are separate stores, and the token is enforced.
        with client(server.base_url("alpha"), "wrong-token") as c:
            assert c.get("Users").status_code == 401
        unknown = httpx.get(
            f"{server.origin}/gamma/v2/Users",
            headers={"Authorization": f"Bearer {server.token}"},
        )
        assert unknown.status_code == 404
    assert_gone(pid)


def test_scim2_server_cursor_pagination() -> None:
    with Scim2ServerProcess(["app"], cursor=True, max_page_size=20) as server:
        pid = server.pid
        users = make_users("cur", 50)
        ids = seed(server.base_url(), server.token, users, make_groups(users))
        with client(server.base_url(), server.token) as c:
            config = c.get("ServiceProviderConfig").json()
            assert config["pagination"]["cursor"] is True
            assert config["pagination"]["maxPageSize"] == 20
            # RFC 9865 §3: an empty cursor asks for the first page.
            seen: list[str] = []
            cursor = ""
            pages = 0
            while True:
                page = c.get("Users", params={"cursor": cursor, "count": 20}).json()
                pages += 1
                assert page["totalResults"] == 50
                assert "startIndex" not in page
                seen += [r["id"] for r in page["Resources"]]
                if "nextCursor" not in page:
                    break
                cursor = page["nextCursor"]
            assert pages == 3
            assert sorted(seen) == sorted(ids.values())
            # A count above maxPageSize is lowered to it.
            assert len(c.get("Users", params={"count": 500}).json()["Resources"]) == 20
    assert_gone(pid)


def test_scim2_server_start_failure_explains_itself() -> None:
    with pytest.raises(PeerStartError, match="defaultPageSize") as info:
        Scim2ServerProcess(["app"], default_page_size=-1, token="do-not-show-me").start()
    assert "do-not-show-me" not in str(info.value)
    assert "--bearer-token=***" in str(info.value)


# ------------------------------------------------------------------------------------------
# SCIMMY


def test_scimmy_seed_list_patch_delete() -> None:
    with ScimmyProcess() as peer:
        pid = peer.pid
        users = make_users("smy")
        groups = make_groups(users)
        ids = seed(peer.base_url(), peer.token, users, groups)
        with client(peer.base_url(), peer.token) as c:
            listed_groups = check_seeded(c, users, groups, ids, page_size=7)

            # A page that starts inside the first `count` resources (SCIMMY re-slices these
            # unless the adapter's pre-sliced pages are respected).
            page = c.get("Users", params={"startIndex": 5, "count": 10}).json()
            assert page["startIndex"] == 5
            all_ids = [u["id"] for u in list_by_index(c, "Users", 50)]
            assert [r["id"] for r in page["Resources"]] == all_ids[4:14]

            one = users[7]["userName"]
            found = c.get("Users", params={"filter": f'userName eq "{one}"'}).json()
            assert [r["id"] for r in found["Resources"]] == [ids[one]]
            got = c.get(f"Users/{ids[one]}")
            assert got.status_code == 200
            assert got.json()["userName"] == one

            # Revocation paths: remove one member, deactivate a user, delete another.
            group = listed_groups["group-1"]
            removed = group["members"][0]["value"]
            response = c.patch(
                f"Groups/{group['id']}",
                json={
                    "schemas": [PATCH_OP],
                    "Operations": [{"op": "remove", "path": f'members[value eq "{removed}"]'}],
                },
            )
            assert response.status_code in (200, 204), response.text
            members = [m["value"] for m in c.get(f"Groups/{group['id']}").json()["members"]]
            assert removed not in members
            assert len(members) == len(group["members"]) - 1

            response = c.patch(
                f"Users/{removed}",
                json={
                    "schemas": [PATCH_OP],
                    "Operations": [{"op": "replace", "path": "active", "value": False}],
                },
            )
            assert response.status_code in (200, 204), response.text
            assert c.get(f"Users/{removed}").json()["active"] is False

            assert c.delete(f"Users/{removed}").status_code == 204
            assert c.get(f"Users/{removed}").status_code == 404
            assert c.get("Users", params={"count": 0}).json()["totalResults"] == 49
    assert_gone(pid)


def test_scimmy_seed_without_bulk() -> None:
    with ScimmyProcess() as peer:
        users = make_users("post", 12)
        groups = make_groups(users)
        ids = seed(peer.base_url(), peer.token, users, groups, use_bulk=False)
        with client(peer.base_url(), peer.token) as c:
            check_seeded(c, users, groups, ids, page_size=5)


def test_scimmy_missing_node_modules(tmp_path: Path) -> None:
    (tmp_path / "server.js").write_text("")
    with pytest.raises(PeerStartError, match="make peers"):
        ScimmyProcess(project_dir=tmp_path).start()


def test_scimmy_missing_node() -> None:
    with pytest.raises(PeerStartError, match=r"Node\.js"):
        ScimmyProcess(node="/nonexistent/node").start()


# ------------------------------------------------------------------------------------------
# seeding


def test_seed_refuses_unknown_members_before_writing() -> None:
    with ScimmyProcess() as peer:
        users = make_users("bad", 3)
        groups = [{"displayName": "g", "members": [{"value": "nobody@example.com"}]}]
        with pytest.raises(SeedError, match=r"nobody@example\.com"):
            seed(peer.base_url(), peer.token, users, groups)
        with client(peer.base_url(), peer.token) as c:
            assert c.get("Users").json()["totalResults"] == 0


def test_seed_from_sample_dir(tmp_path: Path) -> None:
    users = make_users("dir", 9)
    (tmp_path / "users.json").write_bytes(orjson.dumps(users))
    (tmp_path / "groups.json").write_bytes(orjson.dumps(make_groups(users)))
    # A token that starts like an option must still reach scim2-server as the token.
    with Scim2ServerProcess(["app"], token="-leading-dash") as server:
        ids = seed_from_sample_dir(server.base_url(), server.token, tmp_path)
        assert sorted(ids) == sorted(u["userName"] for u in users)


def sample_apps() -> Iterator[Path]:
    apps = REPO / "sample_data" / "apps"
    if apps.is_dir():
        yield from sorted(p for p in apps.iterdir() if (p / "users.json").is_file())


@pytest.mark.parametrize("app_dir", list(sample_apps()), ids=lambda p: p.name)
def test_sample_data_seeds_both_peers(app_dir: Path) -> None:
    """The demo's sample apps load into both peers, and every user and group comes back."""
    users = orjson.loads((app_dir / "users.json").read_bytes())
    groups_path = app_dir / "groups.json"
    groups = orjson.loads(groups_path.read_bytes()) if groups_path.is_file() else []
    with Scim2ServerProcess(["app"]) as server, ScimmyProcess() as peer:
        for base_url, token in (
            (server.base_url(), server.token),
            (peer.base_url(), peer.token),
        ):
            ids = seed_from_sample_dir(base_url, token, app_dir)
            assert len(ids) == len(users)
            with client(base_url, token) as c:
                assert c.get("Users", params={"count": 0}).json()["totalResults"] == len(users)
                assert c.get("Groups", params={"count": 0}).json()["totalResults"] == len(groups)


# ------------------------------------------------------------------------------------------
# no server outlives its parent


@pytest.mark.parametrize(
    ("module", "kind"),
    [("scimaudit.demo.scim2_server", "Scim2ServerProcess"), ("scimmy_peer", "ScimmyProcess")],
)
def test_server_dies_with_its_parent(module: str, kind: str, tmp_path: Path) -> None:
    """A parent killed by SIGKILL runs no cleanup; the stdin watchdog still ends the server."""
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        from {module} import {kind}
        peer = {kind}().start()
        print(peer.pid, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        # PYTHONPATH: the SCIMMY launcher is test code, in tests/. TMPDIR: the killed parent
        # cannot remove its temporary directory; keep it in tmp_path.
        env={**os.environ, "PYTHONPATH": str(REPO / "tests"), "TMPDIR": str(tmp_path)},
    )
    assert run.returncode == -9, run.stderr
    assert_gone(int(run.stdout.strip()))
