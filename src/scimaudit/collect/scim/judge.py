"""Judge one app pull and close its snapshot: complete, failed or suspect, with its record.

Runs on a loader thread once every chunk of the pull is loaded: repeated accounts are removed,
the rows and pages are counted and hashed, memberships are resolved and checked, and the user
count is compared with the app's last complete snapshot
(:mod:`~scimaudit.collect.scim.coherence`). Also the small helpers that fold chunk outcomes and
errors into the :class:`~scimaudit.collect.scim.completeness.AppRecord`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import duckdb

from scimaudit.collect.scim.coherence import compare_with_last_complete, resolve_members
from scimaudit.collect.scim.completeness import AppRecord, ResourceRecord
from scimaudit.collect.scim.loader import (
    ChunkResult,
    loaded_counts,
    page_hashes,
    remove_repeated_accounts,
)
from scimaudit.collect.scim.store_session import StoreSession
from scimaudit.collect.scim.vendors import Quirks
from scimaudit.store import snapshots


@dataclass
class AppResult:
    """The outcome for one app: what the CLI summary and the demo print."""

    app: str
    status: Literal["complete", "failed", "suspect"]
    snapshot_id: int | None
    counts: dict[str, int] = field(default_factory=dict)
    sha256: str | None = None
    error: str | None = None
    exit_code: int = 0
    duration_seconds: float = 0.0
    attempts: list[int] = field(default_factory=list)
    completeness: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The result as plain JSON values, for machine-readable logs (the benchmarks write it)."""
        return {
            "app": self.app,
            "status": self.status,
            "snapshot_id": self.snapshot_id,
            "counts": self.counts,
            "sha256": self.sha256,
            "error": self.error,
            "duration_seconds": round(self.duration_seconds, 3),
            "snapshot_attempts": self.attempts,
        }


def judge(con: duckdb.DuckDBPyConnection, record: AppRecord, quirks: Quirks) -> AppResult:
    """Count what was loaded, hash what was landed, check coherence, and close the snapshot."""
    users = record.resources.get("User")
    if users is not None and users.duplicates:
        # the ledger's hashes saw an id twice: remove later copies (exactly, by id text)
        remove_repeated_accounts(con, record.snapshot_id)
    counts = loaded_counts(con, record.snapshot_id)
    whole, per_type, pages = page_hashes(con, record.snapshot_id)
    record.sha256 = whole
    record.pages = sum(pages.values())
    for rtype, key in (("User", "users"), ("Group", "groups")):
        rec = record.resources.get(rtype)
        if rec is not None:
            rec.loaded = counts[key]
            rec.sha256 = per_type.get(rtype)
    if "Group" in record.resources:
        members = resolve_members(con, record.snapshot_id, quirks.member_ref, counts["memberships"])
        record.membership = members.as_dict()
        record.membership_shortfall = members.shortfall()
    shortfalls = record.shortfalls()
    status: Literal["complete", "failed", "suspect"] = "failed" if shortfalls else "complete"
    error = None
    if shortfalls:
        error = shortfalls[0] + (f" (+{len(shortfalls) - 1} more)" if len(shortfalls) > 1 else "")
    else:
        collapse = compare_with_last_complete(
            con, record.app, counts["users"], quirks.collapse_share
        )
        if collapse is not None:
            record.collapse = collapse.as_dict()
            if collapse.suspect:
                status = "suspect"
                error = collapse.message(record.snapshot_id)
    completeness = record.as_dict()
    snapshots.finish(
        con,
        record.snapshot_id,
        status,
        counts=counts,
        sha256=whole,
        completeness=completeness,
        error=error,
    )
    return AppResult(
        record.app,
        status,
        record.snapshot_id,
        counts=counts,
        sha256=whole,
        error=error,
        completeness=completeness,
    )


def attach_error(record: AppRecord, message: str) -> None:
    """Put an error on the resource type being pulled when it happened, else on the app."""
    for rtype in ("Group", "User"):
        rec = record.resources.get(rtype)
        if rec is not None:
            rec.errors.append(message)
            return
    record.errors.append(message)


def merge_chunk(record: AppRecord, outcome: ChunkResult) -> None:
    """Fold one chunk's malformed resources into the record: exact counts, bounded examples.

    Each type keeps its first problem as ``malformed_example``; at most 200 are listed in all.
    """
    for rtype, count in outcome.problem_counts.items():
        rec = record.resources.get(rtype)
        if rec is None:
            rec = record.resources[rtype] = ResourceRecord(rtype)
        rec.malformed += count
        if rec.malformed_example is None:
            first = next((p for p in outcome.problems if p.resource_type == rtype), None)
            if first is not None:
                rec.malformed_example = (
                    f"page seq {first.seq} index {first.index} id {first.id!r}: {first.problem}"
                )
    room = 200 - len(record.malformed_resources)
    record.malformed_resources.extend(p.as_dict() for p in outcome.problems[: max(room, 0)])


def worth_another_pull(record: AppRecord) -> bool:
    """Pull again only when the data moved under us: the count changed, or ids were repeated."""
    if record.errors or not record.resources:
        return False
    moved = False
    for rec in record.resources.values():
        if rec.errors or rec.malformed:
            return False
        shifted = rec.duplicates > 0 and rec.expected is not None and rec.unique != rec.expected
        moved = moved or rec.count_changed() or shifted
    return moved


def summary(result: AppResult) -> str:
    """The one-line result the progress output prints when an app's pull ends."""
    if result.status == "complete":
        c = result.counts
        return (
            f"snapshot {result.snapshot_id}: {c.get('users', 0):,} users, "
            f"{c.get('groups', 0):,} groups, {c.get('memberships', 0):,} memberships"
        )
    return f"snapshot {result.snapshot_id}: {result.error}"


def load_failure(exc: BaseException) -> str:
    """One line for a failed load; DuckDB's own out-of-memory advice is not the user's to act on."""
    if isinstance(exc, duckdb.OutOfMemoryException):
        return (
            f"the store's loader ran out of its {StoreSession.MEMORY_LIMIT} memory cap while "
            "parsing a page (very large groups?); lower this app's page_size and collect again"
        )
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
