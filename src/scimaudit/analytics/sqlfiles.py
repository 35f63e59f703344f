"""The analysis SQL files: loaded from the package, run with only the parameters each one names.

Every query lives in ``analytics/sql/<stage>/<name>.sql``, one query per file, its grain in the
first comment. Values reach SQL only as DuckDB prepared parameters (``$as_of``) or through the
temporary ``cfg_*`` tables the runner fills; nothing a user typed is formatted into SQL text.
DuckDB refuses a parameter the statement does not use, so each file gets exactly the ones it names.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

import duckdb

_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


@cache
def sql_text(name: str) -> str:
    """The text of ``sql/<name>.sql`` (``name`` like ``findings/orphaned_account``)."""
    return resources.files("scimaudit.analytics").joinpath("sql", f"{name}.sql").read_text("utf-8")


def sql_names(stage: str) -> list[str]:
    """The ``<stage>/<name>`` of every query file in one stage folder, sorted."""
    folder = resources.files("scimaudit.analytics").joinpath("sql", stage)
    return sorted(
        f"{stage}/{entry.name[:-4]}" for entry in folder.iterdir() if entry.name.endswith(".sql")
    )


def params_used(sql: str) -> set[str]:
    """The ``$name`` parameters a statement refers to (comments stripped first)."""
    code = "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
    return set(_PARAM.findall(code))


def bind(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """Exactly the parameters ``sql`` uses; a missing one is a bug in the caller."""
    wanted = params_used(sql)
    missing = wanted - params.keys()
    if missing:
        raise KeyError(f"SQL needs parameters not provided: {', '.join(sorted(missing))}")
    return {k: params[k] for k in wanted}


def _ident(name: str) -> str:
    if not _IDENT.match(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return name


def create_temp(
    con: duckdb.DuckDBPyConnection, table: str, name: str, params: dict[str, Any]
) -> None:
    """``CREATE OR REPLACE TEMP TABLE <table> AS <query of sql/name.sql>``."""
    sql = sql_text(name)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_ident(table)} AS\n{sql}", bind(sql, params))


def insert_into(
    con: duckdb.DuckDBPyConnection, table: str, name: str, params: dict[str, Any]
) -> None:
    """``INSERT INTO <table> BY NAME <query of sql/name.sql>`` (columns matched by name)."""
    sql = sql_text(name)
    con.execute(f"INSERT INTO {_ident(table)} BY NAME\n{sql}", bind(sql, params))


def execute(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]) -> None:
    """Run ``sql/name.sql`` as it is (a DML statement such as MERGE or UPDATE)."""
    sql = sql_text(name)
    con.execute(sql, bind(sql, params))


def explain(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]) -> str:
    """DuckDB's physical plan of ``sql/name.sql`` as JSON text (for the no-nested-loop check)."""
    sql = sql_text(name)
    row = con.execute(f"EXPLAIN (FORMAT JSON) {sql}", bind(sql, params)).fetchone()
    assert row is not None
    return str(row[1])
