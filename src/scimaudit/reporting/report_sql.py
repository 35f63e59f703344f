"""The packs' SQL: ``reporting/sql/<name>.sql``, one query per file (grain stated in each file).

Loaded and bound by the one rule in :mod:`scimaudit.sqlfiles`; this module only names the folder
and installs the session macros the queries share.
"""

from __future__ import annotations

from typing import Any

import duckdb

from scimaudit.sqlfiles import SqlFolder

REPORT_SQL = SqlFolder("scimaudit.reporting")


def sql_text(name: str) -> str:
    """The text of ``sql/<name>.sql``."""
    return REPORT_SQL.text(name)


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create the session macros (``csv_safe``, ``severity_rank``) the report queries use."""
    con.execute(sql_text("macros"))


def run_sql(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]
) -> duckdb.DuckDBPyConnection:
    """Execute ``sql/<name>.sql`` with the named parameters it uses (``$name``)."""
    return REPORT_SQL.run(con, name, params)


def fetch_dicts(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]
) -> list[dict[str, Any]]:
    """Rows of ``sql/<name>.sql`` as dicts keyed by column name."""
    return REPORT_SQL.rows(con, name, params)
