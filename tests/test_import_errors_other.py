"""Refused sign-in exports and overrides files reach the user the same way as the HR export:
every problem as ``file:line: column: message``, the first 20 printed, all in ``--json``/the
record/the exception. Real CLI, real files, real DuckDB stores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from import_errors_support import (
    PROBLEM_LINE,
    collect,
    listed,
    reject_rows,
    run,
    workday_rows,
    write_config,
    write_csv,
)
from scimaudit.analytics.overrides import parse_overrides
from scimaudit.errors import OverridesError

# --- activity ---------------------------------------------------------------------------------


def activity_config(tmp_path: Path, export: Path) -> Path:
    cfg = write_config(
        tmp_path,
        write_csv(tmp_path / "workers.csv", workday_rows(3)),
        "[[activity]]",
        f'path = "{export}"',
        'app = "chat"',
        'user_column = "UserPrincipalName"',
        'last_seen_column = "LastSignInDateTime"',
    )
    return cfg


def test_activity_problems_reach_collect_json_and_the_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = ["UserPrincipalName,LastSignInDateTime"]
    lines += [f"user{i}@example.com,2026-11-{(i % 28) + 1:02d}T08:00:00Z" for i in range(10)]
    lines += [f"user{i}@example.com,yesterday-ish" for i in range(10, 35)]  # lines 12..36
    export = tmp_path / "signins.csv"
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cfg = activity_config(tmp_path, export)
    code, out, err = collect(cfg, capsys, "--source", "activity", "--json")
    assert code == 3
    assert len(PROBLEM_LINE.findall(err)) == 20
    assert f"{export}:12: LastSignInDateTime: unparseable timestamp 'yesterday-ish'" in err
    assert "... and 5 more problem(s)" in err
    [row] = orjson.loads(out)
    assert row["kind"] == "activity" and row["source"] == "signins"
    assert [p["line"] for p in row["problems"]] == list(range(12, 37))
    assert len(reject_rows(row["reject_file"])) == 25
    [failed] = [s for s in listed(tmp_path) if s.source_kind == "activity"]
    assert failed.status == "failed" and failed.snapshot_id == row["snapshot_id"]
    assert failed.completeness["problems"] == 25
    assert failed.completeness["reject_file"] == row["reject_file"]


def test_activity_missing_column_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "signins.csv"
    export.write_text("UPN,LastSignInDateTime\nuser1@example.com,2026-11-01\n", encoding="utf-8")
    code, _, err = collect(activity_config(tmp_path, export), capsys, "--source", "activity")
    assert code == 3
    assert (
        f"{export}:1: activity.user_column: column 'UserPrincipalName' is not in the header; "
        "the file has: UPN, LastSignInDateTime"
    ) in err


# --- overrides --------------------------------------------------------------------------------


def write_overrides(tmp_path: Path, body: list[str]) -> Path:
    path = tmp_path / "overrides.csv"
    header = "app,account,action,employee_id,owner,reason,expires"
    path.write_text("\n".join([header, *body]) + "\n", encoding="utf-8")
    return path


def analyze_with(tmp_path: Path, overrides: Path, capsys: Any) -> tuple[int, str, str]:
    export = write_csv(tmp_path / "workers.csv", workday_rows(3))
    cfg = write_config(tmp_path, export, "[correlation]", f'overrides = "{overrides}"')
    return run(["--config", str(cfg), "analyze", "--as-of", "2026-12-01"], capsys)


def test_overrides_problems_are_printed_by_true_line_and_counted_past_20(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = ['code,svc-bot,service,,W10000,"CI deploy bot\nticket IAM-1042",']  # lines 2-3
    body += [f"code,acct{i},unlink,W10001,,moved team," for i in range(24)]  # lines 4..27
    body += ["code,acct-x,link,W10001,,moved team,2026-13-01"]  # line 28
    overrides = write_overrides(tmp_path, body)
    code, _, err = analyze_with(tmp_path, overrides, capsys)
    assert code == 3
    assert f"{overrides}:4: action: 'unlink' is not one of link, service" in err
    assert sum(line.startswith(f"{overrides}:") for line in err.splitlines()) == 20
    assert "... and 5 more problem(s)" in err
    with pytest.raises(OverridesError) as caught:
        parse_overrides(overrides.read_text(encoding="utf-8"), str(overrides))
    assert len(caught.value.problems) == 25
    assert caught.value.problems[-1] == (
        28,
        "expires",
        "'2026-13-01' is not an ISO date YYYY-MM-DD",
    )


def test_overrides_missing_column_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    overrides = tmp_path / "overrides.csv"
    overrides.write_text("app,account,action,employee_id,owner,expires\n", encoding="utf-8")
    code, _, err = analyze_with(tmp_path, overrides, capsys)
    assert code == 3
    assert f"{overrides}:1: reason: column missing from the header" in err
