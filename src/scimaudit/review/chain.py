"""The campaign log: append-only, each record hashing the one before it (a hash chain).

Why a chain: an auditor must be able to tell that no decision was edited, removed or back-dated
after the fact. Each record's ``record_hash`` is the SHA-256 of its canonical JSON, which includes
the previous record's hash; the first record chains from the campaign's *genesis* hash, itself
covering the campaign definition and the SHA-256 of its frozen items. Changing any past record, item
or campaign field breaks every hash after it, and :func:`verify_chain` names the first broken
record.

Appending happens inside the caller's write transaction, after the caller has checked its rules
against the same snapshot of the log. Two writers in one process that both read seq N and append N+1
collide on the ``(campaign_id, seq)`` primary key at commit; :func:`write_transaction` retries the
whole unit of work (rules included), so the chain stays linear and no decision is lost.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import duckdb
import pandas as pd

from scimaudit.config import Config
from scimaudit.errors import ReviewError, StoreError
from scimaudit.hashchain import Link, broken_links, canonical_hash
from scimaudit.review.db import fetch_one, insert_frame, open_store

T = TypeVar("T")

LOG_COLUMNS = (
    "campaign_id",
    "seq",
    "kind",
    "item_id",
    "decision",
    "reason",
    "reviewer_id",
    "from_reviewer_id",
    "actor",
    "actor_employee_id",
    "actor_role",
    "method",
    "bulk_id",
    "recorded_at",
    "prev_hash",
)
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


def items_sha256(con: duckdb.DuckDBPyConnection, campaign_id: int) -> str:
    """SHA-256 over every frozen item of a campaign (one JSON line per item, by item_id)."""
    row = fetch_one(
        con,
        "SELECT sha256(coalesce(string_agg(to_json(i)::VARCHAR, chr(10) ORDER BY i.item_id), ''))"
        " FROM campaign_item i WHERE i.campaign_id = ?",
        [campaign_id],
    )
    assert row is not None
    return str(row[0])


def genesis_hash(con: duckdb.DuckDBPyConnection, campaign_id: int) -> str:
    """The hash the first log record chains from: the campaign row (incl. its items hash)."""
    cols = ", ".join(CAMPAIGN_HASHED)
    row = fetch_one(con, f"SELECT {cols} FROM campaign WHERE campaign_id = ?", [campaign_id])
    if row is None:
        raise ReviewError(f"no campaign with id {campaign_id}")
    return canonical_hash(dict(zip(CAMPAIGN_HASHED, row, strict=True)))


def append(
    con: duckdb.DuckDBPyConnection, campaign_id: int, records: Sequence[NewRecord]
) -> list[dict[str, Any]]:
    """Append records to the campaign's chain (inside the caller's transaction); return them."""
    if not records:
        return []
    last = fetch_one(
        con,
        "SELECT seq, record_hash FROM review_log WHERE campaign_id = ? ORDER BY seq DESC LIMIT 1",
        [campaign_id],
    )
    seq, prev = (int(last[0]), str(last[1])) if last else (0, genesis_hash(con, campaign_id))
    at = utc_now()
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
    frame = pd.DataFrame(rows, columns=[*LOG_COLUMNS, "record_hash"])
    frame["item_id"] = frame["item_id"].astype("Int32")
    for col in ("decision", "reason", "reviewer_id", "from_reviewer_id", "bulk_id"):
        frame[col] = frame[col].astype("string")
    for col in ("actor_employee_id", "actor_role"):
        frame[col] = frame[col].astype("string")
    insert_frame(con, "review_log", frame, [*LOG_COLUMNS, "record_hash"])
    return rows


def verify_chain(con: duckdb.DuckDBPyConnection, campaign_id: int) -> ChainVerification:
    """Recompute the items hash, the genesis and every record hash; report the first breaks."""
    problems: list[str] = []
    row = fetch_one(con, "SELECT items_sha256 FROM campaign WHERE campaign_id = ?", [campaign_id])
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


_RETRYABLE = (duckdb.TransactionException, duckdb.ConstraintException)


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back if a transaction is still open (a failed COMMIT has already ended it)."""
    with contextlib.suppress(duckdb.Error):
        con.execute("ROLLBACK")


def write_transaction(
    config: Config, work: Callable[[duckdb.DuckDBPyConnection], T], *, attempts: int = 8
) -> T:
    """Run ``work`` in one short write transaction on a fresh connection, retrying on conflicts.

    The connection is opened for this unit of work only (the collector may need the file next) and
    ``work`` re-runs from scratch on a write conflict, so its rule checks see the winner's records.
    """
    for attempt in range(attempts):
        with open_store(config) as con:
            con.execute("BEGIN TRANSACTION")
            try:
                result = work(con)
                con.execute("COMMIT")
                return result
            except _RETRYABLE:
                _rollback(con)
                if attempt == attempts - 1:
                    raise StoreError(
                        f"{config.store.path}: review log busy; {attempts} attempts conflicted"
                    ) from None
            except BaseException:
                _rollback(con)
                raise
        time.sleep(0.01 * (attempt + 1))
    raise AssertionError("unreachable")
