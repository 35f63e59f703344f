"""A reproducible sample of the population that a second auditor can re-derive without our code.

Algorithm ``sha256-rank/1``:

1. The seed is the population hash: the lowercase hex SHA-256 of ``population.csv`` as attached.
2. For every row of ``population.csv``, compute ``sha256(seed + "|" + app + "|" + account_id)`` over
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
class SampleFacts:
    method: str
    seed: str
    size: int
    requested: int
    population_rows: int
    rows: list[dict[str, Any]]
    csv_path: Path
    sha256: str


def draw_sample(
    con: duckdb.DuckDBPyConnection, seed: str, n: int, population_rows: int, out_dir: Path
) -> SampleFacts:
    """Draw the sample from ``report_population`` in SQL (same ranks as :func:`rederive`)."""
    select = (
        "SELECT row_number() OVER (ORDER BY rank_hash) AS rank, * FROM ("
        f" SELECT sha256('{seed}' || '|' || app || '|' || account_id) AS rank_hash,"
        f" {', '.join(POPULATION_COLUMNS)} FROM report_population"
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
    )


def rederive(population_csv: Path, n: int) -> list[tuple[str, str]]:
    """Re-derive the sample from the attachment alone: ``[(app, account_id), …]``, rank order."""
    seed = sha256_file(population_csv)
    with population_csv.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))

    def rank(row: dict[str, str]) -> str:
        key = f"{seed}|{row['app']}|{row['account_id']}"
        return hashlib.sha256(key.encode()).hexdigest()

    return [(r["app"], r["account_id"]) for r in sorted(rows, key=rank)[:n]]
