"""The one way SQL reaches DuckDB: ``.sql`` files in the package that owns them, one binding rule.

Each stage keeps its queries beside its code (``analytics/sql/``, ``collect/scim/sql/``,
``reporting/sql/``, ``remediation/sql/``, ``review/sql/``), one statement per file with its grain
in the first comment, and names its folder once as a :class:`SqlFolder`. Every statement is then
run through :func:`bind`: values travel only as DuckDB prepared parameters (``$as_of``), each file
gets exactly the parameters it names (DuckDB refuses one the statement does not use), and a
parameter the file names but the caller did not give is a bug, raised before DuckDB sees the text.
Nothing a user typed is ever formatted into SQL text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import duckdb

_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")
_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")
"""String literals and quoted identifiers: a ``$`` inside (``'$.x'``, ``"$ref"``) is text."""


def params_used(sql: str) -> set[str]:
    """The ``$name`` parameters a statement refers to (comments and quoted text stripped first)."""
    code = "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
    return set(_PARAM.findall(_QUOTED.sub("''", code)))


def bind(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """Exactly the parameters ``sql`` uses; a missing one is a bug in the caller (``KeyError``)."""
    wanted = params_used(sql)
    missing = wanted - params.keys()
    if missing:
        raise KeyError(f"SQL needs parameters not provided: {', '.join(sorted(missing))}")
    return {k: params[k] for k in wanted}


@cache
def _read(package: str, folder: str, name: str) -> str:
    return resources.files(package).joinpath(folder, f"{name}.sql").read_text("utf-8")


@dataclass(frozen=True)
class SqlFolder:
    """The ``.sql`` files of one package's ``sql/`` folder, read once per process from the wheel."""

    package: str
    folder: str = "sql"

    def text(self, name: str) -> str:
        """The text of ``<folder>/<name>.sql`` (``name`` may hold a sub-folder: ``findings/x``)."""
        return _read(self.package, self.folder, name)

    def names(self, stage: str) -> list[str]:
        """``<stage>/<name>`` of every query file in one sub-folder, sorted."""
        root = resources.files(self.package).joinpath(self.folder, stage)
        return sorted(f"{stage}/{e.name[:-4]}" for e in root.iterdir() if e.name.endswith(".sql"))

    def files(self) -> Iterator[tuple[str, Traversable]]:
        """Every ``.sql`` file as (path relative to the folder, file), sorted: what packs attach."""
        yield from sorted(_walk(resources.files(self.package).joinpath(self.folder), ""))

    def run(
        self, con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]
    ) -> duckdb.DuckDBPyConnection:
        """Execute ``<name>.sql`` with the parameters it names, taken from ``params``."""
        sql = self.text(name)
        return con.execute(sql, bind(sql, params))

    def rows(
        self, con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Rows of ``<name>.sql`` as dicts keyed by column name."""
        cur = self.run(con, name, params)
        cols = [d[0] for d in cur.description or []]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def _walk(folder: Traversable, prefix: str) -> Iterator[tuple[str, Traversable]]:
    for entry in folder.iterdir():
        if entry.is_dir():
            yield from _walk(entry, f"{prefix}{entry.name}/")
        elif entry.name.endswith(".sql"):
            yield f"{prefix}{entry.name}", entry
