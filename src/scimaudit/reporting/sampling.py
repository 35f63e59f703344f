"""A reproducible sample of a test's own population that a second auditor can re-derive without
our code.

Algorithm ``sha256-rank/1``, over a *frame*: an attached CSV and the rows of it that make up the
test's population (every pack samples its own: the leavers pack the leavers' accounts in
``leavers.csv``, the privileged pack the privileged rows of ``population.csv``, the others all of
``population.csv``):

1. The seed is the frame file's hash: the lowercase hex SHA-256 of the CSV as attached.
2. For every row of the frame, compute ``sha256(seed + "|" + app + "|" + account_id)`` over
   the UTF-8 bytes of the cell values exactly as they appear in the CSV, as lowercase hex.
3. Sort rows by that hex string ascending and take the first *n* (all rows when fewer).

The rank depends only on the population itself, so nobody can choose the sample (a different
population gives a different seed), nobody can re-roll it, and the result does not depend on row
order. :func:`rederive` is the ten-line reference implementation printed in the report.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from scimaudit.reporting.population import POPULATION_COLUMNS, copy_csv, sha256_file

METHOD = "sha256-rank/1"
SAMPLE_COLUMNS = ("rank", "rank_hash", *POPULATION_COLUMNS)

REFERENCE_CODE = """import csv, hashlib
def sample(path, n):
    seed = hashlib.sha256(open(path, "rb").read()).hexdigest()
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    def rank(r):
        key = f"{seed}|{r['app']}|{r['account_id']}"
        return hashlib.sha256(key.encode()).hexdigest()
    return sorted(rows, key=rank)[:n]"""


@dataclass(frozen=True)
class Frame:
    """The population a pack samples: rows of one attached CSV that satisfy ``condition``."""

    file: str
    condition: str
    """In words, for the page ("" = every row)."""
    python_filter: str
    """The same condition as a Python expression over ``r`` (a ``csv.DictReader`` row)."""
    sql_filter: str
    """The same condition over ``report_population`` (population.csv frames only)."""


WHOLE_POPULATION = Frame("population.csv", "", "", "true")
PRIVILEGED = Frame(
    "population.csv",
    "privileged accounts (column privileged = true)",
    'r["privileged"] == "true"',
    "privileged",
)
LEAVER_ACCOUNTS = Frame(
    "leavers.csv",
    'leavers\' accounts (rows with an account_id; "no account found" rows have none)',
    'r["account_id"]',
    "",
)
FRAMES = {"leavers": LEAVER_ACCOUNTS, "privileged": PRIVILEGED}


def frame_for(kind: str) -> Frame:
    """The pack's own population: leavers and privileged packs sample only their subject."""
    return FRAMES.get(kind, WHOLE_POPULATION)


def reference_code(frame: Frame) -> str:
    """The printed re-derivation code, with the frame's row condition when there is one."""
    if not frame.python_filter:
        return REFERENCE_CODE
    return REFERENCE_CODE.replace(
        "rows = list(csv.DictReader(fh))",
        f"rows = [r for r in csv.DictReader(fh) if {frame.python_filter}]",
    )


@dataclass(frozen=True)
class SampleFacts:
    method: str
    seed: str
    size: int
    requested: int
    population_rows: int
    """Rows in the frame (the test's own population)."""
    rows: list[dict[str, Any]]
    csv_path: Path
    sha256: str
    frame: Frame = WHOLE_POPULATION
    code: str = REFERENCE_CODE


def draw_sample(
    con: duckdb.DuckDBPyConnection,
    seed: str,
    n: int,
    population_rows: int,
    out_dir: Path,
    frame: Frame = WHOLE_POPULATION,
) -> SampleFacts:
    """Draw the sample from ``report_population`` in SQL (same ranks as :func:`rederive`)."""
    where = f" WHERE {frame.sql_filter}"
    if frame is not WHOLE_POPULATION:
        row = con.execute(f"SELECT count(*) FROM report_population{where}").fetchone()
        population_rows = int(row[0]) if row else 0
    select = (
        "SELECT row_number() OVER (ORDER BY rank_hash) AS rank, * FROM ("
        f" SELECT sha256('{seed}' || '|' || app || '|' || account_id) AS rank_hash,"
        f" {', '.join(POPULATION_COLUMNS)} FROM report_population{where}"
        f" ORDER BY rank_hash LIMIT {int(n)}) ORDER BY rank"
    )
    path = out_dir / "sample.csv"
    copy_csv(con, select, path)
    cur = con.execute(select)
    cols = [d[0] for d in cur.description or []]
    rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    return SampleFacts(
        method=METHOD,
        seed=seed,
        size=len(rows),
        requested=n,
        population_rows=population_rows,
        rows=rows,
        csv_path=path,
        sha256=sha256_file(path),
        frame=frame,
        code=reference_code(frame),
    )


def sample_file(frame_csv: Path, frame: Frame, n: int, out_dir: Path) -> SampleFacts:
    """Draw the sample from a small attached CSV (leavers.csv) exactly as :func:`rederive` does."""
    seed = sha256_file(frame_csv)
    with frame_csv.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        columns = list(reader.fieldnames or [])
        rows = [r for r in reader if _keep(r, frame)]
    ranked = sorted(rows, key=lambda r: _rank(seed, r))[:n]  # stable, like rederive
    picked = [{"rank": i, "rank_hash": _rank(seed, r), **r} for i, r in enumerate(ranked, start=1)]
    path = out_dir / "sample.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, ["rank", "rank_hash", *columns], lineterminator="\n")
        writer.writeheader()
        writer.writerows(picked)
    return SampleFacts(
        method=METHOD,
        seed=seed,
        size=len(picked),
        requested=n,
        population_rows=len(rows),
        rows=picked,
        csv_path=path,
        sha256=sha256_file(path),
        frame=frame,
        code=reference_code(frame),
    )


def _keep(row: dict[str, str], frame: Frame) -> bool:
    if frame is LEAVER_ACCOUNTS:
        return bool(row["account_id"])
    if frame is PRIVILEGED:
        return row["privileged"] == "true"
    return True


def _rank(seed: str, row: dict[str, str]) -> str:
    return hashlib.sha256(f"{seed}|{row['app']}|{row['account_id']}".encode()).hexdigest()


def rederive(
    population_csv: Path, n: int, frame: Frame = WHOLE_POPULATION
) -> list[tuple[str, str]]:
    """Re-derive the sample from the attachment alone: ``[(app, account_id), …]``, rank order."""
    seed = sha256_file(population_csv)
    with population_csv.open(newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if _keep(r, frame)]

    def rank(row: dict[str, str]) -> str:
        key = f"{seed}|{row['app']}|{row['account_id']}"
        return hashlib.sha256(key.encode()).hexdigest()

    return [(r["app"], r["account_id"]) for r in sorted(rows, key=rank)[:n]]
