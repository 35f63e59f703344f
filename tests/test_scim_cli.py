"""``scimaudit collect`` and ``scimaudit snapshots`` through the real CLI entry point."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
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


def test_snapshots_verify_rehashes_the_page_archive(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Intact: exit 0 and the snapshot hash matches. A changed body, a missing file and a stray
    file are each named, exit 8; an HR snapshot is not an app snapshot (exit 3)."""
    monkeypatch.setenv("CLI_TEST_TOKEN", "test-token")
    users = make_users(30)
    server = MockScim(users, make_groups(users, 4))
    with LoopbackServer(server.handle) as s1:
        cfg = write_config(tmp_path, {"crm": f"{s1.origin}/scim/v2"})
        code, out, err = run(["--config", str(cfg), "collect", "--json", "--no-progress"], capsys)
    assert code == 0, err
    crm = next(r for r in orjson.loads(out) if r["source"] == "crm")
    hr = next(r for r in orjson.loads(out) if r["kind"] == "hr")
    sid = crm["snapshot_id"]
    verify = ["--config", str(cfg), "snapshots", "--verify", str(sid)]

    code, out, err = run(verify, capsys)
    assert code == 0, err
    assert "snapshot sha256 matches" in out
    code, out, _ = run([*verify, "--format", "json"], capsys)
    report = orjson.loads(out)
    assert report["ok"] is True and report["checked"] == report["pages"] > 5
    assert report["recomputed_sha256"] == report["recorded_sha256"]

    archive = tmp_path / "store.duckdb.raw" / str(sid)
    [first] = sorted(archive.glob("*.parquet"))[:1]
    table = pq.read_table(first)
    bodies = table["body"].to_pylist()
    page = next(i for i, b in enumerate(bodies) if b'"userName"' in b)
    bodies[page] = bodies[page].replace(b'"userName":"', b'"userName":"x', 1)  # one byte more
    original = first.read_bytes()
    pq.write_table(table.set_column(table.schema.get_field_index("body"), "body",
                                    pa.array(bodies, pa.large_binary())), first)  # fmt: skip
    code, _, err = run(verify, capsys)
    assert code == 8 and "does not match its recorded SHA-256" in err, err

    first.write_bytes(original)
    (archive / "chunk-999999.parquet").write_bytes(original)
    code, _, err = run(verify, capsys)
    assert code == 8 and "chunk-999999.parquet: in the archive but not recorded" in err, err

    (archive / "chunk-999999.parquet").unlink()
    first.unlink()
    code, _, err = run(verify, capsys)
    assert code == 8 and "missing" in err and first.name in err, err

    code, _, err = run(
        ["--config", str(cfg), "snapshots", "--verify", str(hr["snapshot_id"])], capsys
    )
    assert code == 3 and "app snapshots" in err
