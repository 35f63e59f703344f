"""The tested population: every in-scope account of the run, its CSV attachment, hash and summaries.

The population is materialised once per report as a temporary table (``report_population``), written
to ``population.csv`` sorted by ``(app, account_id)`` by DuckDB's own CSV writer (2M rows in about a
second), and hashed. That SHA-256 is *the* population hash: it is printed in every page footer,
seeds the sample, and is recomputed by ``scimaudit verify`` from the store.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from scimaudit.reporting.report_sql import fetch_dicts, run_sql
from scimaudit.reporting.scope import Scope

POPULATION_COLUMNS = (
    "app",
    "account_id",
    "user_name",
    "active",
    "account_type",
    "privileged",
    "privileged_groups",
    "employee_id",
    "person_status",
    "person_worker_type",
    "link_rule",
    "link_confidence",
    "snapshot_id",
)
SORT_KEY = ("app", "account_id")
ACCOUNT_TYPES = ("human", "service", "unmatched")


@dataclass(frozen=True)
class TypeCounts:
    """Accounts of one app and type, by status; ``privileged`` counts the privileged among them."""

    app: str
    account_type: str
    active: int
    inactive: int
    privileged: int

    @property
    def total(self) -> int:
        return self.active + self.inactive


@dataclass(frozen=True)
class AppMatch:
    """Correlation outcome of one app: how many accounts were tied to a person."""

    app: str
    accounts: int
    human: int
    service: int
    unmatched: int
    ambiguous: int

    @property
    def match_rate(self) -> float:
        """Humans linked / accounts that should belong to a person (all but declared services)."""
        base = self.accounts - self.service
        return 1.0 if base == 0 else self.human / base


@dataclass(frozen=True)
class PopulationFacts:
    rows: int
    sha256: str
    csv_path: Path
    by_type: list[TypeCounts]
    by_app: list[AppMatch]
    by_rule: list[dict[str, Any]]

    @property
    def active(self) -> int:
        return sum(t.active for t in self.by_type)

    @property
    def privileged(self) -> int:
        return sum(t.privileged for t in self.by_type)

    def type_total(self, account_type: str) -> int:
        return sum(t.total for t in self.by_type if t.account_type == account_type)

    @property
    def unmatched(self) -> int:
        return self.type_total("unmatched")

    @property
    def match_rate(self) -> float:
        base = sum(a.accounts - a.service for a in self.by_app)
        return 1.0 if base == 0 else sum(a.human for a in self.by_app) / base


def sha256_file(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def copy_csv(con: duckdb.DuckDBPyConnection, select: str, path: Path) -> None:
    """Write a query's rows to ``path`` with DuckDB's CSV writer (header, RFC 4180 quoting)."""
    con.execute(f"COPY ({select}) TO '{_sql_path(path)}' (FORMAT csv, HEADER, DELIMITER ',')")


def build_population(
    con: duckdb.DuckDBPyConnection, scope: Scope, out_dir: Path
) -> PopulationFacts:
    """Materialise ``report_population``, write ``population.csv`` and summarise it."""
    params = {
        "run_id": scope.run.run_id,
        "hr_snapshot_id": scope.run.hr_snapshot_id,
        "apps": list(scope.apps),
    }
    run_sql(con, "population", params)
    path = out_dir / "population.csv"
    copy_csv(
        con,
        f"SELECT {', '.join(POPULATION_COLUMNS)} FROM report_population ORDER BY app, account_id",
        path,
    )
    row = con.execute("SELECT count(*) FROM report_population").fetchone()
    rows = int(row[0]) if row else 0
    merged: dict[tuple[str, str], list[int]] = {}
    for r in fetch_dicts(con, "population_summary", {}):
        slot = merged.setdefault((r["app"], r["account_type"]), [0, 0, 0])
        slot[0 if r["active"] else 1] += int(r["accounts"])
        if r["privileged"]:
            slot[2] += int(r["accounts"])
    by_type = [TypeCounts(app, kind, a, i, p) for (app, kind), (a, i, p) in sorted(merged.items())]
    by_rule = fetch_dicts(con, "correlation_summary", params)
    by_app = []
    for app in scope.apps:
        counts = {t.account_type: t.total for t in by_type if t.app == app}
        by_app.append(
            AppMatch(
                app=app,
                accounts=sum(counts.values()),
                human=counts.get("human", 0),
                service=counts.get("service", 0),
                unmatched=counts.get("unmatched", 0),
                ambiguous=sum(int(r["ambiguous"]) for r in by_rule if r["app"] == app),
            )
        )
    return PopulationFacts(
        rows=rows,
        sha256=sha256_file(path),
        csv_path=path,
        by_type=by_type,
        by_app=by_app,
        by_rule=by_rule,
    )
