"""Is a snapshot coherent, beyond every page having arrived? Memberships resolve; counts hold.

Two checks run when a pull is judged (:mod:`~scimaudit.collect.scim.collector`), on the rows the
loader staged:

* **Referential completeness.** Every membership must name an account (or, for nested groups, a
  group) of the same snapshot. A server whose member ``value`` is not the User's ``id`` (RFC 7643
  §4.2) would otherwise close ``complete`` with groups that grant nothing to anyone, and a
  privileged group would look empty. Vendors that send userNames or emails there are declared in
  the app's config (``member_ref``); their values are resolved by that attribute first. Whatever is
  left unresolved makes the snapshot incomplete, naming the groups and values.
* **Collapse protection.** A snapshot whose user count falls by more than ``collapse_share`` of
  the app's last complete snapshot (or falls to 0) reconciles with itself but is more likely a
  broken server than a mass departure: it is held ``suspect``, never current, until an operator
  accepts it (``scimaudit snapshots --accept``). Findings computed from it would mark every
  earlier finding resolved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from scimaudit.collect.scim.loader import SCIM_SQL
from scimaudit.store import snapshots

EXAMPLE_GROUPS = 3
"""Groups named in the shortfall message (the completeness record keeps up to 20)."""


@dataclass
class MemberResolution:
    """How the memberships of one snapshot resolved (stored in the completeness record)."""

    member_ref: str = "id"
    memberships: int = 0
    resolved_by_id: int = 0
    resolved_by_attribute: int = 0
    unresolved: int = 0
    unresolved_groups: list[dict[str, Any]] = field(default_factory=list)

    def shortfall(self) -> str | None:
        """One line naming the dangling groups and values, or None when all resolve."""
        if not self.unresolved:
            return None
        shown = "; ".join(
            f"group {g['display_name'] or g['group_id']!r}: {g['n']} unresolved ("
            + ", ".join(repr(v) for v in g["examples"])
            + (" …" if g["n"] > len(g["examples"]) else "")
            + ")"
            for g in self.unresolved_groups[:EXAMPLE_GROUPS]
        )
        more = len(self.unresolved_groups) - EXAMPLE_GROUPS
        hint = (
            ' (if this server names members by userName or email, set member_ref = "userName" '
            'or "email" for this app)'
            if self.member_ref == "id"
            else ""
        )
        return (
            f"Group: {self.unresolved} of {self.memberships} memberships name no account or group "
            f"of this snapshot: {shown}" + (f"; +{more} more group(s)" if more > 0 else "") + hint
        )

    def as_dict(self) -> dict[str, Any]:
        """Resolution counts for the completeness record's ``membership`` (20 groups at most)."""
        return {
            "member_ref": self.member_ref,
            "memberships": self.memberships,
            "resolved_by_id": self.resolved_by_id,
            f"resolved_by_{self.member_ref}": self.resolved_by_attribute,
            "unresolved": self.unresolved,
            "unresolved_groups": self.unresolved_groups[:20],
        }


def resolve_members(
    con: duckdb.DuckDBPyConnection, snapshot_id: int, member_ref: str, memberships: int
) -> MemberResolution:
    """Resolve member values by ``member_ref`` when it is not ``id``; count what stays dangling.

    ``memberships`` is the snapshot's membership row count (already counted by the caller). The
    check is one exact anti-join of the memberships against the snapshot's account and group ids
    (``dangling_count.sql``: ~0.6 s of CPU for 2M memberships and 1M accounts, against ~24 s for
    the whole pull); only when it finds dangling members are they listed.
    """
    out = MemberResolution(member_ref=member_ref, memberships=memberships)
    if not out.memberships:
        return out
    if member_ref != "id":
        rewritten = SCIM_SQL.run(
            con, "resolve_members", {"snapshot_id": snapshot_id, "by": member_ref}
        ).fetchone()
        out.resolved_by_attribute = int(rewritten[0]) if rewritten else 0
    row = SCIM_SQL.run(con, "dangling_count", {"snapshot_id": snapshot_id}).fetchone()
    if not row or not row[0]:
        out.resolved_by_id = out.memberships - out.resolved_by_attribute
        return out
    groups = SCIM_SQL.run(con, "unresolved_members", {"snapshot_id": snapshot_id}).fetchall()
    out.unresolved_groups = [
        {"group_id": gid, "display_name": name, "n": int(n), "examples": list(examples)}
        for gid, name, n, examples in groups
    ]
    out.unresolved = sum(g["n"] for g in out.unresolved_groups)
    out.resolved_by_id = out.memberships - out.unresolved - out.resolved_by_attribute
    return out


@dataclass(frozen=True)
class Collapse:
    """The comparison with the app's last complete snapshot."""

    previous_snapshot_id: int
    previous_users: int
    users: int
    share: float

    @property
    def suspect(self) -> bool:
        """True when users fell by more than ``share`` since the last complete snapshot, or to 0.

        A sudden drop is more often a broken pull or a filtered tenant than real leavers; a suspect
        snapshot is held back from findings until someone accepts it.
        """
        if self.previous_users <= 0:
            return False
        if self.users == 0:
            return True
        return self.users < self.previous_users * (1 - self.share)

    def message(self, snapshot_id: int) -> str:
        """Why the snapshot is held, and the ``snapshots --accept`` command if the drop is real."""
        fell = 1 - self.users / self.previous_users if self.previous_users else 0.0
        return (
            f"User: count fell from {self.previous_users:,} (snapshot {self.previous_snapshot_id})"
            f" to {self.users:,} ({fell:.0%} fewer; threshold {self.share:.0%}): held as suspect,"
            f" not used for findings; if the fall is real, confirm it with `scimaudit snapshots"
            f" --accept {snapshot_id} --reason ...`"
        )

    def as_dict(self) -> dict[str, Any]:
        """The comparison for the completeness record's ``collapse``."""
        return {
            "previous_snapshot_id": self.previous_snapshot_id,
            "previous_users": self.previous_users,
            "users": self.users,
            "share": self.share,
            "suspect": self.suspect,
        }


def compare_with_last_complete(
    con: duckdb.DuckDBPyConnection, app: str, users: int, share: float
) -> Collapse | None:
    """The collapse check against the app's current complete snapshot (None for a first pull)."""
    previous = snapshots.current(con, "app", app)
    if previous is None:
        return None
    before = previous.counts.get("users")
    if not isinstance(before, int):
        return None
    return Collapse(previous.snapshot_id, before, users, share)
