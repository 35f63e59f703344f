"""Apply refusals (limits, break-glass, stale snapshot, changed plan) and the remediate CLI.

Every refusal here happens before any request: the app URL points at a closed loopback port, so a
request would fail the test with a different error.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from remediation_support import make_config, write_snapshot
from scimaudit.cli import main
from scimaudit.config import Config
from scimaudit.errors import RemediationError
from scimaudit.remediation import apply_plan
from scimaudit.remediation.model import OperationSource, Plan, Revocation
from scimaudit.remediation.plan import build_plan
from scimaudit.remediation.plan_store import save_plan
from scimaudit.store.connect import connect

CLOSED = "http://127.0.0.1:9/v2"
SRC = OperationSource("finding", finding_key="k", finding_kind="terminated_active", reason="left")


def _setup(tmp_path: Path, **remediation: object) -> tuple[Config, Plan]:
    cfg = make_config(tmp_path, {"chat": CLOSED}, remediation=remediation or None)
    write_snapshot(
        cfg,
        "chat",
        [{"id": "u1", "userName": "alice"}, {"id": "u2", "userName": "bob"}],
        [{"id": "g1", "displayName": "admins", "members": ["u1", "u2"]}],
    )
    revs = [Revocation("chat", "u1", SRC, group_name="admins"), Revocation("chat", "u2", SRC)]
    with connect(cfg.store.path) as con:
        plan = build_plan(con, cfg, revs, actor="cli:t", sources={})
        save_plan(con, plan)
    return cfg, plan


def _runs(cfg: Config) -> list[tuple[str, str]]:
    with connect(cfg.store.path) as con:
        rows = con.execute(
            "SELECT status, summary ->> 'reason' FROM remediation_run ORDER BY run_id"
        ).fetchall()
        assert con.execute("SELECT count(*) FROM remediation_operation_log").fetchone() == (0,)
    return [(str(a), str(b)) for a, b in rows]


def test_more_operations_than_allowed_is_refused(tmp_path: Path) -> None:
    cfg, plan = _setup(tmp_path, max_operations=1)
    with pytest.raises(RemediationError, match=r"2 operations, over the limit of 1"):
        apply_plan(cfg, plan.plan_id, plan.sha256, execute=True)
    with pytest.raises(RemediationError, match=r"over the limit of 1 \(--max-ops\)"):
        apply_plan(cfg, plan.plan_id, plan.sha256, max_ops=1)  # dry runs obey it too
    assert [status for status, _ in _runs(cfg)] == ["refused", "refused"]


def test_break_glass_declared_after_planning_is_refused(tmp_path: Path) -> None:
    cfg, plan = _setup(tmp_path)
    stricter = make_config(
        tmp_path, {"chat": CLOSED}, app_options={"chat": {"break_glass_accounts": ["BOB"]}}
    )
    with pytest.raises(RemediationError, match="touches break-glass account bob"):
        apply_plan(stricter, plan.plan_id, plan.sha256, execute=True)
    assert _runs(cfg)[0][0] == "refused"


def test_stale_snapshot_is_refused_at_apply(tmp_path: Path) -> None:
    cfg, plan = _setup(tmp_path)
    later = datetime.now(UTC) + timedelta(hours=25)
    with pytest.raises(RemediationError, match=r"snapshot 1 is 25\.\d h old"):
        apply_plan(cfg, plan.plan_id, plan.sha256, execute=True, now=later)


def test_changed_plan_is_refused_at_apply(tmp_path: Path) -> None:
    cfg, plan = _setup(tmp_path)
    with connect(cfg.store.path) as con:
        con.execute("UPDATE remediation_plan_operation SET action = 'delete' WHERE seq = 2")
    with pytest.raises(RemediationError, match="operation 2: action was changed"):
        apply_plan(cfg, plan.plan_id, plan.sha256, execute=True)


def _cli(capsys: pytest.CaptureFixture[str], cfg: Config, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        main(["--config", str(cfg.source), *args])
    out, err = capsys.readouterr()
    return int(exit_.value.code or 0), out, err


def test_cli_plan_from_findings_show_apply_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = make_config(tmp_path, {"chat": CLOSED})
    cfg.source.write_text(  # type: ignore[union-attr]
        f'[store]\npath = "{cfg.store.path}"\n\n[[apps]]\nname = "chat"\nurl = "{CLOSED}"\n'
        'token = { env = "REMEDIATION_TEST_TOKEN" }\n'
    )
    sid = write_snapshot(cfg, "chat", [{"id": "u1", "userName": "alice"}])
    with connect(cfg.store.path) as con:
        con.execute(
            "INSERT INTO analysis_run (as_of, started_at, status, snapshot_ids, params,"
            " params_sha256, tool_version) VALUES (current_date, now(), 'complete', '{}', '{}',"
            " 'x', 't')"
        )
        for key, kind, status in [
            ("f1", "terminated_active", "open"),
            ("f2", "terminated_active", "exempted"),  # accepted risk: never remediated
            ("f3", "stale_access", "open"),  # a kind that was not asked for
        ]:
            con.execute(
                "INSERT INTO finding (run_id, finding_key, kind, app, account_id, user_name,"
                " severity, reason, evidence, snapshot_ids, status) VALUES (1, ?, ?, 'chat', 'u1',"
                " 'alice', 'high', 'terminated 2025-01-02', '{}', [?], ?)",
                [key, kind, sid, status],
            )

    code, out, _ = _cli(
        capsys, cfg, "remediate", "plan", "--from-findings", "terminated_active", "--format", "json"
    )
    assert code == 0
    made = orjson.loads(out)
    ops = made["plan"]["operations"]
    assert [(o["action"], o["path"], o["sources"][0]["finding_key"]) for o in ops] == [
        ("deactivate", "/Users/u1", "f1")
    ]
    assert made["plan"]["sources"]["analysis_run_id"] == 1

    code, out, _ = _cli(capsys, cfg, "remediate", "show", made["plan_id"])
    assert code == 0 and "deactivate alice (active: true → false)" in out
    assert f"--sha256 {made['sha256']} --execute" in out

    code, _, err = _cli(capsys, cfg, "remediate", "apply", made["plan_id"], "--sha256", "ab" * 32)
    assert code == 10 and err.startswith("error: plan ") and "is not this plan's" in err

    code, out, _ = _cli(capsys, cfg, "remediate", "status", made["plan_id"], "--format", "csv")
    assert code == 0 and "requested" in out and "f1" in out

    code, _, err = _cli(capsys, cfg, "remediate", "plan")
    assert code == 10 and "nothing to plan from" in err
