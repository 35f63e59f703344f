"""The report's SQL, one query per ``.sql`` file beside this module (grain stated in each file)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

SQL_DIR = Path(__file__).resolve().parent / "sql"


@cache
def sql_text(name: str) -> str:
    """The text of ``sql/<name>.sql``."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create the session macros (``csv_safe``, ``severity_rank``) the report queries use."""
    con.execute(sql_text("macros"))


def run_sql(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]
) -> duckdb.DuckDBPyConnection:
    """Execute ``sql/<name>.sql`` with the named parameters it uses (``$name``)."""
    text = sql_text(name)
    used = {k: v for k, v in params.items() if re.search(rf"\${k}\b", text)}
    return con.execute(text, used)


def fetch_dicts(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]
) -> list[dict[str, Any]]:
    """Rows of ``sql/<name>.sql`` as dicts keyed by column name."""
    cur = run_sql(con, name, params)
    cols = [d[0] for d in cur.description or []]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
