"""`scimaudit analyze`, `findings` and `access` on the sample store: formats, widths, exit codes."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import orjson
import pytest

from sample_store import build_sample_store, manifest, sample_config
from scimaudit.cli import main
from scimaudit.config import Config

AS_OF = manifest()["as_of"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(argv))
    captured = capsys.readouterr()
    return int(exit_info.value.code or 0), captured.out, captured.err


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> Config:
    config = sample_config(tmp_path_factory.mktemp("cli"))
    build_sample_store(config)
    return config


def test_analyze_prints_a_summary_and_findings_lists_them(
    analysed: Config, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = str(analysed.source)
    code, out, _ = run(capsys, "--config", cfg, "analyze", "--as-of", AS_OF)
    assert code == 0
    assert "895 accounts, 885 linked to people, 5 service, 5 unmatched" in out
    assert f"{len(manifest()['planted'])} open finding(s)" in out

    code, out, _ = run(capsys, "--config", cfg, "findings", "--format", "json")
    assert code == 0
    items = orjson.loads(out)
    assert len(items) == len(manifest()["planted"])
    required = {
        "kind",
        "app",
        "account_id",
        "user_name",
        "employee_id",
        "severity",
        "reason",
        "first_seen",
    }
    assert all(required <= item.keys() for item in items)
    assert {i["first_seen"] for i in items} == {AS_OF}

    monkeypatch.setenv("COLUMNS", "100")
    code, out, _ = run(capsys, "--config", cfg, "findings", "--kind", "role_drift")
    assert code == 0
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 100
    assert "1 of 43 Sales / Account Executive peers hold crm/sales-manager (2%)" in " ".join(
        line.strip() for line in lines
    )
    assert any(line.split()[:2] == ["role_drift", "code"] and "3 open" in line for line in lines)


def test_csv_defuses_formulas_and_app_filter(
    analysed: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = str(analysed.source)
    run(capsys, "--config", cfg, "analyze", "--as-of", AS_OF)
    code, out, _ = run(capsys, "--config", cfg, "findings", "--app", "crm", "--format", "csv")
    assert code == 0
    records = list(csv.DictReader(io.StringIO(out)))
    assert {r["app"] for r in records} == {"crm"}
    orphan = next(r for r in records if r["kind"] == "orphaned_account")
    assert "HYPERLINK" in orphan["evidence"] and not orphan["evidence"].startswith("=")


def test_access_by_person_and_by_app_group(
    analysed: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = str(analysed.source)
    code, out, _ = run(
        capsys,
        "--config",
        cfg,
        "access",
        "--person",
        "E10287",
        "--as-of",
        AS_OF,
        "--format",
        "json",
    )
    assert code == 0
    rows = orjson.loads(out)
    assert {(r["app"], r["group_name"]) for r in rows} >= {("code", "admins")}
    assert {r["employee_id"] for r in rows} == {"E10287"}
    code, out, _ = run(
        capsys,
        "--config",
        cfg,
        "access",
        "--app",
        "erp",
        "--group",
        "gl-poster",
        "--as-of",
        AS_OF,
        "--format",
        "json",
    )
    assert code == 0
    names = {r["user_name"] for r in orjson.loads(out)}
    assert {"AADEYEMI", "GCASTILLO", "HHALL"} <= names
    assert all(r["group_name"] == "GL-Poster" for r in orjson.loads(out))


def test_before_any_snapshot_analysis_refuses_with_exit_6(
    analysed: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "--config", str(analysed.source), "analyze", "--as-of", "2020-01-01")
    assert code == 6
    assert "no snapshot as of 2020-01-01" in err and "Traceback" not in err
    code, _, err = run(capsys, "--config", str(analysed.source), "access", "--as-of", AS_OF)
    assert code == 6 and "--person" in err


def test_findings_without_a_run_is_exit_6(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = sample_config(tmp_path)
    from scimaudit.store.connect import connect

    with connect(config.store.path):
        pass
    code, _, err = run(capsys, "--config", str(config.source), "findings")
    assert code == 6 and "run `scimaudit analyze`" in err
