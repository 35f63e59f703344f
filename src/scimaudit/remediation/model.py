"""The remediation plan as data: what to change, why, and the hash a reviewer approves.

Why a plan document and a hash (as ``terraform plan`` / ``apply``): the person who applies must
apply exactly what was reviewed. The plan is serialised as *canonical JSON* (sorted keys, no
insignificant whitespace, UTF-8; only strings, integers, booleans and null, so it coincides with
RFC 8785 JCS) and its SHA-256 is the plan's fingerprint. ``apply`` re-reads the stored document,
recomputes the hash and refuses when it differs from the one the operator passes, so an edited
plan cannot be executed.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import orjson

from scimaudit.errors import RemediationError

PLAN_FORMAT = "scimaudit-remediation-plan/1"

Action = Literal["remove_member", "deactivate", "delete"]
SourceKind = Literal["campaign", "finding"]


@dataclass(frozen=True)
class OperationSource:
    """Why an access is to be removed: a campaign's revoke decision or a finding."""

    source_kind: SourceKind
    reason: str | None = None
    campaign_id: int | None = None
    item_id: int | None = None
    decided_by: str | None = None
    finding_key: str | None = None
    finding_kind: str | None = None


@dataclass(frozen=True)
class Revocation:
    """One access to remove, as asked: an account (``group_id`` None) or one group membership."""

    app: str
    account_id: str
    source: OperationSource
    group_id: str | None = None
    group_name: str | None = None
    user_name: str | None = None


@dataclass(frozen=True)
class PlanOperation:
    """One SCIM write: the request to send and what the snapshot said the resource looked like."""

    seq: int
    app: str
    action: Action
    resource_type: Literal["User", "Group"]
    resource_id: str
    account_id: str
    user_name: str | None
    group_id: str | None
    group_name: str | None
    method: Literal["PATCH", "DELETE"]
    path: str
    body: dict[str, Any] | None
    snapshot_id: int
    expected_etag: str | None
    expected_last_modified: str | None
    sources: tuple[OperationSource, ...]

    def describe(self) -> str:
        """One line a reviewer reads, e.g. ``remove alice from group "admins"``."""
        who = self.user_name or self.account_id
        if self.action == "remove_member":
            return f'remove {who} from group "{self.group_name or self.group_id}"'
        if self.action == "deactivate":
            return f"deactivate {who} (active: true → false)"
        return f"delete account {who}"


@dataclass(frozen=True)
class ExcludedRevocation:
    """A requested revocation the plan leaves out, and why (break-glass, already gone, ...)."""

    app: str
    account_id: str
    user_name: str | None
    group_name: str | None
    why: str
    sources: tuple[OperationSource, ...]


@dataclass(frozen=True)
class SnapshotRef:
    """The snapshot a plan's operations for one app were computed from, and its as-of time."""

    snapshot_id: int
    as_of: str


@dataclass(frozen=True)
class Plan:
    """A complete plan. ``sha256`` and ``plan_id`` are derived from :meth:`canonical_json`."""

    created_at: str
    created_by: str
    sources: dict[str, Any]
    snapshots: dict[str, SnapshotRef]
    policy: dict[str, str]
    operations: tuple[PlanOperation, ...]
    excluded: tuple[ExcludedRevocation, ...] = field(default_factory=tuple)

    def document(self) -> dict[str, Any]:
        """The plan as the JSON document that is stored and hashed (operations in plan order)."""
        return {
            "format": PLAN_FORMAT,
            "created_at": self.created_at,
            "created_by": self.created_by,
            "sources": self.sources,
            "snapshots": {app: asdict(ref) for app, ref in sorted(self.snapshots.items())},
            "policy": dict(sorted(self.policy.items())),
            "operations": [_op_dict(op) for op in self.operations],
            "excluded": [_excluded_dict(ex) for ex in self.excluded],
        }

    def canonical_json(self) -> bytes:
        """The document's canonical bytes: what :meth:`sha256` hashes and the store keeps."""
        return canonical_json(self.document())

    @property
    def sha256(self) -> str:
        """The fingerprint a reviewer approves and ``apply --sha256`` must repeat."""
        return hashlib.sha256(self.canonical_json()).hexdigest()

    @property
    def plan_id(self) -> str:
        """The plan's short name, derived from its hash (``rp-`` + 12 hex digits)."""
        return plan_id_for(self.sha256)


def plan_id_for(sha256: str) -> str:
    """A short, stable name for a plan: ``rp-`` and the first 12 hex digits of its hash."""
    return f"rp-{sha256[:12]}"


def canonical_json(document: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8. Floats are refused: their text form is not canonical."""
    _refuse_floats(document)
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS)


def _refuse_floats(value: Any) -> None:
    """Refuse floats anywhere in a plan document: their text form would make the hash unstable."""
    if isinstance(value, float):
        raise RemediationError(f"plan documents hold no floating point numbers (got {value!r})")
    if isinstance(value, dict):
        for item in value.values():
            _refuse_floats(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_floats(item)


def _source_dict(src: OperationSource) -> dict[str, Any]:
    return {k: v for k, v in asdict(src).items() if v is not None}


def _op_dict(op: PlanOperation) -> dict[str, Any]:
    out = asdict(op)
    out["sources"] = [_source_dict(s) for s in op.sources]
    return out


def _excluded_dict(ex: ExcludedRevocation) -> dict[str, Any]:
    out = asdict(ex)
    out["sources"] = [_source_dict(s) for s in ex.sources]
    return out


def _source(raw: dict[str, Any]) -> OperationSource:
    return OperationSource(**raw)


def plan_from_document(document: dict[str, Any]) -> Plan:
    """Rebuild a :class:`Plan` from its JSON document (the inverse of :meth:`Plan.document`)."""
    if document.get("format") != PLAN_FORMAT:
        raise RemediationError(
            f"unknown plan format {document.get('format')!r} (this build reads {PLAN_FORMAT})"
        )
    try:
        operations = tuple(
            PlanOperation(**{**raw, "sources": tuple(_source(s) for s in raw["sources"])})
            for raw in document["operations"]
        )
        excluded = tuple(
            ExcludedRevocation(**{**raw, "sources": tuple(_source(s) for s in raw["sources"])})
            for raw in document["excluded"]
        )
        return Plan(
            created_at=document["created_at"],
            created_by=document["created_by"],
            sources=document["sources"],
            snapshots={app: SnapshotRef(**ref) for app, ref in document["snapshots"].items()},
            policy=document["policy"],
            operations=operations,
            excluded=excluded,
        )
    except (KeyError, TypeError) as exc:
        raise RemediationError(f"plan document is malformed: {exc}") from None
