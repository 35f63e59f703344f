"""Starting campaigns: frozen items with context, scope, reviewer assignment, refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from review_support import (
    CEO,
    DEV,
    LEO,
    MIA,
    OLE,
    ORG,
    SAM,
    SEC,
    SUE,
    A,
    F,
    P,
    build_store,
    make_config,
)
from scimaudit.config import Config
from scimaudit.errors import PermissionDeniedError, ReviewError, SnapshotNotFoundError
from scimaudit.review.campaigns import get_campaign, start_campaign, start_campaign_as
from scimaudit.review.chain import items_sha256
from scimaudit.store.connect import connect
from scimaudit.store.review_state import review_db

DUE = date.today() + timedelta(days=14)
TOM = P("E9", "Tom", "Temp", manager="E6")  # manager has left
SOLO = P("E10", "Solo", "Self", dept="Engineering", manager="E10", title="Engineer")  # self-managed


def scenario(tmp_path: Path, **extra: object) -> Config:
    config = make_config(
        tmp_path,
        apps={
            "crm": {"fallback_reviewer": "E8"},
            "code": {"fallback_reviewer": "E3", "privileged_groups": ["admin*"]},
            "erp": {"fallback_reviewer": "E1", "frameworks": ["SOX"]},
        },
        extra=extra,  # type: ignore[arg-type]
    )
    seen = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    build_store(
        config,
        [*ORG, TOM, SOLO],
        [
            A("crm", "c-sam", "E4", ["Sales-Users"]),
            A("crm", "c-sue", "E5", ["Sales-Users"]),
            A("crm", "c-leo", "E6", ["Sales-Users"]),
            A("crm", "c-mia", "E2", ["Sales-Users", "Sales-Admins"]),
            A("crm", "c-tom", "E9", []),
            A("crm", "c-svc", None, [], user_name="svc-sync"),
            A("crm", "c-old", "E4", active=False),
            A("code", "k-dev", "E7", ["developers", "admins"]),
            A("code", "k-ole", "E3", ["developers"]),
            A("code", "k-ceo", "E1", []),
            A("code", "k-solo", "E10", []),
            A("erp", "e-ceo", "E1", ["GL-Approver"]),
        ],
        [
            F("terminated_active", "crm", "c-leo"),
            F("orphaned_account", "crm", "c-svc"),
            F("privileged_account", "code", "k-dev", group="admins"),
            F("role_drift", "crm", "c-mia", group="Sales-Admins", status="exempted"),
        ],
        signins=[("crm", SAM.email, seen)],
    )
    return config


def items(config: Config, campaign_id: int) -> dict[tuple[str, str | None], dict[str, object]]:
    with connect(config.store.path) as con:
        cur = con.execute(
            "SELECT * FROM campaign_item WHERE campaign_id = ? ORDER BY item_id", [campaign_id]
        )
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    return {(r["account_id"], r["entitlement"]): r for r in rows}


def test_items_are_every_active_account_and_group_with_context(tmp_path: Path) -> None:
    config = scenario(tmp_path)
    cid = start_campaign(config, name="Q1", due=DUE, actor="cli:test")
    got = items(config, cid)
    # account-level item + one per group; the inactive account is not access and is left out
    assert ("c-old", None) not in got
    assert {k for k in got if k[0] == "k-dev"} == {
        ("k-dev", None),
        ("k-dev", "developers"),
        ("k-dev", "admins"),
    }
    assert len(got) == 20
    sam = got[("c-sam", "Sales-Users")]
    assert (sam["person_name"], sam["title"], sam["department"]) == (
        "Sam Seller",
        SAM.title,
        "Sales",
    )
    assert sam["last_sign_in"].astimezone(UTC) == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    leo = got[("c-leo", "Sales-Users")]
    assert [f["kind"] for f in orjson.loads(leo["findings"])] == ["terminated_active"]
    assert leo["flagged"] and leo["recommendation"] == "revoke"
    assert "left" in leo["recommendation_reason"]
    # a group-level finding sits on that group only; the account item stays clean
    assert got[("k-dev", "admins")]["privileged"] and got[("k-dev", "admins")]["flagged"]
    assert not got[("k-dev", None)]["flagged"]
    # exempted findings are shown but do not flag
    mia_admin = got[("c-mia", "Sales-Admins")]
    assert orjson.loads(mia_admin["findings"])[0]["status"] == "exempted"
    assert not mia_admin["flagged"]


def test_reviewer_assignment_rules(tmp_path: Path) -> None:
    config = scenario(tmp_path)
    cid = start_campaign(config, name="Q1", due=DUE, actor="cli:test")
    got = items(config, cid)

    def who(key: tuple[str, str | None]) -> tuple[object, object]:
        return got[key]["reviewer_id"], got[key]["assignment_rule"]

    assert who(("c-sam", None)) == ("E2", "manager")
    assert who(("c-mia", None)) == ("E1", "manager")
    assert who(("c-tom", None)) == ("E8", "app_fallback")  # manager has left
    assert who(("c-svc", None)) == ("E8", "app_fallback")  # unmatched account
    assert who(("k-ceo", None)) == ("E3", "app_fallback")  # no manager
    assert who(("k-solo", None)) == ("E3", "app_fallback")  # self-managed: never self
    assert who(("e-ceo", "GL-Approver")) == (None, "unassigned")  # fallback is the subject
    assert got[("c-sam", None)]["reviewer_email"] == MIA.email
    # nobody reviews their own access, anywhere
    assert all(r["reviewer_id"] != r["employee_id"] for r in got.values())


def test_peer_share_and_keep_recommendation(tmp_path: Path) -> None:
    config = scenario(tmp_path, policy={"peer_min_group_size": 2, "peer_group": "department"})
    cid = start_campaign(config, name="Q1", due=DUE, actor="cli:test")
    got = items(config, cid)
    sam = got[("c-sam", "Sales-Users")]
    # Sales, not terminated, without Sam: Mia, Sue, Tom → 2 of 3 hold Sales-Users
    assert (sam["peer_holders"], sam["peer_count"]) == (2, 3)
    assert sam["peer_share"] == pytest.approx(2 / 3)
    assert sam["recommendation"] == "keep"
    assert "2 of 3 Sales peers" in sam["recommendation_reason"]
    admins = got[("c-mia", "Sales-Admins")]
    assert admins["peer_holders"] == 0 and admins["recommendation"] is None


def test_peers_by_department_and_title_follow_policy(tmp_path: Path) -> None:
    config = scenario(tmp_path, policy={"peer_min_group_size": 2})  # default: department_title
    cid = start_campaign(config, name="Q1", due=DUE, actor="cli:test")
    sam = items(config, cid)[("c-sam", "Sales-Users")]
    # Sales account executives without Sam: Sue and Tom (Leo left) → Sue holds it
    assert (sam["peer_holders"], sam["peer_count"]) == (1, 2)
    assert "1 of 2 Sales / Account Executive peers (50%)" in sam["recommendation_reason"]


def test_default_min_peers_leaves_share_unknown(tmp_path: Path) -> None:
    config = scenario(tmp_path)
    cid = start_campaign(config, name="Q1", due=DUE, actor="cli:test")
    sam = items(config, cid)[("c-sam", "Sales-Users")]
    assert sam["peer_share"] is None


def test_scope_by_app_framework_and_privileged(tmp_path: Path) -> None:
    config = scenario(tmp_path)
    crm = start_campaign(config, name="crm", due=DUE, actor="a", apps=["crm"])
    assert {k[0][0] for k in items(config, crm)} == {"c"}
    sox = start_campaign(config, name="sox", due=DUE, actor="a", frameworks=["sox"])
    assert set(items(config, sox)) == {("e-ceo", None), ("e-ceo", "GL-Approver")}
    priv = start_campaign(config, name="priv", due=DUE, actor="a", access="privileged")
    assert set(items(config, priv)) == {("k-dev", "admins")}
    with pytest.raises(ReviewError, match="unknown app"):
        start_campaign(config, name="x", due=DUE, actor="a", apps=["nope"])


def test_changed_scope_takes_only_access_new_since_last_campaign(tmp_path: Path) -> None:
    config = scenario(tmp_path)
    start_campaign(config, name="base", due=DUE, actor="a", apps=["crm"])
    build_store(
        config,
        [*ORG, TOM, SOLO],
        [A("crm", "c-sam", "E4", ["Sales-Users", "Sales-Admins"]), A("crm", "c-new", "E5", [])],
    )
    cid = start_campaign(config, name="delta", due=DUE, actor="a", access="changed")
    assert set(items(config, cid)) == {("c-sam", "Sales-Admins"), ("c-new", None)}
    with connect(config.store.path) as con:
        assert get_campaign(con, cid).scope["previous_campaign_id"] == 1


def test_items_are_frozen_and_hashed(tmp_path: Path) -> None:
    config = scenario(tmp_path)
    cid = start_campaign(config, name="Q1", due=DUE, actor="cli:test")
    with review_db(config.store.path) as con:
        before = items_sha256(con, cid)
        recorded = con.execute(
            "SELECT items_sha256, item_count FROM campaign WHERE campaign_id = ?", [cid]
        ).fetchone()
    assert recorded == (before, 20)
    # a later analysis (HR changes, new access) does not touch the running campaign
    build_store(
        config, [P("E4", "Sam", "Seller", dept="Legal", manager="E3")], [A("crm", "x", "E4")]
    )
    with review_db(config.store.path) as con:
        assert items_sha256(con, cid) == before
    assert items(config, cid)[("c-sam", None)]["department"] == "Sales"


def test_refusals(tmp_path: Path) -> None:
    empty = make_config(tmp_path)
    with pytest.raises(SnapshotNotFoundError, match="analyze"):
        start_campaign(empty, name="Q1", due=DUE, actor="a")
    config = scenario(tmp_path / "s")
    with pytest.raises(ReviewError, match="past"):
        start_campaign(config, name="Q1", due=date.today() - timedelta(days=1), actor="a")
    with pytest.raises(ReviewError, match="name"):
        start_campaign(config, name=" ", due=DUE, actor="a")
    from review_support import actor

    with pytest.raises(PermissionDeniedError):
        start_campaign_as(config, actor(MIA, "manager"), name="Q1", due=DUE)
    with pytest.raises(PermissionDeniedError):
        start_campaign_as(config, actor(SEC, "auditor"), name="Q1", due=DUE)
    assert start_campaign_as(config, actor(SEC, "security"), name="Q1", due=DUE) == 1
    # people used only for readability of the scenario
    assert {CEO.id, DEV.id, LEO.id, OLE.id, SUE.id} <= {p.id for p in ORG}
