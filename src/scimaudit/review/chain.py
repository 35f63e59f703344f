"""The campaign log: append-only, each record hashing the one before it (a hash chain).

Why a chain: an auditor must be able to tell that no decision was edited, removed or back-dated
after the fact. Each record's ``record_hash`` is the SHA-256 of its canonical JSON, which includes
the previous record's hash; the first record chains from the campaign's *genesis* hash, itself
covering the campaign definition and the SHA-256 of its frozen items. Changing any past record, item
or campaign field breaks every hash after it, and :func:`verify_chain` names the first broken
record.

The log lives in the SQLite review store (:mod:`scimaudit.store.review_state`). Appending happens
inside a unit of work run by the process's single writer (:mod:`scimaudit.review.writer`), after
the unit has checked its rules against the same state; units run one at a time, so the chain stays
linear without retries, and no decision is refused because another reviewer decided at the same
moment.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson

from scimaudit.config import Config
from scimaudit.errors import ReviewError
from scimaudit.hashchain import Link, broken_links, canonical_hash, canonical_value
from scimaudit.review import writer
from scimaudit.store.review_state import relation_columns

T = TypeVar("T")

LOG_COLUMNS = tuple(c for c in relation_columns("review_log") if c != "record_hash")
"""The hashed fields, in table order (``record_hash`` follows them)."""

CAMPAIGN_HASHED = (
    "campaign_id",
    "name",
    "scope",
    "run_id",
    "hr_snapshot_id",
    "snapshot_ids",
    "due",
    "default_undecided",
    "created_at",
    "created_by",
    "item_count",
    "items_sha256",
)


@dataclass(frozen=True)
class NewRecord:
    """A log record before it gets its place (seq) and hashes."""

    kind: str
    actor: str
    method: str
    item_id: int | None = None
    decision: str | None = None
    reason: str | None = None
    reviewer_id: str | None = None
    from_reviewer_id: str | None = None
    actor_employee_id: str | None = None
    actor_role: str | None = None
    bulk_id: str | None = None


@dataclass(frozen=True)
class ChainVerification:
    """Outcome of :func:`verify_chain`: ``ok`` plus what was checked and what failed."""

    campaign_id: int
    ok: bool
    records: int
    problems: list[str] = field(default_factory=list)


def utc_now() -> datetime:
    return datetime.now(UTC)


def items_sha256(con: sqlite3.Connection, campaign_id: int) -> str:
    """SHA-256 over every frozen item of a campaign (one sorted-key JSON line per item, by id).

    Computed from the rows as stored (read back), so creation and verification hash the same
    values.
    """
    cur = con.execute(
        "SELECT * FROM campaign_item WHERE campaign_id = ? ORDER BY item_id", [campaign_id]
    )
    names = [d[0] for d in cur.description]
    digest = hashlib.sha256()
    for n, row in enumerate(cur):
        if n:
            digest.update(b"\n")
        digest.update(orjson.dumps(dict(zip(names, row, strict=True)), option=orjson.OPT_SORT_KEYS))
    return digest.hexdigest()


def _one(con: sqlite3.Connection, sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    row: tuple[Any, ...] | None = con.execute(sql, list(params)).fetchone()
    return row


def genesis_hash(con: sqlite3.Connection, campaign_id: int) -> str:
    """The hash the first log record chains from: the campaign row (incl. its items hash)."""
    cols = ", ".join(CAMPAIGN_HASHED)
    row = _one(con, f"SELECT {cols} FROM campaign WHERE campaign_id = ?", [campaign_id])
    if row is None:
        raise ReviewError(f"no campaign with id {campaign_id}")
    return canonical_hash(dict(zip(CAMPAIGN_HASHED, row, strict=True)))


def append(
    con: sqlite3.Connection, campaign_id: int, records: Sequence[NewRecord]
) -> list[dict[str, Any]]:
    """Append records to the campaign's chain (inside the caller's unit of work); return them."""
    if not records:
        return []
    last = _one(
        con,
        "SELECT seq, record_hash FROM review_log WHERE campaign_id = ? ORDER BY seq DESC LIMIT 1",
        [campaign_id],
    )
    seq, prev = (int(last[0]), str(last[1])) if last else (0, genesis_hash(con, campaign_id))
    at = canonical_value(utc_now())
    rows: list[dict[str, Any]] = []
    for rec in records:
        seq += 1
        row: dict[str, Any] = {
            "campaign_id": campaign_id,
            "seq": seq,
            "kind": rec.kind,
            "item_id": rec.item_id,
            "decision": rec.decision,
            "reason": rec.reason,
            "reviewer_id": rec.reviewer_id,
            "from_reviewer_id": rec.from_reviewer_id,
            "actor": rec.actor,
            "actor_employee_id": rec.actor_employee_id,
            "actor_role": rec.actor_role,
            "method": rec.method,
            "bulk_id": rec.bulk_id,
            "recorded_at": at,
            "prev_hash": prev,
        }
        row["record_hash"] = prev = canonical_hash(row)
        rows.append(row)
    cols = (*LOG_COLUMNS, "record_hash")
    con.executemany(
        f"INSERT INTO review_log ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
        [[r[c] for c in cols] for r in rows],
    )
    return rows


def verify_chain(con: sqlite3.Connection, campaign_id: int) -> ChainVerification:
    """Recompute the items hash, the genesis and every record hash; report the first breaks."""
    problems: list[str] = []
    row = _one(con, "SELECT items_sha256 FROM campaign WHERE campaign_id = ?", [campaign_id])
    if row is None:
        raise ReviewError(f"no campaign with id {campaign_id}")
    recomputed = items_sha256(con, campaign_id)
    if recomputed != row[0]:
        problems.append(
            f"campaign {campaign_id}: frozen items changed (items hash {recomputed[:12]}… "
            f"!= recorded {str(row[0])[:12]}…)"
        )
    prev = genesis_hash(con, campaign_id)
    cols = ", ".join((*LOG_COLUMNS, "record_hash"))
    records = con.execute(
        f"SELECT {cols} FROM review_log WHERE campaign_id = ? ORDER BY seq", [campaign_id]
    ).fetchall()
    links = []
    for expected_seq, values in enumerate(records, start=1):
        rec = dict(zip((*LOG_COLUMNS, "record_hash"), values, strict=True))
        stored = rec.pop("record_hash")
        if rec["seq"] != expected_seq:
            problems.append(
                f"record seq {rec['seq']}: expected seq {expected_seq} (gap or reorder)"
            )
        links.append(Link(f"record seq {rec['seq']}", rec, str(stored)))
    problems += broken_links(links, prev, prev_field="prev_hash", hash_field="record_hash")
    return ChainVerification(campaign_id, not problems, len(records), problems)


def write_transaction(config: Config, work: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``work`` (rule checks, then appends) as one unit of the process's single writer.

    Units run one at a time in batched transactions (:mod:`scimaudit.review.writer`): ``work``
    sees every record committed or appended before it, and nothing conflicts, so nothing retries.
    """
    return writer.write(config, work)
