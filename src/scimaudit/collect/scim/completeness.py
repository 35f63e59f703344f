"""The completeness record: the proof (or the disproof) that a pull got everything.

Stored as JSON in ``snapshot.completeness``. A snapshot is ``complete`` only when, for every
resource type: no request failed, no resource was malformed, the unique ids received equal the
server's ``totalResults`` at the start, a re-count at the end equals the start, every
unique resource was loaded, and every membership names an account or group of the snapshot
(:mod:`~scimaudit.collect.scim.coherence`). :meth:`ResourceRecord.shortfalls` lists, in words,
every way a type falls short; the snapshot's ``error`` is the first of them.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import Any

import numpy as np


class IdLedger:
    """Ids seen during a pull, as 8-byte hashes: ~8 bytes per resource, not ~100 for a set of str.

    Python's string hash is 64-bit SipHash; two distinct ids colliding among 1M is about 3e-8
    likely. Equal ids always hash equal, so a pull whose ledger saw no repeat has none; when it
    saw one, the store removes the later copies by comparing the ids themselves, and the loaded
    count is checked against the unique count anyway (a collision fails the pull, never hides).
    """

    def __init__(self) -> None:
        self._hashes: array[int] = array("q")
        self.without_id = 0

    def add(self, ids: list[str | None]) -> None:
        """Remember the ids of one page; resources without an id are only counted."""
        missing = ids.count(None)
        if missing:
            self.without_id += missing
            self._hashes.extend(hash(value) for value in ids if value is not None)
        else:
            self._hashes.extend(map(hash, ids))  # a C-level loop: half the time of a Python one

    @property
    def with_id(self) -> int:
        """Number of ids recorded (repeats included)."""
        return len(self._hashes)

    def unique(self) -> int:
        """Distinct ids: sort a copy and count changes (np.unique's hashing took 20x longer)."""
        if not self._hashes:
            return 0
        ordered = np.sort(np.frombuffer(self._hashes, dtype=np.int64))
        return 1 + int(np.count_nonzero(ordered[1:] != ordered[:-1]))


@dataclass
class ResourceRecord:
    """How the pull of one resource type (User or Group) went."""

    resource_type: str
    pagination: str = "index"
    page_size: int = 0
    effective_page_size: int | None = None
    expected: int | None = None
    recount: int | None = None
    received: int = 0
    unique: int = 0
    duplicates: int = 0
    without_id: int = 0
    loaded: int = 0
    malformed: int = 0
    pages: int = 0
    requests: int = 0
    retries: int = 0
    retry_reasons: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    duration_seconds: float = 0.0
    sha256: str | None = None
    end: str | None = None
    more_than_total: bool = False
    notes: list[str] = field(default_factory=list)
    per_group_reads: int | None = None
    malformed_example: str | None = None

    def count_changed(self) -> bool:
        """True when the re-count at the end differs from ``totalResults`` at the start.

        The data changed during the pull, so what was received may not be one consistent state.
        """
        return (
            self.expected is not None and self.recount is not None and self.recount != self.expected
        )

    def shortfalls(self) -> list[str]:
        """Every reason this type is not complete, in words; empty when it reconciles."""
        out: list[str] = [f"{self.resource_type}: {e}" for e in self.errors]
        rt = self.resource_type
        if self.malformed:
            example = f", e.g. {self.malformed_example}" if self.malformed_example else ""
            out.append(f"{rt}: {self.malformed} malformed resource(s){example}")
        if self.without_id and not self.malformed:
            out.append(f"{rt}: {self.without_id} resource(s) without an id")
        if self.count_changed():
            out.append(
                f"{rt}: count changed during the pull (totalResults {self.expected} at the start,"
                f" {self.recount} at the end)"
            )
        if self.more_than_total:
            out.append(f"{rt}: the server returned more resources than its totalResults said")
        if self.expected is not None and self.unique != self.expected:
            out.append(
                f"{rt}: received {self.unique} unique resources, server reported totalResults "
                f"{self.expected}"
            )
        if (
            self.expected is None
            and not self.errors
            and self.end not in ("empty_page", "no_next_cursor")
        ):
            out.append(f"{rt}: no totalResults and no clean end of the listing")
        if not self.errors and not self.malformed and self.loaded != self.unique:
            out.append(f"{rt}: loaded {self.loaded} of {self.unique} unique resources")
        if (
            self.per_group_reads is not None
            and self.per_group_reads != self.unique
            and not self.errors
        ):
            out.append(f"{rt}: read {self.per_group_reads} groups one by one, listed {self.unique}")
        return out

    def as_dict(self) -> dict[str, Any]:
        """The type's figures as stored in the completeness record (``snapshot.completeness``)."""
        return {
            "resource_type": self.resource_type,
            "pagination": self.pagination,
            "page_size": self.page_size,
            "effective_page_size": self.effective_page_size,
            "expected": self.expected,
            "recount": self.recount,
            "received": self.received,
            "unique": self.unique,
            "duplicates_dropped": self.duplicates,
            "without_id": self.without_id,
            "loaded": self.loaded,
            "malformed": self.malformed,
            "pages": self.pages,
            "requests": self.requests,
            "retries": self.retries,
            "retry_reasons": self.retry_reasons,
            "errors": self.errors,
            "duration_seconds": round(self.duration_seconds, 3),
            "sha256": self.sha256,
            "end": self.end,
            "per_group_reads": self.per_group_reads,
            "notes": self.notes,
        }


@dataclass
class AppRecord:
    """The whole record for one app snapshot."""

    app: str
    url: str
    snapshot_id: int
    pull_attempt: int = 1
    previous_attempts: list[int] = field(default_factory=list)
    group_members: str = "inline"
    discovery: dict[str, Any] = field(default_factory=dict)
    resources: dict[str, ResourceRecord] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    malformed_resources: list[dict[str, Any]] = field(default_factory=list)
    duration_seconds: float = 0.0
    sha256: str | None = None
    pages: int = 0
    membership: dict[str, Any] | None = None  # how member values resolved (coherence.py)
    membership_shortfall: str | None = None
    collapse: dict[str, Any] | None = None  # the count against the last complete snapshot
    count_refused: bool = False  # the server failed on `count`: paged at its default size

    def shortfalls(self) -> list[str]:
        """Every way the snapshot falls short, in words; empty means complete.

        Errors come first (the snapshot's ``error`` is the first line). User and Group must both be
        pulled: a missing type is a shortfall unless an error already explains it.
        """
        out = list(self.errors)
        for rtype in ("User", "Group"):
            rec = self.resources.get(rtype)
            if rec is None:
                if not self.errors:
                    out.append(f"{rtype}: not pulled")
                continue
            out.extend(rec.shortfalls())
        if self.membership_shortfall:
            out.append(self.membership_shortfall)
        return out

    def as_dict(self) -> dict[str, Any]:
        """The record stored as ``snapshot.completeness``; ``complete`` means no shortfall."""
        return {
            "app": self.app,
            "url": self.url,
            "snapshot_id": self.snapshot_id,
            "pull_attempt": self.pull_attempt,
            "previous_attempts": self.previous_attempts,
            "group_members": self.group_members,
            "complete": not self.shortfalls(),
            "shortfalls": self.shortfalls(),
            "discovery": self.discovery,
            "resources": {k: v.as_dict() for k, v in self.resources.items()},
            "errors": self.errors,
            "malformed_resources": self.malformed_resources,
            "duration_seconds": round(self.duration_seconds, 3),
            "pages": self.pages,
            "sha256": self.sha256,
            "membership": self.membership,
            "collapse": self.collapse,
            "count_refused": self.count_refused,
            "hash_method": "sha256 over each page's body_sha256 + newline, in seq order",
        }
