"""The operation log (append-only, hash-chained), operation_status, and the change check."""

from __future__ import annotations

from pathlib import Path

import pytest

from remediation_support import make_config, write_snapshot
from scimaudit.config import Config
from scimaudit.errors import RemediationError
from scimaudit.remediation import ledger
from scimaudit.remediation.ledger import LogEntry
from scimaudit.remediation.model import OperationSource, Plan, Revocation
from scimaudit.remediation.plan import build_plan
from scimaudit.remediation.plan_store import save_plan
from scimaudit.remediation.precondition import decide_precondition, same_version
from scimaudit.remediation.status import operation_status
from scimaudit.store.connect import connect

CAMPAIGN = OperationSource("campaign", campaign_id=5, item_id=11, reason="left", decided_by="m@x")


def _stored_plan(tmp_path: Path) -> tuple[Config, Plan]:
    cfg = make_config(
        tmp_path,
        {"chat": "http://127.0.0.1:9/v2"},
        app_options={"chat": {"break_glass_accounts": ["root"]}},
    )
    write_snapshot(
        cfg,
        "chat",
        [
            {"id": "u1", "userName": "alice", "version": 'W/"1"'},
            {"id": "u3", "userName": "root"},
        ],
        [{"id": "g1", "displayName": "admins", "version": 'W/"9"', "members": ["u1", "u3"]}],
    )
    revs = [
        Revocation("chat", "u1", CAMPAIGN, group_id="g1", group_name="admins"),
        Revocation("chat", "u3", OperationSource("campaign", campaign_id=5, item_id=12)),
    ]
    with connect(cfg.store.path) as con:
        plan = build_plan(con, cfg, revs, actor="cli:t", sources={"campaign_id": 5})
        save_plan(con, plan)
    return cfg, plan


def test_status_goes_requested_applied_verified(tmp_path: Path) -> None:
    cfg, plan = _stored_plan(tmp_path)

    def states() -> dict[object, str]:
        with connect(cfg.store.path) as con:
            return {(s.seq, s.item_id): s.state for s in operation_status(con, campaign_id=5)}

    assert states() == {(1, 11): "requested", (None, 12): "excluded"}
    run = ledger.start_run(cfg, plan.plan_id, "apply", "dry_run", "cli:t")
    ledger.append(cfg, run, plan.plan_id, "dry_run", "cli:t", [LogEntry(1, "chat", "would_apply")])
    assert states()[(1, 11)] == "requested"  # a dry run changes nothing
    run = ledger.start_run(cfg, plan.plan_id, "apply", "execute", "cli:t")
    ledger.append(
        cfg,
        run,
        plan.plan_id,
        "execute",
        "cli:t",
        [LogEntry(1, "chat", "applied", method="PATCH", response_status=204)],
    )
    ledger.finish_run(cfg, run, "complete", {})
    assert states()[(1, 11)] == "applied"
    run = ledger.start_run(cfg, plan.plan_id, "verify", "execute", "cli:t")
    ledger.append(
        cfg, run, plan.plan_id, "execute", "cli:t", [LogEntry(1, "chat", "verified", snapshot_id=2)]
    )
    with connect(cfg.store.path) as con:
        rows = operation_status(con, plan_id=plan.plan_id)
        assert ledger.settled_operations(con, plan.plan_id) == {1: "applied"}
    done = next(r for r in rows if r.seq == 1)
    assert (done.state, done.verify_snapshot_id, done.campaign_id) == ("verified", 2, 5)
    assert done.applied_at is not None and done.verified_at is not None
    assert done.applied_at <= done.verified_at
    excluded = next(r for r in rows if r.seq is None)
    assert excluded.detail is not None and excluded.detail.startswith("break-glass")
    with connect(cfg.store.path) as con:
        assert operation_status(con, campaign_id=6) == []


def test_log_chain_detects_edits_and_deletions(tmp_path: Path) -> None:
    cfg, plan = _stored_plan(tmp_path)
    run = ledger.start_run(cfg, plan.plan_id, "apply", "execute", "cli:t")
    entries = [LogEntry(1, "chat", "failed", detail="503"), LogEntry(1, "chat", "applied")]
    ledger.append(cfg, run, plan.plan_id, "execute", "cli:t", entries)
    ledger.append(cfg, run, plan.plan_id, "execute", "cli:t", [LogEntry(1, "chat", "verified")])
    ledger.finish_run(cfg, run, "complete", {})
    with pytest.raises(RemediationError, match="is being run right now"):
        ledger.start_run(cfg, plan.plan_id, "apply", "execute", "cli:t")
        ledger.start_run(cfg, plan.plan_id, "apply", "execute", "cli:t")
    with connect(cfg.store.path) as con:
        check = ledger.verify_log(con, plan.plan_id)
        assert check.ok and check.entries == 3
        first = con.execute("SELECT prev_sha256 FROM remediation_operation_log ORDER BY log_id")
        assert first.fetchone() == (plan.sha256,)  # the chain is anchored to the approved plan
        con.execute("UPDATE remediation_operation_log SET outcome = 'applied' WHERE log_id = 1")
        edited = ledger.verify_log(con, plan.plan_id)
        assert not edited.ok
        assert edited.problems == ["log entry 1: content does not match its record_sha256"]
        con.execute("UPDATE remediation_operation_log SET outcome = 'failed' WHERE log_id = 1")
        con.execute("DELETE FROM remediation_operation_log WHERE log_id = 2")
        deleted = ledger.verify_log(con, plan.plan_id)
        assert deleted.problems == ["log entry 3: does not chain from the entry before it"]


def test_change_check_prefers_etag_then_last_modified(tmp_path: Path) -> None:
    _, plan = _stored_plan(tmp_path)
    op = plan.operations[0]  # expected_etag W/"9"
    same = decide_precondition(op, {"meta": {"version": 'W/"9"'}}, etag_supported=True)
    assert (same.kind, same.changed, same.if_match) == ("etag", False, 'W/"9"')
    moved = decide_precondition(op, {"meta": {"version": 'W/"10"'}}, etag_supported=True)
    assert moved.changed and moved.detail is not None and 'W/"9" → W/"10"' in moved.detail
    # a server without ETags gets no If-Match (SCIMMY ignores it) and is compared on lastModified
    no_etag = op.__class__(**{**op.__dict__, "expected_last_modified": "2025-01-01T00:00:00Z"})
    lm_same = decide_precondition(
        no_etag, {"meta": {"lastModified": "2025-01-01T00:00:00.000Z"}}, etag_supported=False
    )
    assert (lm_same.kind, lm_same.changed, lm_same.if_match) == ("last_modified", False, None)
    lm_moved = decide_precondition(
        no_etag, {"meta": {"lastModified": "2025-02-01T00:00:00Z"}}, etag_supported=False
    )
    assert lm_moved.changed
    bare = decide_precondition(op, {}, etag_supported=False)
    assert (bare.kind, bare.changed) == ("state_only", False)
    assert same_version('W/"3"', '"3"') and not same_version('W/"3"', 'W/"4"')
