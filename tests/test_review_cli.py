"""`scimaudit review ...`, `hash-password` and `dashboard` at the CLI edge: output, exit codes."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import pytest

from review_support import MIA, ORG, A, F, actor, build_store, make_config
from scimaudit.cli import main
from scimaudit.config import Config
from scimaudit.review.decisions import decide
from scimaudit.store.review_state import review_db
from scimaudit.webauth.passwords import verify_password


def run(config: Config, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(["--config", str(config.source), *args])
    out = capsys.readouterr()
    return int(exit_info.value.code or 0), out.out, out.err


@pytest.fixture
def config(tmp_path: Path) -> Config:
    cfg = make_config(tmp_path, apps={"crm": {"fallback_reviewer": "E8"}})
    build_store(
        cfg,
        ORG,
        [A("crm", "c-sam", "E4", ["Sales-Users"]), A("crm", "c-leo", "E6"), A("crm", "x", None)],
        [F("terminated_active", "crm", "c-leo")],
    )
    return cfg


def test_start_status_remind_close_verify(
    config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    due = (date.today() + timedelta(days=3)).isoformat()
    code, out, _ = run(config, "review", "start", "--name", "Q1", "--due", due, capsys=capsys)
    assert code == 0 and "started campaign 1 (Q1): 4 item(s), 2 reviewer(s), 0 unassigned" in out

    decide(config, actor(MIA), 1, [1], "revoke", "left")
    code, out, _ = run(config, "review", "status", "--format", "json", capsys=capsys)
    assert code == 0 and '"decided": 1' in out and '"undecided": 3' in out
    code, out, _ = run(config, "review", "status", "1", "--format", "csv", capsys=capsys)
    assert code == 0 and out.splitlines()[0].startswith("reviewer_id,reviewer,email,items")

    code, out, _ = run(config, "review", "remind", "1", capsys=capsys)
    assert code == 0 and f"Mia Manager <{MIA.email}>: 2 access item(s) to review by {due}" in out

    code, out, _ = run(config, "review", "close", "1", "--no-pdf", capsys=capsys)
    assert code == 0 and "closed campaign 1: default undecided applied to 0 item(s), 3 left" in out
    assert "campaign-1-decisions.csv" in out
    code, _, err = run(config, "review", "close", "1", "--no-pdf", capsys=capsys)
    assert code == 9 and "closed" in err

    code, out, _ = run(config, "review", "verify", "1", capsys=capsys)
    assert code == 0 and "verified" in out
    with review_db(config.store.path) as con:
        con.execute("UPDATE review_log SET reason = 'edited' WHERE seq = 1")
    code, _, err = run(config, "review", "verify", "1", capsys=capsys)
    assert code == 8 and "seq 1" in err


def test_close_due_and_errors(config: Config, capsys: pytest.CaptureFixture[str]) -> None:
    due = date.today() + timedelta(days=1)
    run(
        config,
        "review",
        "start",
        "--name",
        "Q1",
        "--due",
        due.isoformat(),
        "--default",
        "revoke",
        capsys=capsys,
    )
    code, out, _ = run(config, "review", "close", "--due", "--no-pdf", capsys=capsys)
    assert code == 0 and "no open campaign is past its due date" in out
    later = (due + timedelta(days=1)).isoformat()
    code, out, _ = run(
        config, "review", "close", "--due", "--today", later, "--no-pdf", capsys=capsys
    )
    assert code == 0 and "default revoke applied to 4 item(s)" in out
    code, _, err = run(config, "review", "close", capsys=capsys)
    assert code == 2 and "CAMPAIGN_ID" in err
    code, _, err = run(
        config, "review", "start", "--name", "x", "--due", "yesterday", capsys=capsys
    )
    assert code == 2 and "not a date" in err
    code, _, err = run(config, "review", "start", "--name", "x", "--app", "nope", capsys=capsys)
    assert code == 9 and "unknown app(s) nope" in err
    code, _, err = run(config, "review", "status", "99", capsys=capsys)
    assert code == 9 and "no campaign with id 99" in err


def test_hash_password_from_stdin(
    config: Config, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a long passphrase\n"))
    code, out, _ = run(config, "hash-password", "--stdin", capsys=capsys)
    assert code == 0 and verify_password(out.strip(), "a long passphrase")
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    code, _, err = run(config, "hash-password", "--stdin", capsys=capsys)
    assert code == 2 and "too short" in err


def test_dashboard_refuses_without_users(
    config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(config, "dashboard", "--port", "1", capsys=capsys)
    assert code == 1 and "no dashboard users configured" in err
