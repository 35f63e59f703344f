"""Has a resource changed since the snapshot a plan was made from? ETag first, lastModified second.

RFC 7644 §3.14: a service provider that versions resources returns ``meta.version`` (an ETag, RFC
9110 §8.8.3) and honours ``If-Match`` on PATCH/PUT/DELETE with 412 when the version differs. That is
the only *atomic* protection and is used whenever ``/ServiceProviderConfig`` announces
``etag.supported``. Servers that do not (SCIMMY 1.3.5 answers ``etag.supported = false`` and
silently ignores ``If-Match``) are compared on ``meta.lastModified`` just before the write: a
best-effort check that catches changes made since the snapshot but not ones racing the write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from scimaudit.remediation.model import PlanOperation
from scimaudit.remediation.scim_ops import resource_last_modified, resource_version

Kind = Literal["etag", "last_modified", "state_only"]


@dataclass(frozen=True)
class Precondition:
    """How a write is guarded, whether the resource changed, and the ``If-Match`` to send."""

    kind: Kind
    changed: bool
    if_match: str | None
    detail: str | None


def opaque_tag(tag: str) -> str:
    """The entity-tag without its weakness marker: ``W/"3"`` → ``"3"`` (RFC 9110 §8.8.3.2)."""
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def same_version(a: str, b: str) -> bool:
    """Weak comparison (RFC 9110 §8.8.3.2), which SCIM uses for ``meta.version``."""
    return opaque_tag(a) == opaque_tag(b)


def _instant(text: str) -> datetime | str:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text


def decide_precondition(
    op: PlanOperation, resource: dict[str, Any], etag_supported: bool
) -> Precondition:
    """How to guard the write of ``op`` against changes since its snapshot; whether any happened."""
    if etag_supported and op.expected_etag:
        current = resource_version(resource)
        if current is not None and not same_version(current, op.expected_etag):
            return Precondition(
                "etag",
                True,
                op.expected_etag,
                f"changed since snapshot {op.snapshot_id}: meta.version {op.expected_etag} → "
                f"{current}; skipped, not overwritten",
            )
        return Precondition("etag", False, op.expected_etag, None)
    current_lm = resource_last_modified(resource)
    if op.expected_last_modified and current_lm:
        if _instant(current_lm) != _instant(op.expected_last_modified):
            return Precondition(
                "last_modified",
                True,
                None,
                f"changed since snapshot {op.snapshot_id}: meta.lastModified "
                f"{op.expected_last_modified} → {current_lm}; skipped, not overwritten",
            )
        return Precondition(
            "last_modified", False, None, "server has no ETags: meta.lastModified compared"
        )
    return Precondition(
        "state_only",
        False,
        None,
        "no ETag or lastModified to compare: only the current state was checked",
    )
