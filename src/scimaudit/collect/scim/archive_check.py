"""Reading the page archive back: check it against the store, read one body, tidy after kills.

The store records, per response, its SHA-256 and the archive file holding it; the snapshot's own
SHA-256 is taken over those per-page hashes in order (:func:`~scimaudit.collect.scim.loader.
page_hashes`). :func:`verify_snapshot_pages` re-reads every body from the archive, hashes it again,
and recomputes the snapshot hash, so an auditor can show that the bytes behind a snapshot are
exactly those received, none missing, none added. Rows landed before the archive existed
(migration 005) carry their body inline and are checked the same way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow.parquet as pq

from scimaudit.collect.scim.loader import page_hashes
from scimaudit.collect.scim.page_archive import PART_SUFFIX, archive_root, snapshot_folder
from scimaudit.config import Config
from scimaudit.errors import StoreError
from scimaudit.store import snapshots
from scimaudit.store.connect import connect

MAX_PROBLEMS_LISTED = 20


@dataclass
class ArchiveCheck:
    """What re-reading one snapshot's pages found."""

    snapshot_id: int
    pages: int = 0
    checked: int = 0
    bytes_read: int = 0
    files: int = 0
    recorded_sha256: str | None = None
    recomputed_sha256: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True only when no problem was found and every recorded page was re-read and matched."""
        return not self.problems and self.checked == self.pages

    def problem(self, text: str) -> None:
        """List a problem; past ``MAX_PROBLEMS_LISTED`` only one marker (keeps the report short)."""
        if len(self.problems) < MAX_PROBLEMS_LISTED:
            self.problems.append(text)
        elif len(self.problems) == MAX_PROBLEMS_LISTED:
            self.problems.append("… further problems not listed")


def _file_bodies(path: Path) -> Iterator[tuple[int, bytes]]:
    """(seq, body) of every response in one archive file, one file in memory at a time."""
    table = pq.read_table(path, columns=["seq", "body"])
    for seq, body in zip(table["seq"].to_pylist(), table["body"].to_pylist(), strict=True):
        yield int(seq), bytes(body)


def verify_snapshot_pages(
    con: duckdb.DuckDBPyConnection, store_path: Path, snapshot_id: int
) -> ArchiveCheck:
    """Re-hash every body of a snapshot and recompute its hash; problems are listed, not raised."""
    snap = snapshots.get(con, snapshot_id)
    check = ArchiveCheck(snapshot_id, recorded_sha256=snap.sha256)
    rows = con.execute(
        "SELECT seq, body_sha256, archive_file FROM raw_scim_page WHERE snapshot_id = ?",
        [snapshot_id],
    ).fetchall()
    check.pages = len(rows)
    expected = {int(seq): digest for seq, digest, _ in rows}
    by_file: dict[str, set[int]] = {}
    for seq, _, archive_file in rows:
        if archive_file is not None:
            by_file.setdefault(archive_file, set()).add(int(seq))
    seen: set[int] = set()

    def compare(seq: int, body: bytes, where: str) -> None:
        """Check one body against its recorded hash; an unknown or repeated seq is a problem."""
        if seq not in expected:
            check.problem(f"{where}: response seq {seq} is not recorded in the store")
            return
        if seq in seen:
            check.problem(f"{where}: response seq {seq} appears twice")
            return
        seen.add(seq)
        check.bytes_read += len(body)
        if hashlib.sha256(body).hexdigest() != expected[seq]:
            check.problem(f"{where}: response seq {seq} does not match its recorded SHA-256")
        else:
            check.checked += 1

    root = archive_root(store_path)
    for relative, seqs in sorted(by_file.items()):
        path = root / relative
        if not path.is_file():
            check.problem(f"{path}: missing (holds responses {min(seqs)}–{max(seqs)})")
            continue
        check.files += 1
        try:
            for seq, body in _file_bodies(path):
                compare(seq, body, str(path))
        except (OSError, ValueError) as exc:  # pyarrow raises ArrowInvalid (a ValueError)
            check.problem(f"{path}: unreadable ({exc})")
    for seq, body in con.execute(
        "SELECT seq, body FROM raw_scim_page WHERE snapshot_id = ? AND body IS NOT NULL",
        [snapshot_id],
    ).fetchall():
        compare(int(seq), body.encode(), "raw_scim_page.body")
    folder = snapshot_folder(store_path, snapshot_id)
    if folder.is_dir():
        for extra in sorted(folder.iterdir()):
            if f"{folder.name}/{extra.name}" not in by_file:
                check.problem(f"{extra}: in the archive but not recorded in the store")
    check.recomputed_sha256 = page_hashes(con, snapshot_id)[0]
    if check.recorded_sha256 and check.recomputed_sha256 != check.recorded_sha256:
        check.problem(
            f"snapshot {snapshot_id}: page hashes give {check.recomputed_sha256}, "
            f"the snapshot records {check.recorded_sha256}"
        )
    return check


def page_body(
    con: duckdb.DuckDBPyConnection, store_path: Path, snapshot_id: int, seq: int
) -> bytes:
    """The exact bytes of one response, from the archive (or inline, for rows landed before it)."""
    row = con.execute(
        "SELECT archive_file, body FROM raw_scim_page WHERE snapshot_id = ? AND seq = ?",
        [snapshot_id, seq],
    ).fetchone()
    if row is None:
        raise StoreError(f"snapshot {snapshot_id} has no response {seq}")
    archive_file, inline = row
    if inline is not None:
        return str(inline).encode()
    path = archive_root(store_path) / archive_file
    if not path.is_file():
        raise StoreError(f"{path}: page archive file missing (response {seq})")
    for found, body in _file_bodies(path):
        if found == seq:
            return body
    raise StoreError(f"{path}: response {seq} is not in its archive file")


@dataclass(frozen=True)
class ReceivedResource:
    """An account's SCIM resource exactly as the app sent it, and where it was found."""

    resource: dict[str, Any]
    seq: int
    index: int
    page_sha256: str


def resource_as_received(
    con: duckdb.DuckDBPyConnection, store_path: Path, snapshot_id: int, account_id: str
) -> ReceivedResource | None:
    """The User resource behind an account row, from its page in the archive (None when the row
    predates the archive). Raises :class:`StoreError` when the archive file is missing."""
    row = con.execute(
        "SELECT a.raw_seq, a.raw_index, p.body_sha256 FROM account AS a"
        " JOIN raw_scim_page AS p ON p.snapshot_id = a.snapshot_id AND p.seq = a.raw_seq"
        " WHERE a.snapshot_id = ? AND a.account_id = ?",
        [snapshot_id, account_id],
    ).fetchone()
    if row is None:
        return None
    seq, index, digest = int(row[0]), int(row[1]), str(row[2])
    page = orjson.loads(page_body(con, store_path, snapshot_id, seq))
    return ReceivedResource(page["Resources"][index], seq, index, digest)


def remove_unreferenced_files(con: duckdb.DuckDBPyConnection, store_path: Path) -> int:
    """Delete archive files no ``raw_scim_page`` row refers to; return how many.

    They come from runs killed before a file's load committed (a load that fails deletes its own
    file). Folders of snapshots still ``running`` (a live collect elsewhere) are left alone; run
    :func:`~scimaudit.store.snapshots.reap_interrupted` first so dead runs are not "running".
    """
    root = archive_root(store_path)
    if not root.is_dir():
        return 0
    running = {
        str(r[0])
        for r in con.execute("SELECT snapshot_id FROM snapshot WHERE status = 'running'").fetchall()
    }
    referenced = {
        str(r[0])
        for r in con.execute(
            "SELECT DISTINCT archive_file FROM raw_scim_page WHERE archive_file IS NOT NULL"
        ).fetchall()
    }
    removed = 0
    for folder in root.iterdir():
        if folder.name in running or not folder.is_dir():
            continue
        for item in folder.iterdir():
            relative = f"{folder.name}/{item.name}"
            if item.name.endswith(PART_SUFFIX) or relative not in referenced:
                item.unlink(missing_ok=True)
                removed += 1
        if not any(folder.iterdir()):
            folder.rmdir()
    return removed


def received_for_account(
    config: Config, snapshot_id: int | None, account_id: str
) -> tuple[ReceivedResource | None, str | None]:
    """The resource behind one account as the app sent it, and a note when it cannot be shown.

    For the dashboard's drill-down: a missing archive file is said in words rather than raised,
    so the rest of the account's evidence still shows.
    """
    if snapshot_id is None:
        return None, None
    try:
        with connect(config.store.path, lock_timeout=config.store.lock_timeout_seconds) as con:
            return resource_as_received(con, config.store.path, snapshot_id, account_id), None
    except StoreError as exc:
        return None, f"the resource as received cannot be shown: {exc}"
