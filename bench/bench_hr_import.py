"""HR import throughput: 200,000-row CSV, Parquet and XLSX exports, printed as rows/s.

Usage: ``.venv/bin/python bench/bench_hr_import.py [--rows 200000] [--xlsx-rows N]`` (XLSX rows
default to ``--rows``; 0 skips XLSX, whose generation with openpyxl takes a while).

Each run generates a synthetic export in a temporary folder, imports it into a fresh DuckDB store
through :func:`scimaudit.collect.hr.import_hr` (read, validate, land raw rows, load employees, one
snapshot) and prints wall-clock figures. Nothing is asserted: this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import csv
import random
import tempfile
import time
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq

from scimaudit.collect.hr import import_hr
from scimaudit.config import Config, parse_config

HEADER = [
    "Employee_ID",
    "Work_Email",
    "First_Name",
    "Last_Name",
    "Worker_Status",
    "Worker_Type",
    "Hire_Date",
    "Termination_Date",
    "Contract_End_Date",
    "Department",
    "Job_Title",
    "Manager_ID",
]
COLUMNS = dict(
    zip(
        [
            "employee_id",
            "email",
            "first_name",
            "last_name",
            "status",
            "worker_type",
            "hire_date",
            "termination_date",
            "contract_end_date",
            "department",
            "title",
            "manager_id",
        ],
        HEADER,
        strict=True,
    )
)


def people(rows: int) -> list[list[str]]:
    rng = random.Random(7)
    out = []
    for i in range(rows):
        status = rng.choice(["Active"] * 8 + ["Terminated", "Leave of Absence"])
        worker = rng.choice(["Regular"] * 9 + ["Contingent Worker"])
        hire = f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/{rng.randint(2005, 2024)}"
        term = (
            f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/2024"
            if status == "Terminated"
            else ""
        )
        end = "12/31/2026" if worker == "Contingent Worker" else ""
        out.append(
            [
                f"E{i:07d}",
                f"person{i}@example.com",
                rng.choice(["Ana", "Ben", "Chloé", "Dmitri", "Eve"]),
                rng.choice(["Ng", "Stone", "O'Brien", "Müller, Jr."]),
                status,
                worker,
                hire,
                term,
                end,
                rng.choice(["Finance", "Engineering", "Sales", "HR"]),
                "Analyst",
                f"E{rng.randint(0, max(rows // 10, 1)):07d}",
            ]
        )
    return out


def config(folder: Path, export: Path) -> Config:
    raw = {
        "store": {"path": str(folder / f"{export.suffix[1:]}.duckdb")},
        "hr": {
            "path": str(export),
            "columns": COLUMNS,
            "status": {
                "active": ["Active"],
                "leave": ["Leave of Absence"],
                "terminated": ["Terminated"],
            },
            "worker_type": {"contractor": ["Contingent Worker"]},
        },
    }
    return parse_config(raw, folder / "scimaudit.toml")


def measure(label: str, folder: Path, export: Path) -> None:
    start = time.perf_counter()
    result = import_hr(config(folder, export))
    seconds = time.perf_counter() - start
    size = export.stat().st_size / 1e6
    print(
        f"{label:<8} {result.rows_read:>8,} rows  {size:6.1f} MB  {seconds:6.2f} s"
        f"  {result.rows_read / seconds:>10,.0f} rows/s  (imported {result.imported:,})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--xlsx-rows", type=int, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-hr-") as tmp:
        folder = Path(tmp)
        data = people(args.rows)

        export = folder / "hr.csv"
        with export.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)
            writer.writerows(data)
        measure("csv", folder, export)

        export = folder / "hr.parquet"
        pq.write_table(pa.table({h: [r[i] for r in data] for i, h in enumerate(HEADER)}), export)
        measure("parquet", folder, export)

        xlsx_rows = args.rows if args.xlsx_rows is None else args.xlsx_rows
        if xlsx_rows:
            book = openpyxl.Workbook(write_only=True)
            sheet = book.create_sheet("Workers")
            sheet.append(HEADER)
            for row in data[:xlsx_rows]:
                sheet.append(row)
            export = folder / "hr.xlsx"
            book.save(export)
            measure("xlsx", folder, export)


if __name__ == "__main__":
    main()
