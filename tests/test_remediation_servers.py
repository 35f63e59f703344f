"""Plan → apply → verify against real SCIM servers on 127.0.0.1 (scim2-server and SCIMMY).

Faults a real server will not produce on demand (a 429, a connection lost mid-run, a change racing
our write) are injected by wrapping the real transport; everything else is the servers' own answers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from remediation_support import make_config
from scimaudit.collect.scim import recollect
from scimaudit.collect.scim.collector import collect_apps
from scimaudit.config import AppConfig, Config
from scimaudit.demo.scim2_server import Scim2ServerProcess
from scimaudit.demo.seed import seed
from scimaudit.remediation import apply_plan, operation_status, verify_log, verify_plan
from scimaudit.remediation.model import OperationSource, Plan, Revocation
from scimaudit.remediation.plan import build_plan
from scimaudit.remediation.plan_store import save_plan
from scimaudit.remediation.scim_ops import PATCH_OP_SCHEMA
from scimaudit.store.connect import connect
from scimmy_peer import ScimmyProcess

pytestmark = pytest.mark.slow

TOKEN_ENV = "REMEDIATION_TEST_TOKEN"
USERS = [{"userName": n} for n in ("alice", "bob", "carol", "dora", "root")]
GROUPS = [
    {"displayName": "admins", "members": [{"value": n} for n in ("alice", "bob", "root")]},
    {"displayName": "eng", "members": [{"value": n} for n in ("alice", "carol")]},
]
REVIEW = OperationSource("campaign", campaign_id=1, item_id=1, reason="no longer needed")

Fault = Callable[["Recorder", httpx.Request], Awaitable[httpx.Response | None]]


class Recorder(httpx.AsyncBaseTransport):
    """The real transport, recording every request; ``fault`` may answer instead of the server."""

    def __init__(self, seen: list[tuple[str, str]], fault: Fault | None = None) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.seen = seen
        self.fault = fault

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((request.method, request.url.path))
        if self.fault is not None:
            injected = await self.fault(self, request)
            if injected is not None:
                return injected
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def recording(
    seen: list[tuple[str, str]], fault: Fault | None = None
) -> Callable[[AppConfig], httpx.AsyncBaseTransport]:
    return lambda app: Recorder(seen, fault)


def writes(seen: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(m, p) for m, p in seen if m != "GET"]


class App:
    """One seeded peer, its config, and direct access for checking and tampering."""

    def __init__(self, base_url: str, token: str, ids: dict[str, str], cfg: Config) -> None:
        self.base_url, self.token, self.ids, self.cfg = base_url, token, ids, cfg
        self.client = httpx.Client(
            base_url=base_url + "/",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"},
        )

    def group(self, name: str) -> dict[str, Any]:
        for group in self.client.get("Groups").json()["Resources"]:
            if group["displayName"] == name:
                return dict(self.client.get(f"Groups/{group['id']}").json())
        raise KeyError(name)

    def members(self, name: str) -> set[str]:
        by_id = {v: k for k, v in self.ids.items()}
        return {by_id[m["value"]] for m in self.group(name).get("members") or []}

    def user(self, name: str) -> httpx.Response:
        return self.client.get(f"Users/{self.ids[name]}")

    def add_member(self, group: str, user: str) -> None:
        body = {
            "schemas": [PATCH_OP_SCHEMA],
            "Operations": [{"op": "add", "path": "members", "value": [{"value": self.ids[user]}]}],
        }
        response = self.client.patch(
            f"Groups/{self.group(group)['id']}", content=orjson.dumps(body)
        )
        assert response.status_code in (200, 204), response.text

    def plan(self, revocations: list[tuple[str, str | None]]) -> Plan:
        """Collect, then plan and store revocations of ``(userName, group or None)``."""
        results = collect_apps(self.cfg, progress=False)
        assert [r.status for r in results] == ["complete"], [r.error for r in results]
        revs = [
            Revocation("chat", self.ids[user], REVIEW, group_name=group)
            for user, group in revocations
        ]
        with connect(self.cfg.store.path) as con:
            plan = build_plan(con, self.cfg, revs, actor="cli:test", sources={"campaign_id": 1})
            save_plan(con, plan)
        return plan


def _app(
    base_url: str, token: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **options: Any
) -> App:
    ids = seed(base_url, token, USERS, GROUPS)
    monkeypatch.setenv(TOKEN_ENV, token)
    cfg = make_config(
        tmp_path,
        {"chat": base_url},
        token_env=TOKEN_ENV,
        app_options={"chat": {"break_glass_accounts": ["root"], **options}},
    )
    return App(base_url, token, ids, cfg)


@pytest.fixture
def scim2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[App]:
    with Scim2ServerProcess() as server:
        yield _app(server.base_url(), server.token, tmp_path, monkeypatch)


@pytest.fixture
def scimmy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[App]:
    with ScimmyProcess() as server:
        yield _app(server.base_url(), server.token, tmp_path, monkeypatch, remove_account="delete")


def _states(app: App, plan: Plan) -> dict[int | None, str]:
    with connect(app.cfg.store.path) as con:
        return {s.seq: s.state for s in operation_status(con, plan_id=plan.plan_id)}


def test_plan_apply_verify_on_scim2_server(scim2: App) -> None:
    plan = scim2.plan([("alice", "admins"), ("bob", "admins"), ("carol", None), ("root", None)])
    assert [op.describe() for op in plan.operations] == [
        'remove alice from group "admins"',
        'remove bob from group "admins"',
        "deactivate carol (active: true → false)",
    ]
    assert [e.user_name for e in plan.excluded] == ["root"]  # break-glass: never touched

    seen: list[tuple[str, str]] = []
    rehearsal = apply_plan(scim2.cfg, plan.plan_id, plan.sha256, transport_factory=recording(seen))
    assert rehearsal.counts == {"would_apply": 3}
    assert writes(seen) == []  # a dry run only reads
    assert scim2.members("admins") == {"alice", "bob", "root"}
    assert _states(scim2, plan) == {
        1: "requested",
        2: "requested",
        3: "requested",
        None: "excluded",
    }

    seen.clear()
    done = apply_plan(
        scim2.cfg, plan.plan_id, plan.sha256, execute=True, transport_factory=recording(seen)
    )
    assert done.ok and done.counts == {"applied": 3}
    group_path = f"/app/v2/Groups/{scim2.group('admins')['id']}"
    # both removals from one group travel in one atomic PATCH (RFC 7644 §3.5.2)
    assert writes(seen) == [("PATCH", group_path), ("PATCH", f"/app/v2/Users/{scim2.ids['carol']}")]
    assert scim2.members("admins") == {"root"}
    assert scim2.members("eng") == {"alice", "carol"}  # untouched
    assert scim2.user("carol").json()["active"] is False

    with connect(scim2.cfg.store.path) as con:
        logged = con.execute(
            "SELECT precondition, method, if_match, response_status, request_body"
            " FROM remediation_operation_log WHERE mode = 'execute' AND seq = 1"
        ).fetchone()
    assert logged is not None
    assert logged[:4] == ("etag", "PATCH", plan.operations[0].expected_etag, 204)
    assert len(orjson.loads(logged[4])["Operations"]) == 2

    seen.clear()
    again = apply_plan(
        scim2.cfg, plan.plan_id, plan.sha256, execute=True, transport_factory=recording(seen)
    )
    assert (again.settled_before, again.counts, seen) == (3, {}, [])  # idempotent: nothing resent

    verified = verify_plan(scim2.cfg, plan.plan_id, recollect=recollect)
    assert verified.ok and verified.counts == {"verified": 3}
    assert _states(scim2, plan) == {1: "verified", 2: "verified", 3: "verified", None: "excluded"}
    with connect(scim2.cfg.store.path) as con:
        assert verify_log(con, plan.plan_id).ok


def test_plan_apply_verify_on_scimmy_with_delete_policy(scimmy: App) -> None:
    plan = scimmy.plan([("alice", "eng"), ("bob", None)])
    assert [(op.action, op.method) for op in plan.operations] == [
        ("remove_member", "PATCH"),
        ("delete", "DELETE"),
    ]
    assert all(op.expected_etag is None for op in plan.operations)  # SCIMMY has no ETags
    assert all(op.expected_last_modified for op in plan.operations)

    seen: list[tuple[str, str]] = []
    done = apply_plan(
        scimmy.cfg, plan.plan_id, plan.sha256, execute=True, transport_factory=recording(seen)
    )
    assert done.ok and done.counts == {"applied": 2}
    with connect(scimmy.cfg.store.path) as con:
        rows = con.execute(
            "SELECT precondition, if_match FROM remediation_operation_log WHERE mode = 'execute'"
        ).fetchall()
    # SCIMMY ignores If-Match, so none is sent; the change check is on meta.lastModified instead
    assert rows == [("last_modified", None), ("last_modified", None)]
    assert scimmy.members("eng") == {"carol"}
    assert scimmy.user("bob").status_code == 404

    verified = verify_plan(scimmy.cfg, plan.plan_id, recollect=recollect)
    assert verified.counts == {"verified": 2}
    assert [r.detail for r in verified.results][1].startswith("account not in snapshot")


def test_resource_changed_since_snapshot_is_skipped_not_clobbered(scim2: App) -> None:
    plan = scim2.plan([("alice", "admins"), ("carol", None)])
    scim2.add_member("admins", "dora")  # someone changes the group after the snapshot
    done = apply_plan(scim2.cfg, plan.plan_id, plan.sha256, execute=True)
    outcome = {r.seq: (r.outcome, r.detail) for r in done.results}
    assert outcome[1][0] == "conflict" and "meta.version" in (outcome[1][1] or "")
    assert outcome[2][0] == "applied"  # the other resource is not held back
    assert scim2.members("admins") == {"alice", "bob", "root", "dora"}  # nothing overwritten
    assert _states(scim2, plan)[1] == "conflict"
    verified = verify_plan(scim2.cfg, plan.plan_id, recollect=recollect)
    assert [(r.seq, r.outcome) for r in verified.results] == [(1, "not_applied"), (2, "verified")]


def test_change_racing_the_write_is_refused_by_if_match(scim2: App) -> None:
    plan = scim2.plan([("bob", "admins")])

    async def change_just_before_patch(rec: Recorder, request: httpx.Request) -> None:
        if request.method == "PATCH":
            scim2.add_member("admins", "dora")  # lands between our GET and our PATCH
        return None

    done = apply_plan(
        scim2.cfg,
        plan.plan_id,
        plan.sha256,
        execute=True,
        transport_factory=recording([], change_just_before_patch),
    )
    (result,) = done.results
    assert (result.outcome, result.response_status) == ("conflict", 412)
    assert scim2.members("admins") == {"alice", "bob", "root", "dora"}


def test_change_since_snapshot_on_scimmy_is_caught_by_last_modified(scimmy: App) -> None:
    plan = scimmy.plan([("alice", "eng")])
    scimmy.add_member("eng", "dora")
    done = apply_plan(scimmy.cfg, plan.plan_id, plan.sha256, execute=True)
    (result,) = done.results
    assert result.outcome == "conflict" and "meta.lastModified" in (result.detail or "")
    assert scimmy.members("eng") == {"alice", "carol", "dora"}


def test_partial_failure_mid_apply_then_resume(scim2: App) -> None:
    plan = scim2.plan([("alice", "admins"), ("alice", "eng"), ("carol", None)])
    assert len(plan.operations) == 3  # three resources: admins, eng, carol

    async def network_dies_after_first_write(rec: Recorder, request: httpx.Request) -> None:
        if any(m == "PATCH" for m, _ in rec.seen[:-1]):
            raise httpx.ConnectError("injected: connection refused", request=request)
        return None

    seen: list[tuple[str, str]] = []
    broken = apply_plan(
        scim2.cfg,
        plan.plan_id,
        plan.sha256,
        execute=True,
        transport_factory=recording(seen, network_dies_after_first_write),
    )
    assert not broken.ok
    assert broken.counts == {"applied": 1} and broken.not_attempted == [2, 3]
    assert scim2.members("admins") == {"bob", "root"} and scim2.members("eng") == {"alice", "carol"}
    assert _states(scim2, plan) == {1: "applied", 2: "requested", 3: "requested"}

    seen.clear()
    resumed = apply_plan(
        scim2.cfg, plan.plan_id, plan.sha256, execute=True, transport_factory=recording(seen)
    )
    assert resumed.ok and resumed.settled_before == 1 and resumed.counts == {"applied": 2}
    admins_path = f"/app/v2/Groups/{scim2.group('admins')['id']}"
    assert all(path != admins_path for _, path in seen)  # the done operation is not redone
    assert scim2.members("eng") == {"carol"}
    assert verify_plan(scim2.cfg, plan.plan_id, recollect=recollect).counts == {"verified": 3}


def test_429_during_apply_is_waited_out_and_retried(scim2: App) -> None:
    plan = scim2.plan([("bob", "admins")])

    async def throttle_first_patch(rec: Recorder, request: httpx.Request) -> httpx.Response | None:
        if request.method == "PATCH" and sum(m == "PATCH" for m, _ in rec.seen) == 1:
            return httpx.Response(429, headers={"Retry-After": "1"}, request=request)
        return None

    seen: list[tuple[str, str]] = []
    done = apply_plan(
        scim2.cfg,
        plan.plan_id,
        plan.sha256,
        execute=True,
        transport_factory=recording(seen, throttle_first_patch),
    )
    assert done.ok and done.counts == {"applied": 1} and done.retries == 1
    assert [m for m, _ in writes(seen)] == ["PATCH", "PATCH"]
    with connect(scim2.cfg.store.path) as con:
        row = con.execute(
            "SELECT attempts, response_status FROM remediation_operation_log WHERE mode = 'execute'"
        ).fetchone()
    assert row == (2, 204)
    assert scim2.members("admins") == {"alice", "root"}


def test_access_put_back_after_apply_is_reported_still_present(scim2: App) -> None:
    plan = scim2.plan([("bob", "admins")])
    assert apply_plan(scim2.cfg, plan.plan_id, plan.sha256, execute=True).ok
    stale = verify_plan(scim2.cfg, plan.plan_id, recollect=None)  # no pull since the apply
    assert not stale.ok and stale.counts == {"not_checked": 1}
    assert "taken after the apply" in stale.collection_errors["chat"]

    scim2.add_member("admins", "bob")  # e.g. a provisioning job puts the access back
    verified = verify_plan(scim2.cfg, plan.plan_id, recollect=recollect)
    assert not verified.ok and verified.counts == {"still_present": 1}
    assert verified.results[0].detail.startswith('still a member of "admins" in snapshot')
    assert _states(scim2, plan) == {1: "still_present"}
