"""The review workflow store: SQLite in WAL mode beside the DuckDB analytical store.

Why two stores. Review and remediation state is many small writes from many people (hundreds of
managers ticking items in the last days of a quarter), each appended to one hash chain per
campaign. Analytics is a few large reads and writes (`collect`, `analyze`, report packs). DuckDB
serves the second and not the first: one process may hold a file read-write and, while it does, no
other process can open it at all, so a dashboard busy with decisions locks `analyze` out, and
`analyze` blocks every decision for as long as it runs (issue 15: 705 of 980 decisions refused,
`analyze` exit 4). SQLite in WAL mode is built for the first: any number of processes read while
one writes, a write transaction takes milliseconds, and writers queue on the file lock
(``busy_timeout``) instead of failing.

So the state lives here, in ``<store>.review.sqlite`` (same folder, same name stem as the DuckDB
file): campaigns, their items (a snapshot copy of the analysis taken at campaign creation, the
genesis of the chain) and the append-only review log. Within a process, all writes go through one
writer thread that batches them (:mod:`scimaudit.review.writer`), so chain appends never conflict;
across processes (CLI next to the dashboard), SQLite's write lock serialises them.

DuckDB-side readers (evidence, report packs, remediation plans, SQL written against the old
tables) are unchanged: :func:`attach_review_state` registers a read-only copy of the state, taken
when called, as temporary views under the old names (``campaign``, ``campaign_item``,
``review_log``, ``campaign_decision_current``, ...) with the old types. DuckDB's sqlite scanner
would avoid the copy but is not bundled, and extensions cannot be downloaded here.

"Who had access on date D" is unaffected: it is answered from the snapshots in DuckDB; the review
store only says who decided what about it, and when.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from scimaudit.errors import StoreError

SCHEMA_VERSION = 12
"""The newest ``review_schema`` file's number (``user_version`` of an up-to-date file)."""
BUSY_TIMEOUT_MS = 30_000

_TS = "TIMESTAMPTZ"
_RELATIONS: dict[str, list[tuple[str, str]]] = {
    "campaign": [
        ("campaign_id", "BIGINT"),
        ("name", "VARCHAR"),
        ("scope", "JSON"),
        ("run_id", "BIGINT"),
        ("hr_snapshot_id", "BIGINT"),
        ("snapshot_ids", "JSON"),
        ("due", "DATE"),
        ("default_undecided", "VARCHAR"),
        ("created_at", _TS),
        ("created_by", "VARCHAR"),
        ("item_count", "BIGINT"),
        ("items_sha256", "VARCHAR"),
        ("tool_version", "VARCHAR"),
    ],
    "campaign_item": [
        ("campaign_id", "BIGINT"),
        ("item_id", "INTEGER"),
        *[
            (c, "VARCHAR")
            for c in (
                "employee_id",
                "person_name",
                "person_email",
                "person_status",
                "worker_type",
                "title",
                "department",
                "owner_id",
                "app",
                "account_id",
                "user_name",
                "account_type",
                "entitlement",
                "group_id",
            )
        ],
        ("privileged", "BOOLEAN"),
        ("last_sign_in", _TS),
        ("findings", "JSON"),
        ("flagged", "BOOLEAN"),
        ("peer_share", "DOUBLE"),
        ("peer_holders", "INTEGER"),
        ("peer_count", "INTEGER"),
        ("recommendation", "VARCHAR"),
        ("recommendation_reason", "VARCHAR"),
        ("reviewer_id", "VARCHAR"),
        ("reviewer_email", "VARCHAR"),
        ("reviewer_name", "VARCHAR"),
        ("assignment_rule", "VARCHAR"),
    ],
    "review_log": [
        ("campaign_id", "BIGINT"),
        ("seq", "INTEGER"),
        ("kind", "VARCHAR"),
        ("item_id", "INTEGER"),
        *[
            (c, "VARCHAR")
            for c in (
                "decision",
                "reason",
                "reviewer_id",
                "from_reviewer_id",
                "actor",
                "actor_employee_id",
                "actor_role",
                "method",
                "bulk_id",
            )
        ],
        ("recorded_at", _TS),
        ("prev_hash", "VARCHAR"),
        ("record_hash", "VARCHAR"),
    ],
    "campaign_item_reviewer": [
        ("campaign_id", "BIGINT"),
        ("item_id", "INTEGER"),
        ("reviewer_id", "VARCHAR"),
        ("delegated", "BOOLEAN"),
    ],
    "campaign_decision_current": [
        ("campaign_id", "BIGINT"),
        ("item_id", "INTEGER"),
        *[
            (c, "VARCHAR")
            for c in ("decision", "reason", "actor", "actor_employee_id", "method", "bulk_id")
        ],
        ("decided_at", _TS),
        ("seq", "INTEGER"),
    ],
    "campaign_signoff": [
        ("campaign_id", "BIGINT"),
        ("reviewer_id", "VARCHAR"),
        ("signed_at", _TS),
        ("seq", "INTEGER"),
    ],
    "campaign_closed": [
        ("campaign_id", "BIGINT"),
        ("closed_at", _TS),
        ("closed_by", "VARCHAR"),
        ("close_reason", "VARCHAR"),
        ("seq", "INTEGER"),
    ],
}
"""The relations DuckDB readers see, with the DuckDB types they had in migration 003."""


def relation_columns(relation: str) -> tuple[str, ...]:
    """Column names of one review-state relation, in table order: the one list that the item
    builder and the hash chain read, so a column added here cannot be missed there."""
    return tuple(name for name, _ in _RELATIONS[relation])


_ARROW = {
    "BIGINT": pa.int64(),
    "INTEGER": pa.int64(),
    "BOOLEAN": pa.int64(),
    "DOUBLE": pa.float64(),
}


def review_db_path(store_path: str | Path) -> Path:
    """``data/scimaudit.duckdb`` → ``data/scimaudit.review.sqlite``."""
    path = Path(store_path)
    return path.with_name(f"{path.stem}.review.sqlite")


def _migrations() -> list[tuple[int, str]]:
    """The review store's schema files as (number, SQL), in order: ``NNN_name.sql``."""
    folder = resources.files("scimaudit.store.review_schema")
    found = [
        (int(f.name[:3]), f.read_text(encoding="utf-8"))
        for f in folder.iterdir()
        if f.name.endswith(".sql") and f.name[:3].isdigit()
    ]
    return sorted(found)


@contextmanager
def review_db(store_path: str | Path, *, create: bool = True) -> Iterator[sqlite3.Connection]:
    """A connection to the review store (created with its schema on first use), closed after.

    Autocommit mode (``isolation_level=None``): callers open transactions explicitly, writers
    with ``BEGIN IMMEDIATE`` so they queue on SQLite's lock at the start, never mid-transaction.
    """
    path = review_db_path(store_path)
    if not create and not path.exists():
        raise StoreError(f"{path}: no review store yet (start a campaign first)")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = sqlite3.connect(
            str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot open review store: {exc}") from None
    try:
        con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        con.execute("PRAGMA foreign_keys = ON")
        if con.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
            _migrate(con)
        con.execute("PRAGMA synchronous = NORMAL")
        yield con
    finally:
        con.close()


def _migrate(con: sqlite3.Connection) -> None:
    """Apply the schema files newer than the file's ``user_version``, each with its version bump
    in one write transaction. Every statement is ``IF NOT EXISTS``, so two processes opening a
    new file at once both succeed."""
    con.execute("PRAGMA journal_mode = WAL")
    current = con.execute("PRAGMA user_version").fetchone()[0]
    for number, sql in _migrations():
        if number > current:
            con.executescript(f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {number};\nCOMMIT;")


def store_path_of(con: duckdb.DuckDBPyConnection) -> Path:
    """The file behind a DuckDB store connection (to find its review store)."""
    row = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    if row is None or not row[0]:
        raise StoreError("this DuckDB connection has no store file, so no review store")
    return Path(str(row[0]))


def rows_as_dicts(cur: sqlite3.Cursor) -> list[dict[str, Any]]:
    """SQLite rows as dicts keyed by column name (the review store's cursors yield tuples)."""
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


_MINE = (
    "item_id IN (SELECT item_id FROM campaign_item_reviewer"
    " WHERE campaign_id = ? AND reviewer_id = ?)"
)


def _filter(name: str, campaign_id: int | None, reviewer_id: str | None) -> tuple[str, list[Any]]:
    """The WHERE clause that keeps one campaign (and, within it, one reviewer's queue)."""
    if campaign_id is None:
        return "", []
    if reviewer_id is None or name in ("campaign", "campaign_closed"):
        return " WHERE campaign_id = ?", [campaign_id]
    if name == "campaign_signoff":
        return " WHERE campaign_id = ? AND reviewer_id = ?", [campaign_id, reviewer_id]
    if name == "review_log":
        return (
            f" WHERE campaign_id = ? AND ({_MINE} OR reviewer_id = ?)",
            [campaign_id, campaign_id, reviewer_id, reviewer_id],
        )
    return f" WHERE campaign_id = ? AND {_MINE}", [campaign_id, campaign_id, reviewer_id]


def attach_review_state(
    con: duckdb.DuckDBPyConnection,
    store_path: str | Path,
    *,
    campaign_id: int | None = None,
    reviewer_id: str | None = None,
) -> None:
    """Register the review state as temp views on a DuckDB connection: all of it, one campaign's,
    or (with ``reviewer_id``) what one reviewer's queue needs of one campaign.

    A copy taken now: later decisions are not seen by this connection. Without a review store
    yet, the views are empty, so SQL over them still runs.
    """
    path = review_db_path(store_path)
    con.execute("SELECT 1").fetchall()  # DuckDB refuses register() while a result is open
    data: dict[str, list[tuple[Any, ...]]] = {name: [] for name in _RELATIONS}
    if path.exists():
        with review_db(store_path) as sq:
            for name, cols in _RELATIONS.items():
                where, params = _filter(name, campaign_id, reviewer_id)
                sql = f"SELECT {', '.join(c for c, _ in cols)} FROM {name}{where}"
                data[name] = sq.execute(sql, params).fetchall()
    for name, cols in _RELATIONS.items():
        schema = pa.schema([(c, _ARROW.get(t, pa.string())) for c, t in cols])
        columns: list[Any] = (
            list(zip(*data[name], strict=True)) if data[name] else [() for _ in cols]
        )
        table = pa.Table.from_arrays(
            [pa.array(list(v), type=f.type) for v, f in zip(columns, schema, strict=True)],
            schema=schema,
        )
        frame = f"_review_state_{name}"
        con.register(frame, table)
        select = ", ".join(f"CAST({c} AS {t}) AS {c}" for c, t in cols)
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT {select} FROM {frame}"
        ).fetchall()
