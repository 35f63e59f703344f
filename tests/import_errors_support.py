"""Shared by the import-error tests: a Workday-style HR export, configs, and the real CLI.

The export has the columns a Workday "All Workers" report gives; line n (header = line 1) holds
worker ``W1{n-2:04d}``, so a test can say "line 42" and mean it.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from scimaudit.cli import main
from scimaudit.store import connect
from scimaudit.store import snapshots as snap

WORKDAY = (
    "Employee_ID",
    "Legal_First_Name",
    "Legal_Last_Name",
    "Primary_Work_Email",
    "Worker_Type",
    "Employment_Status",
    "Hire_Date",
    "Termination_Date",
    "Supervisory_Organization",
    "Business_Title",
    "Manager_Employee_ID",
    "Cost_Center",
)
PROBLEM_LINE = re.compile(r"^\s+\S+:\d+: ", re.MULTILINE)


def workday_rows(count: int = 80) -> list[dict[str, str]]:
    """A clean export: line n (header = line 1) holds worker ``W1{n-2:04d}``."""
    rows = []
    for i in range(count):
        leaver = i % 11 == 5
        rows.append(
            {
                "Employee_ID": f"W1{i:04d}",
                "Legal_First_Name": f"Ana{i}",
                "Legal_Last_Name": f"Lima{i}",
                "Primary_Work_Email": f"ana{i}.lima@example.com",
                "Worker_Type": "Contingent Worker" if i % 9 == 4 else "Regular",
                "Employment_Status": "Terminated" if leaver else "Active",
                "Hire_Date": "03/15/2021",
                "Termination_Date": "06/30/2026" if leaver else "",
                "Supervisory_Organization": "Engineering (Jo Park)",
                "Business_Title": "Software Engineer",
                "Manager_Employee_ID": "W10000",
                "Cost_Center": "CC-1042 Platform",
            }
        )
    return rows


def at_line(rows: list[dict[str, str]], line: int) -> dict[str, str]:
    return rows[line - 2]


def write_csv(path: Path, rows: list[dict[str, str]], header: tuple[str, ...] = WORKDAY) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(header), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_config(tmp_path: Path, export: Path, *extra: str, hr: str = "") -> Path:
    lines = [
        "[store]",
        f'path = "{tmp_path / "store.duckdb"}"',
        "[hr]",
        f'path = "{export}"',
        hr,
        "[hr.columns]",
        'employee_id = "Employee_ID"',
        'first_name = "Legal_First_Name"',
        'last_name = "Legal_Last_Name"',
        'email = "Primary_Work_Email"',
        'status = "Employment_Status"',
        'worker_type = "Worker_Type"',
        'hire_date = "Hire_Date"',
        'termination_date = "Termination_Date"',
        'department = "Supervisory_Organization"',
        'title = "Business_Title"',
        'manager_id = "Manager_Employee_ID"',
        "[hr.status]",
        'active = ["Active"]',
        'leave = ["On Leave"]',
        'terminated = ["Terminated"]',
        "[hr.worker_type]",
        'contractor = ["Contingent Worker"]',
        *extra,
    ]
    path = tmp_path / "scimaudit.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def collect(cfg: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    return run(["--config", str(cfg), "collect", "--no-progress", *args], capsys)


def listed(tmp_path: Path) -> list[snap.Snapshot]:
    with connect(tmp_path / "store.duckdb") as con:
        return snap.list_snapshots(con)


def current_hr(tmp_path: Path) -> snap.Snapshot | None:
    with connect(tmp_path / "store.duckdb") as con:
        return snap.current(con, "hr", "hr")


def reject_rows(path: str | Path) -> dict[str, dict[str, str]]:
    with Path(path).open(encoding="utf-8", newline="") as handle:
        return {row["line"]: row for row in csv.DictReader(handle)}
