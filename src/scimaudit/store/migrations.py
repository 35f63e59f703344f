"""Numbered schema migrations, recorded in ``schema_migrations``.

Each migration is a ``NNN_name.sql`` file in ``store/schema``; they run in order, each in its own
transaction, exactly once. Opening an older store upgrades it; a store whose highest recorded
version is
above what this build knows was written by a newer scimaudit and is refused rather than damaged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import duckdb

from scimaudit.errors import SchemaVersionError

_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    """One ``NNN_name.sql`` file of ``store/schema``: its number, name and SQL."""

    version: int
    name: str
    sql: str


def available() -> list[Migration]:
    """All migrations shipped with this build, in version order."""
    found = []
    for entry in resources.files("scimaudit.store.schema").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    return found


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    """The highest applied migration (0 for a new store); creates the ledger table if missing."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)"
    )
    row = con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
    return int(row[0]) if row else 0


def check_version(con: duckdb.DuckDBPyConnection) -> int:
    """Refuse a store written by a newer scimaudit; works on read-only connections too."""
    newest = max((m.version for m in available()), default=0)
    try:
        row = con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
    except duckdb.CatalogException:
        return 0
    have = int(row[0]) if row else 0
    if have > newest:
        raise SchemaVersionError(
            f"this store has schema version {have}, newer than this scimaudit understands "
            f"({newest}); upgrade scimaudit instead of opening it with an older one"
        )
    return have


def migrate(con: duckdb.DuckDBPyConnection, *, target: int | None = None) -> list[int]:
    """Apply pending migrations up to ``target`` (all by default); return the versions applied.

    Pending means not recorded in ``schema_migrations``, not "above the highest recorded": numbers
    are reserved when work starts and land in any order, so a store made between two landings
    still gets the lower-numbered migration that landed later (each migration is self-contained).
    """
    shipped = available()
    current_version(con)
    check_version(con)
    done = {int(v) for (v,) in con.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for mig in shipped:
        if mig.version in done or (target is not None and mig.version > target):
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(mig.sql)
            con.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                [mig.version, mig.name],
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(mig.version)
    return applied
