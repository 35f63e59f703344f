"""Remediation plans: SCIM request bodies, what is planned or left out, the hash, and refusals."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from remediation_support import make_config, write_snapshot
from scimaudit.config import Config
from scimaudit.errors import RemediationError
from scimaudit.remediation import scim_ops
from scimaudit.remediation.model import OperationSource, Revocation, plan_from_document
from scimaudit.remediation.plan import build_plan
from scimaudit.remediation.plan_store import load_plan, load_verified_plan, save_plan
from scimaudit.remediation.safety import check_operation_count
from scimaudit.store.connect import connect

URL = "http://127.0.0.1:9/v2"
FINDING = OperationSource("finding", reason="left in May", finding_key="k1", finding_kind="x")


def _cfg(tmp_path: Path, **app: object) -> Config:
    return make_config(
        tmp_path, {"chat": URL}, app_options={"chat": {"break_glass_accounts": ["Root"], **app}}
    )


def _seed(cfg: Config, *, as_of: datetime | None = None) -> int:
    return write_snapshot(
        cfg,
        "chat",
        [
            {
                "id": "u1",
                "userName": "alice",
                "version": 'W/"1"',
                "lastModified": "2025-01-01T00:00:00Z",
            },
            {"id": "u2", "userName": "bob", "version": 'W/"2"'},
            {"id": "u3", "userName": "root", "version": 'W/"3"'},
            {"id": "u4", "userName": "dora", "active": False},
        ],
        [
            {"id": "g1", "displayName": "admins", "version": 'W/"9"', "members": ["u1", "u3"]},
            {"id": "g2", "displayName": "users", "members": ["u1", "u2"]},
        ],
        as_of=as_of,
    )


def _plan(cfg: Config, revocations: list[Revocation], now: datetime | None = None):  # type: ignore[no-untyped-def]
    with connect(cfg.store.path) as con:
        return build_plan(
            con, cfg, revocations, actor="cli:test", sources={"campaign_id": None}, now=now
        )


def test_remove_member_body_is_rfc7644_example_shape() -> None:
    # RFC 7644 §3.5.2.2: "path":"members[value eq \"2819c223-7f76-...\"]"
    body = scim_ops.remove_member_body("2819c223-7f76-453a-919d-413861904646")
    assert body == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "remove", "path": 'members[value eq "2819c223-7f76-453a-919d-413861904646"]'}
        ],
    }
    # an id with a quote cannot break out of the filter's string literal
    assert scim_ops.member_filter_path('a"b') == r'members[value eq "a\"b"]'
    assert scim_ops.resource_path("User", "a/b c") == "/Users/a%2Fb%20c"


def test_deactivate_body_and_string_quirk() -> None:
    assert scim_ops.deactivate_body()["Operations"] == [
        {"op": "replace", "path": "active", "value": False}
    ]
    assert scim_ops.deactivate_body(active_as_string=True)["Operations"][0]["value"] == "false"
    assert not scim_ops.is_active({"active": "False"})
    assert scim_ops.is_active({})


def test_plan_operations_and_exclusions(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path)
    sid = _seed(cfg)
    other = OperationSource("campaign", campaign_id=3, item_id=7, reason="no longer needed")
    plan = _plan(
        cfg,
        [
            Revocation("chat", "u1", FINDING, group_name="admins"),
            Revocation("chat", "u1", other, group_id="g1", group_name="admins"),  # same op
            Revocation("chat", "u2", FINDING),  # account level: deactivate (default policy)
            Revocation("chat", "u3", FINDING, group_name="admins"),  # break-glass
            Revocation("chat", "u2", FINDING, group_name="admins"),  # not a member
            Revocation("chat", "u4", FINDING),  # already inactive
            Revocation("chat", "u9", FINDING),  # gone
            Revocation("nope", "u1", FINDING),  # unknown app
        ],
    )
    assert [(op.seq, op.action, op.user_name, op.group_name) for op in plan.operations] == [
        (1, "remove_member", "alice", "admins"),
        (2, "deactivate", "bob", None),
    ]
    remove, deactivate = plan.operations
    assert remove.method == "PATCH" and remove.path == "/Groups/g1"
    assert remove.expected_etag == 'W/"9"' and remove.snapshot_id == sid
    assert len(remove.sources) == 2  # both reasons kept on the one operation
    assert deactivate.path == "/Users/u2" and deactivate.body == scim_ops.deactivate_body()
    why = {(e.user_name, e.why.split(":")[0].split(" in ")[0]) for e in plan.excluded}
    assert ("root", "break-glass account") in why
    assert ("bob", 'not a member of "admins"') in why
    assert ("dora", "already inactive") in why
    assert any(e.account_id == "u9" and "already removed" in e.why for e in plan.excluded)
    assert any(e.app == "nope" and "not in the config" in e.why for e in plan.excluded)


def test_delete_policy_plans_delete(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path, remove_account="delete")
    _seed(cfg)
    plan = _plan(cfg, [Revocation("chat", "u1", FINDING)])
    (op,) = plan.operations
    assert (op.action, op.method, op.path, op.body) == ("delete", "DELETE", "/Users/u1", None)
    assert op.expected_last_modified == "2025-01-01T00:00:00Z"
    assert plan.policy == {"chat": "delete"}


def test_break_glass_is_case_insensitive_for_account_level(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path)
    _seed(cfg)
    plan = _plan(cfg, [Revocation("chat", "u3", FINDING)])
    assert plan.operations == ()
    assert plan.excluded[0].why.startswith("break-glass")


def test_plan_hash_is_over_canonical_json_and_round_trips(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path)
    _seed(cfg)
    plan = _plan(cfg, [Revocation("chat", "u1", FINDING, group_name="admins")])
    document = plan.canonical_json()
    assert plan.sha256 == hashlib.sha256(document).hexdigest()
    assert plan.plan_id == "rp-" + plan.sha256[:12]
    # canonical: sorted keys, no insignificant whitespace (re-serialising changes nothing)
    assert document == orjson.dumps(orjson.loads(document), option=orjson.OPT_SORT_KEYS)
    assert document.startswith(b'{"created_at":"') and b'": ' not in document
    assert plan_from_document(orjson.loads(document)) == plan


def test_stored_plan_reads_back_and_wrong_hash_is_refused(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path)
    _seed(cfg)
    plan = _plan(cfg, [Revocation("chat", "u1", FINDING, group_name="admins")])
    with connect(cfg.store.path) as con:
        save_plan(con, plan)
        assert load_verified_plan(con, plan.plan_id, plan.sha256.upper()) == plan
        with pytest.raises(RemediationError, match="is not this plan's"):
            load_verified_plan(con, plan.plan_id, "0" * 64)
        with pytest.raises(RemediationError, match="no remediation plan rp-nope"):
            load_plan(con, "rp-nope")


def test_tampered_operation_row_is_refused(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path)
    _seed(cfg)
    plan = _plan(cfg, [Revocation("chat", "u1", FINDING, group_name="admins")])
    with connect(cfg.store.path) as con:
        save_plan(con, plan)
        con.execute(
            "UPDATE remediation_plan_operation SET path = '/Groups/g2' WHERE plan_id = ?",
            [plan.plan_id],
        )
        with pytest.raises(
            RemediationError, match=r"changed after it was made \(operation 1: path"
        ):
            load_verified_plan(con, plan.plan_id, plan.sha256)


def test_tampered_document_is_refused_even_with_its_new_hash_recorded(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path)
    _seed(cfg)
    plan = _plan(cfg, [Revocation("chat", "u1", FINDING, group_name="admins")])
    with connect(cfg.store.path) as con:
        save_plan(con, plan)
        forged = plan.canonical_json().replace(b"/Groups/g1", b"/Groups/g2").decode()
        con.execute(
            "UPDATE remediation_plan SET canonical_json = ? WHERE plan_id = ?",
            [forged, plan.plan_id],
        )
        with pytest.raises(RemediationError, match="was changed after it was made"):
            load_verified_plan(con, plan.plan_id, plan.sha256)
        new_hash = hashlib.sha256(forged.encode()).hexdigest()
        con.execute(
            "UPDATE remediation_plan SET sha256 = ? WHERE plan_id = ?", [new_hash, plan.plan_id]
        )
        # the reviewer approved the original hash: the forged plan does not match it
        with pytest.raises(RemediationError, match="is not this plan's"):
            load_verified_plan(con, plan.plan_id, plan.sha256)


def test_stale_snapshot_refuses_planning(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path)
    planned_at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    _seed(cfg, as_of=planned_at - timedelta(hours=30))
    with pytest.raises(RemediationError, match=r"snapshot 1 is 30\.0 h old, over .* 24 h"):
        _plan(cfg, [Revocation("chat", "u1", FINDING, group_name="admins")], now=planned_at)
    assert _plan(  # the same snapshot, planned six hours after it was taken: accepted
        cfg,
        [Revocation("chat", "u1", FINDING, group_name="admins")],
        now=planned_at - timedelta(hours=24),
    ).plan_id


def test_operation_count_limit(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path)
    assert check_operation_count(25, cfg, None) == 25
    with pytest.raises(
        RemediationError, match=r"26 operations, over the limit of 25 \(\[remediation\]"
    ):
        check_operation_count(26, cfg, None)
    assert check_operation_count(26, cfg, 26) == 26
    with pytest.raises(RemediationError, match="--max-ops must be at least 1"):
        check_operation_count(0, cfg, 0)


def test_a_data_quality_note_plans_no_revocation(tmp_path: Path) -> None:
    from scimaudit.remediation.plan import make_plan

    cfg = _cfg(tmp_path)
    with pytest.raises(RemediationError, match="stale_identifier: a data-quality note"):
        make_plan(cfg, finding_kinds=["terminated_active", "stale_identifier"])
