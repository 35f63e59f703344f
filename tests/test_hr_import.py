"""HR export import: every format gives the same employees, errors come by line, all or none."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scimaudit.collect.hr import ImportResult, import_hr
from scimaudit.collect.hr.csv_text import _parse_python, decode, read_csv_text
from scimaudit.config import Config, parse_config
from scimaudit.errors import ConfigError, HrImportError, InputError
from scimaudit.store import connect
from scimaudit.store import snapshots as snap

DATA = Path(__file__).parent / "data" / "hr"
COLUMNS = {
    "employee_id": "Employee_ID",
    "email": "Work_Email",
    "first_name": "First_Name",
    "last_name": "Last_Name",
    "status": "Worker_Status",
    "worker_type": "Worker_Type",
    "hire_date": "Hire_Date",
    "termination_date": "Termination_Date",
    "contract_end_date": "Contract_End_Date",
    "department": "Department",
    "title": "Job_Title",
    "manager_id": "Manager_ID",
}
MINIMAL = {"employee_id": "Employee_ID", "status": "Worker_Status"}
EXPECTED = [
    # employee_id, email, first_name, status, worker_type, hire, termination, contract end
    ("E001", "Alice.Ng@Example.com", "Alice", "active", "employee", date(2020, 1, 15), None, None),
    ("E002", "bob.stone@example.com", "Bob", "terminated", "employee", date(2019, 3, 1),
     date(2024, 2, 29), None),
    ("E003", "carol.diaz@example.com", "Carol", "leave", "employee", date(2021, 7, 4), None, None),
    ("E004", "dan.ito@example.com", "Dan", "active", "contractor", date(2023, 11, 30), None,
     date(2025, 12, 31)),
    ("E005", "eve.hart@example.com", "Eve, Jr.", "active", "employee", date(2022, 12, 1), None,
     None),
]  # fmt: skip


def make_config(
    tmp_path: Path, hr_file: Path, columns: dict[str, str] | None = None, **hr: Any
) -> Config:
    raw: dict[str, Any] = {
        "store": {"path": str(tmp_path / "store.duckdb")},
        "hr": {
            "path": str(hr_file),
            "columns": columns or COLUMNS,
            "status": {
                "active": ["Active"],
                "leave": ["Leave of Absence"],
                "terminated": ["Terminated"],
            },
            "worker_type": {"contractor": ["Contingent Worker"]},
            **hr,
        },
    }
    return parse_config(raw, tmp_path / "scimaudit.toml")


def employees(cfg: Config, snapshot_id: int | None = None) -> list[tuple[Any, ...]]:
    with connect(cfg.store.path) as con:
        return con.execute(
            "SELECT employee_id, email, first_name, status, worker_type, hire_date,"
            " termination_date, contract_end_date FROM employee"
            " WHERE snapshot_id = coalesce(?, snapshot_id) ORDER BY employee_id",
            [snapshot_id],
        ).fetchall()


def count(cfg: Config, table: str) -> int:
    with connect(cfg.store.path) as con:
        row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(row[0])


def only_snapshot(cfg: Config) -> snap.Snapshot:
    with connect(cfg.store.path) as con:
        found = snap.list_snapshots(con)
    assert len(found) == 1
    return found[0]


def rows_of(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle, delimiter="\t" if path.suffix == ".tsv" else ","))


# --- formats and dialects -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "delimiter"),
    [("hr_us_comma.csv", ","), ("hr_eu_semicolon_bom.csv", ";"), ("hr_tab.tsv", "\t")],
)
def test_csv_dialects_import_the_same_people(tmp_path: Path, name: str, delimiter: str) -> None:
    cfg = make_config(tmp_path, DATA / name)
    result = import_hr(cfg)
    assert (result.rows_read, result.imported, result.rejected) == (5, 5, 0)
    assert employees(cfg) == EXPECTED
    record = only_snapshot(cfg)
    assert record.status == "complete"
    assert record.counts == {"rows": 5, "employees": 5, "rejected": 0}
    assert record.completeness["delimiter"] == delimiter
    assert record.completeness["rows_read"] == 5


def test_bom_is_not_part_of_the_first_column_name(tmp_path: Path) -> None:
    cfg = make_config(tmp_path, DATA / "hr_eu_semicolon_bom.csv")
    import_hr(cfg)
    record = only_snapshot(cfg)
    assert record.completeness["encoding"] == "utf-8-sig"
    with connect(cfg.store.path) as con:
        first = con.execute(
            "SELECT record->>'Employee_ID' FROM raw_hr_row ORDER BY line_no LIMIT 1"
        ).fetchone()
    assert first == ("E001",)


def test_xlsx_with_date_cells_and_numbers(tmp_path: Path) -> None:
    source = rows_of(DATA / "hr_tab.tsv")
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Workers"
    sheet.append(source[0])
    for row in source[1:]:
        cells: list[Any] = [v or None for v in row]
        for i in (6, 7, 8):  # real Excel date cells, not text
            cells[i] = datetime.fromisoformat(row[i]) if row[i] else None
        sheet.append(cells)
    sheet.insert_rows(4)  # a blank row between people is skipped, not a person
    path = tmp_path / "hr.xlsx"
    book.save(path)
    cfg = make_config(tmp_path, path)
    result = import_hr(cfg)
    assert result.imported == 5
    assert employees(cfg) == EXPECTED
    with connect(cfg.store.path) as con:
        lines = [r[0] for r in con.execute("SELECT line_no FROM employee ORDER BY 1").fetchall()]
    assert lines == [2, 3, 5, 6, 7]  # sheet row numbers
    assert only_snapshot(cfg).completeness["sheet"] == "Workers"


def test_xlsx_named_sheet_and_missing_sheet(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    first.append(["notes"])
    people = book.create_sheet("People")
    for row in rows_of(DATA / "hr_tab.tsv"):
        people.append(row)
    path = tmp_path / "hr.xlsx"
    book.save(path)
    assert import_hr(make_config(tmp_path, path, sheet="People")).imported == 5
    with pytest.raises(
        InputError, match=r"no sheet named 'Staff' \(the workbook has: 'Sheet', 'People'\)"
    ):
        import_hr(make_config(tmp_path, path, sheet="Staff"))


def test_xlsx_header_below_blank_rows_numbers_and_overflow(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["C3"] = "Employee_ID"  # header on row 3, starting in column C
    sheet["D3"] = "Worker_Status"
    sheet.append([None, None, 1001, "Active"])  # numeric id cell
    sheet.append([None, None, 1002.0, "Active", "stray note"])  # row 5: beyond the header
    path = tmp_path / "hr.xlsx"
    book.save(path)
    cfg = make_config(tmp_path, path, MINIMAL)
    with pytest.raises(HrImportError) as caught:
        import_hr(cfg)
    assert caught.value.problems == [(5, "(row)", "has values beyond the last header column (4)")]
    result = import_hr(cfg, allow_errors=True)
    assert result.imported == 1
    with connect(cfg.store.path) as con:
        got = con.execute("SELECT employee_id, line_no FROM employee").fetchall()
    assert got == [("1001", 4)]


def test_parquet_with_typed_columns(tmp_path: Path) -> None:
    source = rows_of(DATA / "hr_tab.tsv")
    header, body = source[0], source[1:]
    arrays: dict[str, pa.Array] = {}
    for i, name in enumerate(header):
        values = [row[i] or None for row in body]
        if name.endswith("_Date"):
            arrays[name] = pa.array([date.fromisoformat(v) if v else None for v in values])
        else:
            arrays[name] = pa.array(values, type=pa.string())
    path = tmp_path / "hr.parquet"
    pq.write_table(pa.table(arrays), path)
    cfg = make_config(tmp_path, path)
    assert import_hr(cfg).imported == 5
    assert employees(cfg) == EXPECTED


def test_quoted_line_break_and_blank_lines_keep_physical_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "hr.csv"
    path.write_text(
        "Employee_ID,Worker_Status,Job_Title\n"
        'E1,Active,"two\nlines"\n'
        "\n"
        "E2,Active,x\n"
        ",,\n"
        "E3,Retired,x\n",
        encoding="utf-8",
    )
    cfg = make_config(tmp_path, path, MINIMAL | {"title": "Job_Title"})
    with pytest.raises(HrImportError) as caught:
        import_hr(cfg)
    assert [(line, fld) for line, fld, _ in caught.value.problems] == [(7, "Worker_Status")]


# --- mapping --------------------------------------------------------------------------------------


def test_status_and_worker_type_ignore_case_and_spaces(tmp_path: Path) -> None:
    path = tmp_path / "hr.csv"
    path.write_text(
        "Employee_ID,Worker_Status,Worker_Type\n"
        "E1, ACTIVE ,contingent worker\n"
        "E2,leave of absence,\n"
        "E3,Terminated,Employee\n",
        encoding="utf-8",
    )
    cfg = make_config(tmp_path, path, MINIMAL | {"worker_type": "Worker_Type"})
    import_hr(cfg)
    with connect(cfg.store.path) as con:
        got = con.execute(
            "SELECT employee_id, status, status_raw, worker_type, worker_type_raw FROM employee"
            " ORDER BY 1"
        ).fetchall()
    assert got == [
        ("E1", "active", "ACTIVE", "contractor", "contingent worker"),
        ("E2", "leave", "leave of absence", "employee", None),
        ("E3", "terminated", "Terminated", "employee", "Employee"),
    ]


def test_same_value_in_two_status_lists_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="listed under both active and leave"):
        make_config(tmp_path, DATA / "hr_us_comma.csv", status={
            "active": ["Active", "Leave of Absence"], "leave": ["leave of absence"]
        })  # fmt: skip


def test_configured_date_format_and_column_wide_choice(tmp_path: Path) -> None:
    """%d/%m/%Y before %m/%d/%Y: a column is read with one format, so 01/02 follows 13/02."""
    path = tmp_path / "hr.csv"
    path.write_text(
        "Employee_ID,Worker_Status,Hire_Date\nE1,Active,01/02/2024\nE2,Active,02/13/2024\n",
        encoding="utf-8",
    )
    columns = MINIMAL | {"hire_date": "Hire_Date"}
    cfg = make_config(tmp_path, path, columns, date_formats=["%d/%m/%Y", "%m/%d/%Y"])
    import_hr(cfg)
    with connect(cfg.store.path) as con:
        got = con.execute("SELECT hire_date FROM employee ORDER BY employee_id").fetchall()
    assert got == [(date(2024, 1, 2),), (date(2024, 2, 13),)]
    assert only_snapshot(cfg).completeness["date_formats"] == {"hire_date": ["%m/%d/%Y"]}


# --- errors: every problem by line, nothing imported ----------------------------------------------


def test_every_row_problem_is_reported_with_its_line_and_nothing_is_imported(
    tmp_path: Path,
) -> None:
    cfg = make_config(tmp_path, DATA / "hr_errors.csv")
    with pytest.raises(HrImportError) as caught:
        import_hr(cfg)
    problems = caught.value.problems
    assert [(line, fld) for line, fld, _ in problems] == [
        (4, "Employee_ID"),
        (5, "Employee_ID"),
        (6, "Employee_ID"),
        (7, "Hire_Date"),
        (8, "Worker_Status"),
    ]
    messages = {line: msg for line, _, msg in problems}
    assert messages[4] == "missing employee id"
    assert messages[5] == "duplicate employee id 'E002' (lines 5, 6)"
    assert messages[7].startswith(
        "unparseable date '2021-02-30' (formats tried: ISO 8601, %Y-%m-%d"
    )
    assert messages[8].startswith("unknown status 'Retired'")
    text = str(caught.value)
    assert "5 problem(s); nothing was imported" in text
    assert f"{DATA / 'hr_errors.csv'}:8: Worker_Status: unknown status 'Retired'" in text
    assert count(cfg, "employee") == 0
    assert count(cfg, "raw_hr_row") == 0
    failed = only_snapshot(cfg)
    assert failed.status == "failed"
    assert failed.error is not None and "5 problem(s)" in failed.error
    assert failed.completeness["rows_read"] == 7


def test_missing_configured_column_names_it_and_lists_the_header(tmp_path: Path) -> None:
    path = tmp_path / "hr.csv"
    path.write_text("Employee_ID,Worker_Status,email\nE1,Active,a@example.com\n", "utf-8")
    cfg = make_config(tmp_path, path, MINIMAL | {"email": "Email", "department": "Dept"})
    with pytest.raises(HrImportError) as caught:
        import_hr(cfg)
    assert caught.value.problems == [
        (
            1,
            "hr.columns.email",
            "column 'Email' is not in the header (did you mean 'email'?); the file has: "
            "Employee_ID, Worker_Status, email",
        ),
        (
            1,
            "hr.columns.department",
            "column 'Dept' is not in the header; the file has: Employee_ID, Worker_Status, email",
        ),
    ]
    assert only_snapshot(cfg).status == "failed"
    assert count(cfg, "employee") == 0


def test_ragged_row_is_a_problem_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "hr.csv"
    path.write_text("Employee_ID;Worker_Status\nE1;Active\nE2;Active;extra\nE3\n", encoding="utf-8")
    cfg = make_config(tmp_path, path, MINIMAL)
    with pytest.raises(HrImportError) as caught:
        import_hr(cfg)
    got = [(line, msg) for line, _, msg in caught.value.problems]
    assert got == [
        (3, "has 3 fields, the header has 2"),
        (4, "has 1 fields, the header has 2"),
        (4, "missing status"),
    ]


def test_odd_column_names_survive_into_the_raw_record(tmp_path: Path) -> None:
    path = tmp_path / "hr.csv"
    path.write_text(
        'Employee_ID,Worker_Status,"Boss\'s ""Name""",\nE1,Active,Ann,\n', encoding="utf-8"
    )
    cfg = make_config(tmp_path, path, MINIMAL)
    import_hr(cfg)
    with connect(cfg.store.path) as con:
        row = con.execute("SELECT record FROM raw_hr_row").fetchone()
    assert row is not None
    assert json.loads(row[0]) == {
        "Employee_ID": "E1",
        "Worker_Status": "Active",
        'Boss\'s "Name"': "Ann",
        "column_4": "",  # a trailing delimiter on the header makes an unnamed column
    }


def test_header_only_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "hr.csv"
    path.write_text(",".join(COLUMNS.values()) + "\n", encoding="utf-8")
    cfg = make_config(tmp_path, path)
    with pytest.raises(InputError, match="header but no data rows"):
        import_hr(cfg)
    assert only_snapshot(cfg).status == "failed"


def test_unreadable_inputs_fail_with_the_file_named(tmp_path: Path) -> None:
    cfg = make_config(tmp_path, tmp_path / "missing.csv")
    with pytest.raises(InputError, match=r"missing\.csv: file not found"):
        import_hr(cfg)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match=r"empty\.csv: the file is empty"):
        import_hr(cfg, path=empty)
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"Employee_ID,Worker_Status\nE1,Active\nE2,Activ\xe9\n")
    with pytest.raises(InputError, match=r"latin\.csv:3: not valid UTF-8"):
        import_hr(cfg, path=latin)
    with connect(cfg.store.path) as con:
        assert {s.status for s in snap.list_snapshots(con)} == {"failed"}


# --- allow_errors: rejects to a file, the rest imported -------------------------------------------


def test_allow_errors_writes_rejects_and_imports_the_rest(tmp_path: Path) -> None:
    export = tmp_path / "hr_errors.csv"
    shutil.copy(DATA / "hr_errors.csv", export)
    cfg = make_config(tmp_path, export)
    result = import_hr(cfg, allow_errors=True)
    assert isinstance(result, ImportResult)
    assert (result.rows_read, result.imported, result.rejected) == (7, 2, 5)
    assert result.reject_file == tmp_path / "hr_errors.rejects.csv"
    assert [e[0] for e in employees(cfg)] == ["E001", "E008"]
    assert count(cfg, "raw_hr_row") == 7  # raw keeps every row read, rejected ones too

    rejects = rows_of(result.reject_file)
    assert rejects[0] == [*COLUMNS.values(), "line", "problem"]
    by_line = {row[-2]: row for row in rejects[1:]}
    assert sorted(by_line) == ["4", "5", "6", "7", "8"]
    assert by_line["8"][-1].startswith("Worker_Status: unknown status 'Retired'")
    assert by_line["8"][10] == "'=1+2"  # formula defused for spreadsheets
    assert by_line["6"][1] == "bobby.stone@example.com"

    record = only_snapshot(cfg)
    assert record.status == "complete"
    assert record.counts == {"rows": 7, "employees": 2, "rejected": 5}
    assert record.completeness["rejected"] == 5
    assert record.completeness["reject_file"] == str(result.reject_file)
    with connect(cfg.store.path) as con:
        titles = con.execute("SELECT record->>'Job_Title' FROM raw_hr_row WHERE line_no = 8")
        assert titles.fetchone() == ("=1+2",)  # raw keeps exactly what the file said
        lines = con.execute("SELECT line_no FROM employee ORDER BY 1").fetchall()
    assert lines == [(2,), (9,)]


def test_allow_errors_with_explicit_reject_file_and_nothing_good_fails(tmp_path: Path) -> None:
    path = tmp_path / "hr.csv"
    path.write_text("Employee_ID,Worker_Status\n,Active\nE2,Gone\n", encoding="utf-8")
    cfg = make_config(tmp_path, path, MINIMAL)
    with pytest.raises(HrImportError, match="2 problem"):
        import_hr(cfg, allow_errors=True, reject_file=tmp_path / "out" / "r.csv")
    assert only_snapshot(cfg).status == "failed"
    assert count(cfg, "raw_hr_row") == 0


# --- snapshots ------------------------------------------------------------------------------------


def test_reimport_adds_a_snapshot_and_keeps_the_first(tmp_path: Path) -> None:
    cfg = make_config(tmp_path, DATA / "hr_us_comma.csv")
    first = import_hr(cfg, as_of=datetime(2024, 6, 1, tzinfo=UTC))
    second = import_hr(cfg, path=DATA / "hr_tab.tsv")
    assert second.snapshot_id != first.snapshot_id
    assert first.sha256 != second.sha256
    assert employees(cfg, first.snapshot_id) == EXPECTED
    assert employees(cfg, second.snapshot_id) == EXPECTED
    with connect(cfg.store.path) as con:
        listed = snap.list_snapshots(con)
        assert [(s.snapshot_id, s.status) for s in listed] == [
            (second.snapshot_id, "complete"),
            (first.snapshot_id, "complete"),
        ]
        current = snap.current(con, "hr", "hr")
        assert current is not None and current.snapshot_id == second.snapshot_id
        old = snap.get(con, first.snapshot_id)
    assert old.as_of == datetime(2024, 6, 1, tzinfo=UTC)
    assert old.location == str(DATA / "hr_us_comma.csv")
    assert old.sha256 == first.sha256


def test_sha256_is_over_the_file_bytes(tmp_path: Path) -> None:
    import hashlib

    cfg = make_config(tmp_path, DATA / "hr_eu_semicolon_bom.csv")
    result = import_hr(cfg)
    expected = hashlib.sha256((DATA / "hr_eu_semicolon_bom.csv").read_bytes()).hexdigest()
    assert result.sha256 == expected == only_snapshot(cfg).sha256


def test_no_hr_section_is_a_config_error(tmp_path: Path) -> None:
    cfg = parse_config({"store": {"path": str(tmp_path / "s.duckdb")}}, tmp_path / "x.toml")
    with pytest.raises(ConfigError, match=r"no \[hr\] section"):
        import_hr(cfg)


def test_the_store_is_usable_by_others_after_import(tmp_path: Path) -> None:
    """The import closes its connections: another process-style open works straight away."""
    cfg = make_config(tmp_path, DATA / "hr_us_comma.csv")
    import_hr(cfg)
    con = duckdb.connect(str(cfg.store.path), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM employee").fetchone() == (5,)
    finally:
        con.close()


# --- the reader's two CSV parsers agree -----------------------------------------------------------


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.[ct]sv")))
def test_fast_and_careful_csv_parsers_agree(name: str) -> None:
    data = (DATA / name).read_bytes()
    fast = read_csv_text(data, DATA / name)
    body, encoding = decode(data, DATA / name)
    careful = _parse_python(body.decode("utf-8"), DATA / name, fast.delimiter, encoding)
    assert fast.parser == "arrow"
    assert careful.header == fast.header
    assert careful.line_no.tolist() == fast.line_no.tolist()
    assert [c.to_pylist() for c in careful.columns] == [c.to_pylist() for c in fast.columns]


def test_utf16_export_reads_like_utf8(tmp_path: Path) -> None:
    path = tmp_path / "hr.txt"
    path.write_bytes((DATA / "hr_tab.tsv").read_text(encoding="utf-8").encode("utf-16"))
    cfg = make_config(tmp_path, path)
    assert import_hr(cfg).imported == 5
    assert employees(cfg) == EXPECTED
    assert only_snapshot(cfg).completeness["encoding"] == "utf-16"


def test_previous_employee_id_column_is_imported_when_mapped(tmp_path: Path) -> None:
    path = tmp_path / "rehires.csv"
    path.write_text(
        "Employee_ID,Worker_Status,Hire_Date,Termination_Date,Prior_ID\n"
        "E1,Terminated,01/04/2021,07/05/2024,\n"
        "E2,Active,03/02/2026,, E1 \n",
        encoding="utf-8",
    )
    columns = {
        "employee_id": "Employee_ID",
        "status": "Worker_Status",
        "hire_date": "Hire_Date",
        "termination_date": "Termination_Date",
        "previous_employee_id": "Prior_ID",
    }
    cfg = make_config(tmp_path, path, columns)
    import_hr(cfg)
    with connect(cfg.store.path) as con:
        got = con.execute(
            "SELECT employee_id, previous_employee_id FROM employee ORDER BY employee_id"
        ).fetchall()
    assert got == [("E1", None), ("E2", "E1")]
    missing = make_config(tmp_path, path, {**columns, "previous_employee_id": "Rehire_Of"})
    with pytest.raises(HrImportError, match="Rehire_Of"):
        import_hr(missing)
