"""What we suggest a reviewer does with each item, and why, in words they can check.

Revoke when an open finding says the access should not exist (the person left, the account has no
person, the contract ended, it is unused, or the person's role does not explain it). Keep when most
of the person's peers (same department, or department and title) hold the same access: a reviewer
can then spend their attention on the unusual items. Other open findings (a duplicate account, a
segregation-of-duties conflict, privileged access) get no suggestion but say what to weigh; anything
else gets none: the reviewer decides. Exempted findings (risk accepted with owner and expiry) do not
drive a revoke, and data-quality notes (a stale employee id) drive nothing. A leaver still inside
the deprovisioning SLA is pending, not an exception: the item says by when the account goes, and
suggests nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scimaudit.analytics.registry import NOTE_KINDS

REVOKE_KINDS: dict[str, str] = {
    "terminated_active": "the person has left",
    "orphaned_account": "no HR person owns this account",
    "contractor_expired": "the contract has ended",
    "stale_access": "not used recently",
    "role_drift": "the person's role does not explain it",
}
"""Finding kinds that recommend revocation, with the short why shown to reviewers."""

CHECK_KINDS: dict[str, str] = {
    "duplicate_account": "one of several accounts this person has in the app",
    "sod_conflict": "part of a conflicting (segregation of duties) pair",
    "privileged_account": "privileged: confirm it is still needed",
}
"""Finding kinds that need the reviewer's judgement: no keep suggestion, the reason is shown."""

KEEP_PEER_SHARE = 0.5
"""Keep is suggested when at least this share of department peers hold the same access."""


@dataclass(frozen=True)
class Recommendation:
    decision: str | None
    reason: str | None


def recommend(
    findings: Sequence[Mapping[str, Any]],
    *,
    peer_share: float | None,
    peer_holders: int | None,
    peer_count: int | None,
    peer_group: str | None,
    person_status: str | None,
    account_type: str,
    pending_deadline: Any = None,
) -> Recommendation:
    """Recommendation for one item from its frozen context."""
    open_findings = [
        f for f in findings if f.get("status", "open") == "open" and f.get("kind") not in NOTE_KINDS
    ]
    whys = [REVOKE_KINDS[k] for k in _kinds(open_findings) if k in REVOKE_KINDS]
    if not whys and pending_deadline is not None:
        due = f"{pending_deadline:%Y-%m-%d %H:%M} UTC"
        return Recommendation(None, f"pending deprovisioning: the person left; due by {due}")
    if not whys and person_status == "terminated":
        whys.append(REVOKE_KINDS["terminated_active"])
    if not whys and account_type == "unmatched":
        whys.append(REVOKE_KINDS["orphaned_account"])
    if whys:
        return Recommendation("revoke", "revoke: " + "; ".join(whys))
    checks = [CHECK_KINDS.get(k, k.replace("_", " ")) for k in _kinds(open_findings)]
    if checks:
        return Recommendation(None, "your call: " + "; ".join(checks))
    if (
        peer_share is not None
        and peer_share >= KEEP_PEER_SHARE
        and peer_holders is not None
        and peer_count
    ):
        who = f"{peer_group} peers" if peer_group else "peers"
        return Recommendation(
            "keep", f"keep: held by {peer_holders} of {peer_count} {who} ({peer_share:.0%})"
        )
    return Recommendation(None, None)


def _kinds(findings: Sequence[Mapping[str, Any]]) -> list[str]:
    seen: list[str] = []
    for f in findings:
        kind = str(f.get("kind", ""))
        if kind and kind not in seen:
            seen.append(kind)
    return seen


SHORT_WHY: dict[str, str] = {
    REVOKE_KINDS["terminated_active"]: "Person has left",
    REVOKE_KINDS["orphaned_account"]: "No owner in HR",
    REVOKE_KINDS["contractor_expired"]: "Contract ended",
    REVOKE_KINDS["stale_access"]: "Not used lately",
    REVOKE_KINDS["role_drift"]: "Role doesn't explain it",
    CHECK_KINDS["duplicate_account"]: "Extra account",
    CHECK_KINDS["sod_conflict"]: "Duties conflict",
    CHECK_KINDS["privileged_account"]: "Privileged: still needed?",
}
"""Each phrase of a reason in a few words, for the queue grid (the full reason is in the item's
detail panel and in the evidence)."""
_HELD_BY = re.compile(r"^held by (\d+) of (\d+) ")


def short_why(reason: str | None) -> str:
    """A reason as a few plain words that fit the queue's Why column at laptop width: "Person
    has left", "Duties conflict +1", "Usual for peers (6/6)". Reasons come from
    :func:`recommend` (and are frozen into campaign items), so each phrase it writes has a short
    form here; an unknown phrase (an older campaign's wording) is shown as it is."""
    if not isinstance(reason, str) or not reason:  # None, or NaN from a frame
        return ""
    verdict, _, detail = reason.partition(": ")
    if verdict == "pending deprovisioning":
        return "Left: removal pending"
    if verdict == "keep" and (held := _HELD_BY.match(detail)):
        return f"Usual for peers ({held[1]}/{held[2]})"
    if verdict in ("revoke", "your call") and detail:
        parts = [SHORT_WHY.get(part, part) for part in detail.split("; ")]
        return parts[0] + (f" +{len(parts) - 1}" if len(parts) > 1 else "")
    return reason
