"""The analysis's SQL steps: each ``analytics/sql/<stage>/<name>.sql`` run as a table-building step.

The files are loaded and bound by the one rule in :mod:`scimaudit.sqlfiles` (values only as
prepared parameters, each file gets exactly the ones it names). What this module adds is the shape
of an analysis step: fill a temporary table, append to a stored table by column name, run a DML
statement as it is, or show DuckDB's plan (for the no-nested-loop check). Beyond ``$`` parameters,
the runner hands configuration to SQL only through the temporary ``cfg_*`` tables it fills.
"""

from __future__ import annotations

import re
from typing import Any

import duckdb

from scimaudit.sqlfiles import SqlFolder, bind

ANALYTICS_SQL = SqlFolder("scimaudit.analytics")
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


def sql_text(name: str) -> str:
    """The text of ``sql/<name>.sql`` (``name`` like ``findings/orphaned_account``)."""
    return ANALYTICS_SQL.text(name)


def sql_names(stage: str) -> list[str]:
    """The ``<stage>/<name>`` of every query file in one stage folder, sorted."""
    return ANALYTICS_SQL.names(stage)


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
    ANALYTICS_SQL.run(con, name, params)


def explain(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]) -> str:
    """DuckDB's physical plan of ``sql/name.sql`` as JSON text (for the no-nested-loop check)."""
    sql = sql_text(name)
    row = con.execute(f"EXPLAIN (FORMAT JSON) {sql}", bind(sql, params)).fetchone()
    assert row is not None
    return str(row[1])
