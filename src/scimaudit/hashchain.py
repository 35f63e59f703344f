"""Append-only, hash-chained logs: the one hashing rule and the one walk that verifies a chain.

Two logs use it: review decisions (:mod:`scimaudit.review.chain`, one chain per campaign, rooted
in the campaign row) and remediation outcomes (:mod:`scimaudit.remediation.ledger`, one chain per
plan, rooted in the plan's SHA-256). Each record stores the previous record's hash among its
fields and a hash over all of them, so editing, deleting, inserting or reordering a record breaks
the chain at that point, and :func:`broken_links` names where.

The hash is SHA-256 over the fields as sorted-key JSON, datetimes in UTC with microseconds and
dates as ISO text: a representation that does not depend on the reader's time zone or on how
DuckDB hands back a timestamp.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import orjson

MAX_PROBLEMS = 20


def canonical_value(value: Any) -> Any:
    """A field as it is hashed: datetimes in UTC with microseconds, dates as ISO text."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def canonical_hash(values: dict[str, Any]) -> str:
    """SHA-256 (hex) of the fields as sorted-key JSON, values made canonical first."""
    payload = {k: canonical_value(v) for k, v in values.items()}
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass(frozen=True)
class Link:
    """One stored record: how to name it, its hashed fields (the previous hash included), and
    the hash stored with it."""

    label: str
    values: dict[str, Any]
    stored_hash: str


def broken_links(
    links: Iterable[Link], root: str, *, prev_field: str, hash_field: str, noun: str = "record"
) -> list[str]:
    """Walk a chain from its root hash; one line per break, at most :data:`MAX_PROBLEMS`."""
    problems: list[str] = []
    prev = root
    for link in links:
        if link.values[prev_field] != prev:
            problems.append(f"{link.label}: does not chain from the {noun} before it")
        if canonical_hash(link.values) != link.stored_hash:
            problems.append(f"{link.label}: content does not match its {hash_field}")
        prev = link.stored_hash
        if len(problems) >= MAX_PROBLEMS:
            problems.append(f"… stopped after {MAX_PROBLEMS} problems")
            break
    return problems
