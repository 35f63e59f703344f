"""Chunk loading: two loader threads, commits in arrival order, the first copy of an id wins."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest

from faults.harness import TOKEN_ENV, app_table, collect, make_config, query
from faults.mock_scim import GROUP, USER, MockScim, make_users
from scimaudit.collect.scim import loader
from scimaudit.collect.scim.loader import CommitTurn, load_chunk, load_pages
from scimaudit.collect.scim.page_archive import ArchiveChunk, PageWriter
from scimaudit.collect.scim.store_session import StoreSession
from scimaudit.collect.scim.vendors import Quirks
from scimaudit.scim.fetch import Fetched
from scimaudit.scim.head import read_head
from scimaudit.store import snapshots
from scimaudit.store.connect import connect


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, "test-token")


def user(i: int, display: str | None = None) -> dict[str, Any]:
    return {
        "schemas": [USER],
        "id": f"id-{i}",
        "userName": f"user{i}",
        "displayName": display or f"User {i}",
        "active": True,
    }


def list_page(resources: list[dict[str, Any]]) -> bytes:
    return orjson.dumps({"totalResults": 4, "Resources": resources})


def one_page_chunk(writer: PageWriter, content: bytes, resource_type: str = "User") -> ArchiveChunk:
    fetched = Fetched(
        url=f"http://127.0.0.1/scim/v2/{resource_type}s",
        params={"startIndex": "1"},
        status=200,
        content=content,
        head=read_head(content),
        received_at=datetime.now(UTC),
        elapsed_ms=1.0,
        attempt=1,
    )
    writer.add(resource_type, fetched)
    chunk = writer.flush()
    assert chunk is not None
    return chunk


def group(i: int, members: list[str]) -> dict[str, Any]:
    return {
        "schemas": [GROUP],
        "id": f"g-{i}",
        "displayName": f"Group {i}",
        "members": [{"value": m, "type": "User"} for m in members],
    }


class Reached(threading.Event):
    """An event that also tells when someone starts waiting on it."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = threading.Event()

    def wait(self, timeout: float | None = None) -> bool:
        self.waiting.set()
        return super().wait(timeout)


def test_later_copy_staged_first_loses_to_the_earlier_chunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunk 2 repeats group g-1 (changed) and is staged while chunk 1 is still uncommitted.

    Its commit must wait for chunk 1, then collide with chunk 1's g-1 (DuckDB refuses the
    duplicate key), roll back and load again, keeping chunk 1's copy and its members: the same
    rows as a serial load, whatever the timing.
    """
    store = tmp_path / "store.duckdb"
    with connect(store) as con:
        snapshot_id = snapshots.begin(con, "app", "a", location="http://127.0.0.1/scim/v2")
    writer = PageWriter(store, snapshot_id)
    first = one_page_chunk(writer, list_page([group(0, ["a"]), group(1, ["a", "b"])]), "Group")
    second = one_page_chunk(
        writer, list_page([group(1, ["z"]), group(2, ["c"]), group(3, ["d"])]), "Group"
    )
    session = StoreSession(store, lock_timeout=10)
    quirks = Quirks("index", 100, "inline", False, None)
    turn_1 = CommitTurn(after=None, done=Reached())
    turn_2 = CommitTurn(after=turn_1.done, done=threading.Event())
    errors: list[BaseException] = []
    attempts: list[int] = []
    real_load_once = loader._load_once

    def counting_load_once(*args: Any) -> Any:
        attempts.append(args[4].first_seq)
        return real_load_once(*args)

    monkeypatch.setattr(loader, "_load_once", counting_load_once)

    def load_second() -> None:
        try:
            load_chunk(
                session, snapshot_id=snapshot_id, app="a", quirks=quirks, chunk=second, turn=turn_2
            )
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    worker = threading.Thread(target=load_second)
    worker.start()
    assert isinstance(turn_1.done, Reached)
    assert turn_1.done.waiting.wait(30), "chunk 2 never reached its commit turn"
    load_chunk(session, snapshot_id=snapshot_id, app="a", quirks=quirks, chunk=first, turn=turn_1)
    worker.join(30)
    session.release()
    assert errors == []
    assert sorted(attempts) == [1, 2, 2]  # chunk 2 collided at commit and was loaded again
    with connect(store) as con:
        rows = con.execute(
            "SELECT group_id, member_count FROM scim_group WHERE snapshot_id = ? ORDER BY 1",
            [snapshot_id],
        ).fetchall()
        members = con.execute(
            "SELECT account_id FROM membership WHERE snapshot_id = ? AND group_id = 'g-1'"
            " ORDER BY 1",
            [snapshot_id],
        ).fetchall()
        pages = con.execute(
            "SELECT seq FROM raw_scim_page WHERE snapshot_id = ? ORDER BY seq", [snapshot_id]
        ).fetchall()
    assert rows == [("g-0", 1), ("g-1", 2), ("g-2", 1), ("g-3", 1)]
    assert members == [("a",), ("b",)]  # chunk 1's copy of g-1, not chunk 2's
    assert pages == [(1,), (2,)]  # both pages landed once, the retried chunk included


def test_many_small_chunks_load_in_parallel_and_reconcile(tmp_path: Path) -> None:
    """Every page its own chunk (so both loader threads work), repeats across pages included."""
    users = [user(i) for i in range(30)]
    server = MockScim(users)
    real_page = server.page

    def with_repeat(items: list[dict[str, Any]], params: dict[str, str]) -> dict[str, Any]:
        body = real_page(items, params)
        if params.get("startIndex") == "16" and items is server.users:
            body["Resources"][0] = user(3, "CHANGED LATER")  # id-3 again, id-15 missing
        return body

    server.page = with_repeat  # type: ignore[method-assign]
    config = make_config(tmp_path, app_table("a", page_size=5))
    [result] = collect(config, {"a": server}, chunk_bytes=1)
    record = result.completeness["resources"]["User"]
    assert record["duplicates_dropped"] == 1
    assert result.status == "failed"  # 29 unique of 30: the listing shifted, so it is re-pulled
    assert query(
        config,
        "SELECT display_name FROM account WHERE snapshot_id = ? AND account_id = 'id-3'",
        [result.attempts[0]],
    ) == [("User 3",)]
    loaded = query(
        config, "SELECT count(*) FROM account WHERE snapshot_id = ?", [result.attempts[0]]
    )
    assert loaded == [(29,)]


def test_a_failed_chunk_passes_its_turn_on(tmp_path: Path) -> None:
    """Chunk 1's archive file is gone; chunk 2 (waiting on chunk 1's commit) loads, no hang."""
    store = tmp_path / "store.duckdb"
    with connect(store) as con:
        snapshot_id = snapshots.begin(con, "app", "a", location="http://127.0.0.1/scim/v2")
    writer = PageWriter(store, snapshot_id)
    first = one_page_chunk(writer, list_page([user(0)]))
    second = one_page_chunk(writer, list_page([user(1)]))
    first.path.unlink()
    session = StoreSession(store, lock_timeout=10)
    quirks = Quirks("index", 100, "inline", False, None)
    turn_1 = CommitTurn(after=None, done=threading.Event())
    turn_2 = CommitTurn(after=turn_1.done, done=threading.Event())
    with pytest.raises(duckdb.IOException):
        load_chunk(
            session, snapshot_id=snapshot_id, app="a", quirks=quirks, chunk=first, turn=turn_1
        )
    assert turn_1.done.is_set()
    load_chunk(session, snapshot_id=snapshot_id, app="a", quirks=quirks, chunk=second, turn=turn_2)
    session.release()
    with connect(store) as con:
        rows = con.execute("SELECT account_id FROM account WHERE snapshot_id = ?", [snapshot_id])
        assert rows.fetchall() == [("id-1",)]


def test_a_loader_out_of_memory_fails_the_snapshot_with_advice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB's memory cap reached while parsing pages: a failed snapshot and a message the user
    can act on (not DuckDB's tuning advice); the earlier complete snapshot stays current."""
    server = MockScim(make_users(300))
    config = make_config(tmp_path, app_table("a", page_size=100))
    [good] = collect(config, {"a": server})
    assert good.status == "complete", good.error
    monkeypatch.setattr(StoreSession, "MEMORY_LIMIT", "4MB")
    [starved] = collect(config, {"a": server})
    assert starved.status == "failed"
    assert "ran out of its 4MB memory cap" in (starved.error or "")
    assert "page_size" in (starved.error or "")
    assert "SET threads" not in (starved.error or "")
    with connect(config.store.path, read_only=True) as con:
        current = snapshots.current(con, "app", "a")
        assert current is not None and current.snapshot_id == good.snapshot_id


def test_repeated_accounts_keep_the_first_copy_whatever_the_commit_order(tmp_path: Path) -> None:
    """Accounts have no key: chunk 2 (repeating id-1, changed) may commit first; at the end of the
    pull the copy received first (lowest page, then position) is the one that stays."""
    store = tmp_path / "store.duckdb"
    with connect(store) as con:
        snapshot_id = snapshots.begin(con, "app", "a", location="http://127.0.0.1/scim/v2")
    writer = PageWriter(store, snapshot_id)
    first = one_page_chunk(writer, list_page([user(0), user(1), user(1, "SAME PAGE LATER")]))
    second = one_page_chunk(writer, list_page([user(1, "CHANGED LATER"), user(2)]))
    quirks = Quirks("index", 100, "inline", False, None)
    with connect(store) as con:
        for chunk in (second, first):
            load_pages(con, snapshot_id=snapshot_id, app="a", quirks=quirks, chunk=chunk)
        assert con.execute("SELECT count(*) FROM account").fetchone() == (5,)
        loader.remove_repeated_accounts(con, snapshot_id)
        rows = con.execute(
            "SELECT account_id, display_name, raw_seq, raw_index FROM account ORDER BY 1"
        ).fetchall()
    assert rows == [("id-0", "User 0", 1, 0), ("id-1", "User 1", 1, 1), ("id-2", "User 2", 2, 1)]
