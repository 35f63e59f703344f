"""``scimaudit collect`` and ``scimaudit snapshots`` through the real CLI entry point."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import orjson
import pytest

from faults.mock_scim import LoopbackServer, MockScim, json_response, make_groups, make_users
from scimaudit.cli import main

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"


def write_config(tmp_path: Path, apps: dict[str, str]) -> Path:
    lines = [
        "[store]",
        f'path = "{tmp_path / "store.duckdb"}"',
        "[hr]",
        f'path = "{SAMPLE / "hr.csv"}"',
        "[hr.columns]",
        'employee_id = "Employee_ID"',
        'email = "Work_Email"',
        'status = "Worker_Status"',
        "[hr.status]",
        'active = ["Active"]',
        'leave = ["Leave of Absence"]',
        'terminated = ["Terminated"]',
    ]
    for name, url in apps.items():
        lines += [
            "[[apps]]",
            f'name = "{name}"',
            f'url = "{url}"',
            'token = { env = "CLI_TEST_TOKEN" }',
            "page_size = 7",
            "max_retries = 1",
            "retry_base_seconds = 0.001",
        ]
    path = tmp_path / "scimaudit.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def test_collect_json_summary_exit_codes_and_snapshots_listing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLI_TEST_TOKEN", "test-token")
    users = make_users(20)
    good = MockScim(users, make_groups(users, 3))
    flaky = MockScim(make_users(9, prefix="f"))
    with LoopbackServer(good.handle) as s1, LoopbackServer(flaky.handle) as s2:
        cfg = write_config(tmp_path, {"crm": f"{s1.origin}/scim/v2", "ehr": f"{s2.origin}/scim/v2"})
        code, out, err = run(["--config", str(cfg), "collect", "--json", "--no-progress"], capsys)
        assert code == 0, err
        summary = {(r["kind"], r["source"]): r for r in orjson.loads(out)}
        assert summary[("app", "crm")]["counts"] == {"users": 20, "groups": 3, "memberships": 20}
        assert summary[("hr", "hr")]["status"] == "complete"

        flaky.faults.append(lambda r, s: json_response(503, {"detail": "maintenance"}))
        code, out, err = run(["--config", str(cfg), "collect", "--app", "ehr", "--json"], capsys)
    assert code == 5
    assert "app ehr:" in err and "maintenance" in err and "previous complete snapshots" in err
    assert [r["status"] for r in orjson.loads(out)] == ["failed"]

    code, out, _ = run(["--config", str(cfg), "snapshots", "--format", "json"], capsys)
    assert code == 0
    rows: list[dict[str, Any]] = orjson.loads(out)
    ehr = [r for r in rows if r["source"] == "ehr"]
    assert [(r["status"], r["current"]) for r in ehr] == [("failed", False), ("complete", True)]
    assert ehr[1]["completeness"]["resources"]["User"]["expected"] == 9
    assert ehr[0]["completeness"]["complete"] is False

    code, out, _ = run(
        ["--config", str(cfg), "snapshots", "--format", "csv", "--source", "crm"], capsys
    )
    parsed = list(csv.DictReader(io.StringIO(out)))
    assert [p["status"] for p in parsed] == ["complete"]
    assert "User: expected 20, received 20, loaded 20" in parsed[0]["completeness"]
    assert len(parsed[0]["sha256"]) == 64

    code, out, _ = run(["--config", str(cfg), "snapshots", "--source", "ehr"], capsys)
    assert code == 0 and "failed" in out and "complete" in out


def test_collect_unknown_app_is_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = write_config(tmp_path, {"crm": "http://127.0.0.1:9/scim/v2"})
    code, _, err = run(["--config", str(cfg), "collect", "--app", "nope"], capsys)
    assert code == 2 and "no app named 'nope'" in err
