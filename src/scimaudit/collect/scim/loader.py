"""Load page-archive files into the store: page rows, then staging SQL, one short transaction each.

Python moves bytes, DuckDB parses: for each archive file (a run of responses, see
:mod:`~scimaudit.collect.scim.page_archive`), one row per response goes to ``raw_scim_page``, then
the staging SQL in ``sql/`` reads the bodies straight from the file and unpacks them into
``account``, ``scim_group`` and ``membership`` with DuckDB's JSON functions. A file whose load
fails is deleted (its rows were rolled back), so every archive file is referenced by the store.
Each chunk is its own transaction, and the store is open only while chunks are waiting
(:class:`~scimaudit.collect.scim.store_session.StoreSession`), so a dashboard can read in between.
Rows of a snapshot that is still ``running`` or ended ``failed`` are never used for analysis, so a
chunk committed before a pull is judged is harmless.

Two loader threads serve every app of a collect run: DuckDB work runs there (it releases the GIL,
and one chunk's SQL runs on one core) while the event loop keeps fetching; chunks of one pull
commit in order (:class:`CommitTurn`).
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from dataclasses import dataclass, field
from typing import Any

import duckdb

from scimaudit.collect.scim.page_archive import ArchiveChunk
from scimaudit.collect.scim.store_session import StoreSession
from scimaudit.collect.scim.user_shape import user_shape
from scimaudit.collect.scim.vendors import Quirks
from scimaudit.sqlfiles import SqlFolder, bind

MAX_PROBLEMS_KEPT = 200
"""Malformed resources listed in the completeness record (the count is always exact)."""


SCIM_SQL = SqlFolder("scimaudit.collect.scim")
"""The ``.sql`` files of this stage (:mod:`scimaudit.sqlfiles`: one loader, one binding rule)."""


@dataclass
class Problem:
    """One malformed resource: where it was (page seq, index in Resources) and what is wrong."""

    resource_type: str
    seq: int
    index: int
    id: str | None
    problem: str

    def as_dict(self) -> dict[str, Any]:
        """The problem as listed in the completeness record's ``malformed_resources``."""
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
    chunk: ArchiveChunk,
    quirks: Quirks,
    result: ChunkResult,
) -> None:
    """Unpack the chunk's pages into the staging tables and load accounts, groups, memberships.

    Users go through the app's shape (:mod:`~scimaudit.collect.scim.user_shape`); groups read
    members inline or from per-group reads. Malformed resources are noted in ``result``.
    """
    span = {"archive_path": str(chunk.path)}
    keys = {"snapshot_id": snapshot_id, "app": app}
    if "User" in chunk.resource_types:
        shape = user_shape(quirks.activity_attribute, app)
        # the app's activity attribute is spliced in as quoted identifiers only (user_shape.py)
        stage_user = SCIM_SQL.text("stage_user").replace("/*activity*/", shape.activity_sql)
        params = {
            **span,
            "user_shape": shape.spec,
            "active_as_string": quirks.active_as_string,
            "activity_rest": shape.activity_rest,
        }
        con.execute(stage_user, bind(stage_user, params))
        SCIM_SQL.run(con, "load_account", keys)
        _collect_problems(con, "staged_user", "User", result)
    if "Group" in chunk.resource_types:
        SCIM_SQL.run(con, "stage_group", {**span, "from_list": quirks.group_members == "inline"})
        SCIM_SQL.run(con, "load_membership", keys)
        SCIM_SQL.run(con, "load_group", keys)
        _collect_problems(con, "staged_group", "Group", result)


def _collect_problems(
    con: duckdb.DuckDBPyConnection, table: str, resource_type: str, result: ChunkResult
) -> None:
    """Count the staged rows marked malformed and keep the first ones (``MAX_PROBLEMS_KEPT``)."""
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


@dataclass(frozen=True)
class CommitTurn:
    """Chunks of one pull commit in the order they were received.

    Two loader threads stage chunks in parallel, but chunk *k* commits only after chunk *k-1* has
    (``after``), so that the first copy of a repeated group id wins, as in a serial load. When a
    later copy of a group is staged while the earlier one is still uncommitted, DuckDB refuses the
    later commit (the group key); that chunk is rolled back and loaded again, now seeing the
    earlier copy, which ``INSERT OR IGNORE`` keeps. (Accounts have no key: their repeats are
    removed by position at the end of the pull, :func:`remove_repeated_accounts`.)
    """

    after: threading.Event | None
    done: threading.Event


def load_chunk(
    session: StoreSession,
    *,
    snapshot_id: int,
    app: str,
    quirks: Quirks,
    chunk: ArchiveChunk,
    turn: CommitTurn | None = None,
) -> ChunkResult:
    """Add one archive file's page rows and staged rows in one transaction.

    Whatever happens, the turn is passed on (``turn.done``), so a failed chunk never leaves the
    later chunks of its pull waiting; the failure itself reaches the completeness record, and the
    file, now referenced by nothing, is deleted.
    """
    try:
        with session.cursor() as con:
            result = load_pages(
                con, snapshot_id=snapshot_id, app=app, quirks=quirks, chunk=chunk, turn=turn
            )
    except BaseException:
        chunk.path.unlink(missing_ok=True)
        raise
    finally:
        if turn is not None:
            turn.done.set()
    return result


def load_pages(
    con: duckdb.DuckDBPyConnection,
    *,
    snapshot_id: int,
    app: str,
    quirks: Quirks,
    chunk: ArchiveChunk,
    turn: CommitTurn | None = None,
) -> ChunkResult:
    """Load one archive file on ``con`` (the work of :func:`load_chunk`, without its threading).

    Also how test fixtures and benchmarks land pages: through the same SQL as a real pull.
    """
    try:
        return _load_once(con, snapshot_id, app, quirks, chunk, turn)
    except (duckdb.ConstraintException, duckdb.TransactionException):
        # A repeated group id met its earlier copy, committed while we staged (the group key).
        # Every earlier chunk has committed now (the turn), so a second try skips it, keeping
        # the earliest copy, as a serial load does.
        return _load_once(con, snapshot_id, app, quirks, chunk, turn)


def _load_once(
    con: duckdb.DuckDBPyConnection,
    snapshot_id: int,
    app: str,
    quirks: Quirks,
    chunk: ArchiveChunk,
    turn: CommitTurn | None,
) -> ChunkResult:
    """One try at the chunk's transaction; it commits only after the previous chunk (``turn``).

    Waiting for the turn before COMMIT, not before staging, lets two chunks stage in parallel while
    keeping the first copy of a repeated group.
    """
    result = ChunkResult()
    con.execute("BEGIN TRANSACTION")
    try:
        SCIM_SQL.run(
            con,
            "raw_insert",
            {
                "snapshot_id": snapshot_id,
                "archive_path": str(chunk.path),
                "archive_file": chunk.relative,
            },
        )
        _stage(con, snapshot_id, app, chunk, quirks, result)
        if turn is not None and turn.after is not None:
            turn.after.wait()
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        raise
    return result


def remove_repeated_accounts(con: duckdb.DuckDBPyConnection, snapshot_id: int) -> None:
    """Keep the first copy of every account id of a snapshot (see ``dedupe_accounts.sql``)."""
    SCIM_SQL.run(con, "dedupe_accounts", {"snapshot_id": snapshot_id})


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
    it commits to every byte received, in order, and can be re-checked from the page archive
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
