"""Move spool chunks into the store: raw pages first, then staging SQL, one short transaction each.

Python moves bytes, DuckDB parses: each chunk's responses are appended to ``raw_scim_page`` exactly
as received, then the staging SQL in ``sql/`` unpacks them into ``account``, ``scim_group`` and
``membership`` with DuckDB's JSON functions. Each chunk is its own transaction on a connection
opened for it and closed after, so the store's write lock is held only while a chunk is copied in
(a dashboard can read in between). Rows of a snapshot that is still ``running`` or ended ``failed``
are never used for analysis, so a chunk committed before a pull is judged is harmless.

One loader thread serves every app of a collect run: DuckDB work runs there (it releases the GIL)
while the event loop keeps fetching.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from scimaudit.collect.scim.spool import SpoolChunk, read_chunk
from scimaudit.collect.scim.vendors import Quirks
from scimaudit.store.connect import connect

MAX_PROBLEMS_KEPT = 200
"""Malformed resources listed in the completeness record (the count is always exact)."""


@cache
def sql(name: str) -> str:
    """The text of ``sql/<name>.sql``."""
    return resources.files("scimaudit.collect.scim").joinpath("sql", f"{name}.sql").read_text()


@dataclass
class Problem:
    """One malformed resource: where it was (page seq, index in Resources) and what is wrong."""

    resource_type: str
    seq: int
    index: int
    id: str | None
    problem: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "resource_type": self.resource_type,
            "seq": self.seq,
            "index": self.index,
            "id": self.id,
            "problem": self.problem,
        }


@dataclass
class ChunkResult:
    """What loading one chunk found: malformed resources, by type, with exact counts."""

    problems: list[Problem] = field(default_factory=list)
    problem_counts: dict[str, int] = field(default_factory=dict)


def _stage(
    con: duckdb.DuckDBPyConnection,
    snapshot_id: int,
    app: str,
    chunk: SpoolChunk,
    quirks: Quirks,
    result: ChunkResult,
) -> None:
    span = {"snapshot_id": snapshot_id, "first_seq": chunk.first_seq, "last_seq": chunk.last_seq}
    keys = {"snapshot_id": snapshot_id, "app": app}
    if "User" in chunk.resource_types:
        con.execute(
            sql("stage_user"),
            {
                **span,
                "active_as_string": quirks.active_as_string,
                "activity_path": quirks.activity_json_path,
            },
        )
        con.execute(sql("load_account"), keys)
        _collect_problems(con, "staged_user", "User", result)
    if "Group" in chunk.resource_types:
        con.execute(sql("stage_group"), {**span, "from_list": quirks.group_members == "inline"})
        con.execute(sql("load_membership"), keys)
        con.execute(sql("load_group"), keys)
        _collect_problems(con, "staged_group", "Group", result)


def _collect_problems(
    con: duckdb.DuckDBPyConnection, table: str, resource_type: str, result: ChunkResult
) -> None:
    row = con.execute(f"SELECT count(*) FROM {table} WHERE problem IS NOT NULL").fetchone()
    count = int(row[0]) if row else 0
    if not count:
        return
    result.problem_counts[resource_type] = result.problem_counts.get(resource_type, 0) + count
    room = MAX_PROBLEMS_KEPT - len(result.problems)
    if room <= 0:
        return
    rows = con.execute(
        f"SELECT seq, idx, id, problem FROM {table} WHERE problem IS NOT NULL"
        f" ORDER BY seq, idx LIMIT {room}"
    ).fetchall()
    result.problems.extend(Problem(resource_type, int(s), int(i), d, p) for s, i, d, p in rows)


class StoreSession:
    """The loader thread's connection: opened when work arrives, closed when the queue runs dry.

    Opening and closing the store for every chunk made each close checkpoint (and each open
    reload) the tables' indexes: at 1M users the loads slowed down chunk after chunk. So the
    connection stays open while chunks are waiting and is closed as soon as none is, which keeps
    the promise that the write lock is held only while there is loading to do. While it is open,
    DuckDB checkpoints every 256 MB of log (not after every chunk; never would keep every row in
    memory until the end) and its memory is capped, so memory does not grow with the tenant.
    """

    MEMORY_LIMIT = "2GB"

    def __init__(self, store_path: Path, lock_timeout: float) -> None:
        self.store_path = store_path
        self.lock_timeout = lock_timeout
        self._cm: contextlib.AbstractContextManager[duckdb.DuckDBPyConnection] | None = None
        self._con: duckdb.DuckDBPyConnection | None = None

    def connection(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            cm = connect(self.store_path, lock_timeout=self.lock_timeout)
            con = cm.__enter__()
            try:
                con.execute(f"SET memory_limit = '{self.MEMORY_LIMIT}'")
                con.execute("SET checkpoint_threshold = '256MB'")
                con.execute("SET preserve_insertion_order = false")
                import os  # EXPERIMENT

                if os.environ.get("SCIM_LOADER_SETS"):
                    con.execute(os.environ["SCIM_LOADER_SETS"])
            except BaseException:
                cm.__exit__(None, None, None)
                raise
            self._cm, self._con = cm, con
        return self._con

    def release(self) -> None:
        """Close the connection (checkpointing what was committed) and free the lock."""
        cm, self._cm, self._con = self._cm, None, None
        if cm is not None:
            cm.__exit__(None, None, None)


def load_chunk(
    session: StoreSession,
    *,
    snapshot_id: int,
    app: str,
    quirks: Quirks,
    chunk: SpoolChunk,
) -> ChunkResult:
    """Append one chunk's raw pages and staged rows in one transaction; delete the chunk file."""
    table = read_chunk(chunk)
    result = ChunkResult()
    con = session.connection()
    con.execute("BEGIN TRANSACTION")
    try:
        con.register("spool_chunk", table)
        con.execute(sql("raw_insert"), {"snapshot_id": snapshot_id})
        con.unregister("spool_chunk")
        _stage(con, snapshot_id, app, chunk, quirks, result)
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        session.release()
        raise
    del table
    chunk.path.unlink(missing_ok=True)
    return result


def loaded_counts(con: duckdb.DuckDBPyConnection, snapshot_id: int) -> dict[str, int]:
    """Rows the staging produced for a snapshot: users, groups, memberships."""
    out = {}
    for key, table in (
        ("users", "account"),
        ("groups", "scim_group"),
        ("memberships", "membership"),
    ):
        row = con.execute(
            f"SELECT count(*) FROM {table} WHERE snapshot_id = ?", [snapshot_id]
        ).fetchone()
        out[key] = int(row[0]) if row else 0
    return out


def page_hashes(
    con: duckdb.DuckDBPyConnection, snapshot_id: int
) -> tuple[str | None, dict[str, str], dict[str, int]]:
    """The snapshot hash, a hash per resource type, and the number of pages per type.

    A hash is SHA-256 over the pages' ``body_sha256`` values (hex, one per line, in ``seq`` order):
    it commits to every byte received, in order, and can be re-checked from ``raw_scim_page`` alone
    (recompute each page's SHA-256, then this list hash) without concatenating gigabytes.
    """
    rows = con.execute(
        "SELECT resource_type, body_sha256 FROM raw_scim_page WHERE snapshot_id = ? ORDER BY seq",
        [snapshot_id],
    ).fetchall()
    if not rows:
        return None, {}, {}
    whole = hashlib.sha256()
    per_type: dict[str, Any] = {}
    pages: dict[str, int] = {}
    for rtype, digest in rows:
        line = (digest + "\n").encode()
        whole.update(line)
        per_type.setdefault(rtype, hashlib.sha256()).update(line)
        pages[rtype] = pages.get(rtype, 0) + 1
    return whole.hexdigest(), {k: h.hexdigest() for k, h in per_type.items()}, pages
