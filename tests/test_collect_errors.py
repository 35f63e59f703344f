"""Refused HR imports reach the user where they look: ``scimaudit collect`` output, ``--json``,
the snapshot record and a reject file; and ``allow_errors`` keeps a *partial* snapshot that says
so everywhere. Driven through the real CLI entry point, on real CSV/XLSX files written here and
real DuckDB stores (see :mod:`import_errors_support`)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import orjson
import pytest

from faults.mock_scim import LoopbackServer, MockScim, make_groups, make_users
from import_errors_support import (
    PROBLEM_LINE,
    WORKDAY,
    at_line,
    collect,
    current_hr,
    listed,
    reject_rows,
    run,
    workday_rows,
    write_config,
    write_csv,
)
from scimaudit.analytics.selection import partial_hr_note
from scimaudit.store import connect

# --- HR: the three cases of the issue, each through `scimaudit collect` ------------------------


def test_duplicate_id_on_line_42_is_printed_and_kept_and_the_good_snapshot_stays_current(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = workday_rows()
    export = write_csv(tmp_path / "workers.csv", rows)
    cfg = write_config(tmp_path, export)
    code, _, err = collect(cfg, capsys)
    assert code == 0, err
    good = current_hr(tmp_path)
    assert good is not None and good.counts["employees"] == 80

    at_line(rows, 42)["Employee_ID"] = at_line(rows, 12)["Employee_ID"]
    write_csv(export, rows)
    code, _, err = collect(cfg, capsys)
    assert code == 3
    assert f"{export}:42: Employee_ID: duplicate employee id 'W10010' (lines 12, 42)" in err
    assert f"{export}:12: Employee_ID: duplicate employee id" in err
    assert "Traceback" not in err
    # the problems sit under their source's line, not before it
    assert err.index("hr hr: HR import rejected") < err.index(f"{export}:42:")

    newest = listed(tmp_path)[0]
    assert newest.status == "failed" and newest.snapshot_id != good.snapshot_id
    assert current_hr(tmp_path) == good  # no new complete snapshot: the last good one stays
    record = newest.completeness
    assert [p["line"] for p in record["problem_list"]] == [12, 42]
    assert record["problems"] == 2
    assert (record["rows_read"], record["imported"], record["rejected"]) == (80, 0, 2)
    rejects = reject_rows(record["reject_file"])
    assert Path(record["reject_file"]).parent == tmp_path / "store.duckdb.rejects"
    assert sorted(rejects) == ["12", "42"]
    assert rejects["42"]["Legal_First_Name"] == "Ana40"
    assert rejects["42"]["problem"].startswith("Employee_ID: duplicate employee id 'W10010'")
    assert str(record["reject_file"]) in err
    with connect(tmp_path / "store.duckdb") as con:
        stored = con.execute(
            "SELECT count(*) FROM employee WHERE snapshot_id = ?", [newest.snapshot_id]
        ).fetchone()
    assert stored == (0,)


def test_unknown_status_on_line_58_shows_the_value_and_the_allowed_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = workday_rows()
    at_line(rows, 58)["Employment_Status"] = "Retired"
    cfg = write_config(tmp_path, write_csv(tmp_path / "workers.csv", rows))
    code, _, err = collect(cfg, capsys)
    assert code == 3
    line = next(x for x in err.splitlines() if ":58: " in x)
    assert line.strip() == (
        f"{tmp_path / 'workers.csv'}:58: Employment_Status: unknown status 'Retired'; "
        "[hr.status] has active = ['Active']; leave = ['On Leave']; terminated = ['Terminated']"
    )
    assert [s.status for s in listed(tmp_path)] == ["failed"]
    assert current_hr(tmp_path) is None


def test_missing_mapped_column_is_named_with_its_config_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header = tuple(c for c in WORKDAY if c != "Supervisory_Organization")
    export = write_csv(tmp_path / "workers.csv", workday_rows(), header)
    cfg = write_config(tmp_path, export)
    code, out, err = collect(cfg, capsys, "--json")
    assert code == 3
    assert (
        f"{export}:1: hr.columns.department: column 'Supervisory_Organization' is not in the "
        "header; the file has: Employee_ID," in err
    )
    [row] = orjson.loads(out)
    assert row["status"] == "failed" and row["kind"] == "hr"
    assert [(p["line"], p["column"]) for p in row["problems"]] == [(1, "hr.columns.department")]
    assert row["reject_file"] is None  # a header problem rejects no data row
    assert not (tmp_path / "store.duckdb.rejects").exists()
    [failed] = listed(tmp_path)
    assert failed.snapshot_id == row["snapshot_id"]
    assert "Supervisory_Organization" in failed.completeness["problem_list"][0]["message"]


def test_more_than_20_problems_prints_20_then_counts_the_rest_and_json_has_all(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = workday_rows()
    for line in range(30, 63):  # 33 bad statuses
        at_line(rows, line)["Employment_Status"] = "Garden Leave"
    cfg = write_config(tmp_path, write_csv(tmp_path / "workers.csv", rows))
    code, out, err = collect(cfg, capsys, "--json")
    assert code == 3
    assert len(PROBLEM_LINE.findall(err)) == 20
    assert ":49: Employment_Status" in err and ":50: " not in err
    assert "... and 13 more problem(s)" in err
    [row] = orjson.loads(out)
    assert [p["line"] for p in row["problems"]] == list(range(30, 63))
    assert row["problems"][-1]["text"].endswith("unknown status 'Garden Leave'; [hr.status] has "
                                                "active = ['Active']; leave = ['On Leave']; "
                                                "terminated = ['Terminated']")  # fmt: skip
    [failed] = listed(tmp_path)
    assert failed.completeness["problems"] == 33
    assert len(failed.completeness["problem_list"]) == 33
    assert len(reject_rows(row["reject_file"])) == 33


def test_a_reject_file_that_cannot_be_written_does_not_hide_the_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = workday_rows()
    at_line(rows, 58)["Employment_Status"] = "Retired"
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder would go\n")
    export = write_csv(tmp_path / "workers.csv", rows)
    cfg = write_config(tmp_path, export, hr=f'reject_file = "{blocker / "rejects.csv"}"')
    code, out, err = collect(cfg, capsys, "--json")
    assert code == 3
    assert f"{export}:58: Employment_Status: unknown status 'Retired'" in err
    assert "no reject file:" in err and "cannot write the reject file" in err
    assert orjson.loads(out)[0]["reject_file"] is None


# --- XLSX: data on the second sheet ---------------------------------------------------------------


def test_xlsx_with_data_on_the_second_sheet_names_the_sheet_read_and_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = openpyxl.Workbook()
    cover = book.active
    assert cover is not None
    cover.title = "Report Parameters"
    cover.append(["Report Name", "All Workers - Audit"])
    cover.append(["Effective As Of", "12/01/2026"])
    workers = book.create_sheet("Workers")
    workers.append(list(WORKDAY))
    for row in workday_rows(40):
        workers.append([row[c] for c in WORKDAY])
    book.create_sheet("Notes").append(["prepared by HRIS"])
    export = tmp_path / "All_Workers.xlsx"
    book.save(export)

    code, _, err = collect(write_config(tmp_path, export), capsys)
    assert code == 3
    assert (
        "sheet 'Report Parameters' read (the first); other sheets: 'Workers', 'Notes' "
        '(choose one with sheet = "NAME" in the config)'
    ) in err
    assert "sheet 'Report Parameters' has: Report Name, All Workers - Audit" in err
    assert "sheet 'Workers' has every configured column: set sheet = \"Workers\"" in err
    assert "'Notes' has every" not in err
    [failed] = listed(tmp_path)
    assert failed.completeness["sheet"] == "Report Parameters"
    assert failed.completeness["sheets"] == ["Report Parameters", "Workers", "Notes"]

    code, _, err = collect(write_config(tmp_path, export, hr='sheet = "Workers"'), capsys)
    assert code == 0, err
    done = current_hr(tmp_path)
    assert done is not None and done.counts["employees"] == 40


# --- allow_errors, end to end ---------------------------------------------------------------------


def test_allow_errors_imports_the_good_rows_and_the_snapshot_says_it_is_partial(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = workday_rows()
    at_line(rows, 42)["Employee_ID"] = at_line(rows, 12)["Employee_ID"]
    at_line(rows, 58)["Employment_Status"] = "Retired"
    at_line(rows, 60)["Business_Title"] = '=HYPERLINK("http://x")'
    export = write_csv(tmp_path / "workers.csv", rows)
    cfg = write_config(tmp_path, export, hr="allow_errors = true")
    code, out, err = collect(cfg, capsys, "--json")
    assert code == 0, err
    [row] = orjson.loads(out)
    assert row["status"] == "partial"
    assert row["counts"] == {"rows": 80, "imported": 77, "rejected": 3}
    assert row["reject_file"] == str(tmp_path / "workers.rejects.csv")
    assert [p["line"] for p in row["problems"]] == [12, 42, 58]
    assert "warning: hr hr: 3 of 80 row(s) rejected (allow_errors)" in err
    assert f"{export}:42: Employee_ID: duplicate" in err
    assert f"written to {tmp_path / 'workers.rejects.csv'}" in err
    assert sorted(reject_rows(row["reject_file"])) == ["12", "42", "58"]

    [partial] = listed(tmp_path)
    assert partial.status == "complete"  # usable by analysis: the user chose allow_errors ...
    assert partial.completeness["partial"] is True  # ... but never mistaken for a whole export
    assert partial.completeness["rejected"] == 3
    assert [p["line"] for p in partial.completeness["problem_list"]] == [12, 42, 58]
    assert partial.counts == {"rows": 80, "employees": 77, "rejected": 3}
    note = partial_hr_note(partial)
    assert f"snapshot {partial.snapshot_id} is partial: 3 row(s) were rejected" in note
    assert "HR population is partial" in note

    code, out, _ = run(["--config", str(cfg), "snapshots"], capsys)
    assert code == 0 and "complete (partial: 3 rows rejected)" in out

    # Fixed at the source: the next run is whole, the reject file is rewritten empty.
    write_csv(export, workday_rows())
    code, out, err = collect(cfg, capsys, "--json")
    assert code == 0 and orjson.loads(out)[0]["status"] == "complete"
    assert reject_rows(tmp_path / "workers.rejects.csv") == {}
    whole = current_hr(tmp_path)
    assert whole is not None and partial_hr_note(whole) == ""


@pytest.mark.parametrize("value", ['"yes"', "1"])
def test_allow_errors_must_be_a_toml_boolean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    export = write_csv(tmp_path / "workers.csv", workday_rows(3))
    code, _, err = collect(write_config(tmp_path, export, hr=f"allow_errors = {value}"), capsys)
    assert code == 2 and "hr.allow_errors" in err


def test_findings_on_a_partial_hr_snapshot_say_the_hr_population_is_partial(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """allow_errors → analyze and findings (real CLI, a loopback SCIM app) carry the caveat."""
    monkeypatch.setenv("ERRORS_TEST_TOKEN", "test-token")
    rows = workday_rows(30)
    at_line(rows, 20)["Employment_Status"] = "Retired"
    export = write_csv(tmp_path / "workers.csv", rows)
    users = make_users(12)
    with LoopbackServer(MockScim(users, make_groups(users, 2)).handle) as server:
        app = [
            "[[apps]]",
            'name = "chat"',
            f'url = "{server.origin}/scim/v2"',
            'token = { env = "ERRORS_TEST_TOKEN" }',
        ]
        cfg = write_config(tmp_path, export, *app, hr="allow_errors = true")
        code, _, err = collect(cfg, capsys)
    assert code == 0, err
    [hr] = [s for s in listed(tmp_path) if s.source_kind == "hr"]
    code, out, err = run(["--config", str(cfg), "analyze"], capsys)
    assert code == 0, err
    caveat = f"HR export: snapshot {hr.snapshot_id} is partial: 1 row(s) were rejected"
    assert caveat in out
    code, out, err = run(["--config", str(cfg), "findings"], capsys)
    assert code == 0, err
    assert "finding(s)" in out  # the accounts match nobody in HR: there are findings to caveat
    assert f"note: {caveat}" in out
