"""Who reviews an item: the person's manager from HR, with fallbacks, never the person themselves.

Rules, in order, for the *subject* of an item (the person; for a declared service account its
owner):

1. the subject's manager, when HR has that manager and they have not left (``manager``);
2. the manager missing or gone → the app's ``fallback_reviewer`` (``app_fallback``);
3. whoever step 1–2 picked is the subject themselves (a self-managed executive, or the fallback
   reviewer's own account) → the manager's manager, else the app's fallback (``manager_of_manager``
   / ``app_fallback``);
4. nobody suitable → ``unassigned``: listed by ``review status`` for an administrator to delegate.

Unmatched accounts have no subject and go to the app's fallback reviewer. Self-review is also
refused at decision time (see :mod:`scimaudit.review.decisions`), so a later delegation cannot
introduce it either. Delegation moves items to another active HR person with a recorded reason, in
the campaign's log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from scimaudit.config import Config
from scimaudit.errors import PermissionDeniedError, ReviewError
from scimaudit.review import chain
from scimaudit.review.auth import ADMINISTER, Actor, normalise_email, require_writer


@dataclass(frozen=True)
class Person:
    employee_id: str
    email: str | None
    name: str | None
    status: str
    manager_id: str | None

    @property
    def available(self) -> bool:
        """Can review: still employed (on leave counts as employed; delegate if needed)."""
        return self.status != "terminated"


@dataclass(frozen=True)
class Assignment:
    reviewer_id: str | None
    rule: str


class HrDirectory:
    """The people of one HR snapshot, by employee id and by email."""

    def __init__(self, people: Sequence[Person]) -> None:
        self.by_id = {p.employee_id: p for p in people}
        self.by_email = {p.email.lower(): p for p in people if p.email}

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection, hr_snapshot_id: int | None) -> HrDirectory:
        if hr_snapshot_id is None:
            return cls([])
        rows = con.execute(
            "SELECT employee_id, email, nullif(concat_ws(' ', first_name, last_name), ''), status,"
            " manager_id FROM employee WHERE snapshot_id = ?",
            [hr_snapshot_id],
        ).fetchall()
        return cls([Person(*row) for row in rows])

    def get(self, employee_id: str | None) -> Person | None:
        return self.by_id.get(employee_id) if employee_id else None

    def reviewer(self, employee_id: str | None) -> Person | None:
        """The person if they can review (known to HR and not gone)."""
        person = self.get(employee_id)
        return person if person is not None and person.available else None


def assign_reviewer(
    hr: HrDirectory,
    subject_id: str | None,
    fallback_id: str | None,
    *,
    lookalike_id: str | None = None,
) -> Assignment:
    """Pick the reviewer of one subject's access in one app (rules in the module docstring).

    ``lookalike_id`` is the HR person whose email an *unmatched* account's userName equals: not
    linked (the correlation may have had reasons), but still never theirs to review; their manager
    is the next choice after the app's fallback.
    """
    fallback = hr.reviewer(fallback_id)
    if subject_id is None and lookalike_id is not None:
        owner = hr.get(lookalike_id)
        boss = hr.reviewer(owner.manager_id) if owner else None
        for person, rule in ((fallback, "app_fallback"), (boss, "manager_of_lookalike")):
            if person is not None and person.employee_id != lookalike_id:
                return Assignment(person.employee_id, rule)
        return _UNASSIGNED
    subject = hr.get(subject_id)
    manager_record = hr.get(subject.manager_id) if subject else None
    manager = manager_record if manager_record is not None and manager_record.available else None
    grand = hr.reviewer(manager_record.manager_id) if manager_record else None
    candidates: list[tuple[Person | None, str]]
    if subject_id is None:
        candidates = [(fallback, "app_fallback")]
    elif manager is not None:
        candidates = [
            (manager, "manager"),
            (grand, "manager_of_manager"),
            (fallback, "app_fallback"),
        ]
    else:
        candidates = [(fallback, "app_fallback"), (grand, "manager_of_manager")]
    for person, rule in candidates:
        if person is not None and person.employee_id != subject_id:
            return Assignment(person.employee_id, rule)
    return _UNASSIGNED


_UNASSIGNED = Assignment(None, "unassigned")


def _resolve_person(
    con: duckdb.DuckDBPyConnection, config: Config, hr_snapshot_id: int | None, who: str
) -> Person:
    hr = HrDirectory.load(con, hr_snapshot_id)
    person = hr.get(who) or hr.by_email.get(normalise_email(config, who))
    if person is None:
        raise ReviewError(
            f"delegate: {who!r} is not an employee id or email in the campaign's HR data"
        )
    if not person.available:
        raise ReviewError(f"delegate: {person.employee_id} has left and cannot review")
    return person


def delegate(
    config: Config,
    actor: Actor,
    campaign_id: int,
    item_ids: Sequence[int],
    to: str,
    reason: str,
) -> int:
    """Move items to another reviewer (employee id or email) with a reason; return how many moved.

    The current reviewer may delegate their own items; security and admin may reassign any item
    (including unassigned ones). Refused for items whose subject is the new reviewer, items already
    signed off, and in closed campaigns.
    """
    require_writer(actor, "delegate review items")
    reason = (reason or "").strip()
    if not reason:
        raise ReviewError("delegation needs a reason (it is recorded in the campaign log)")
    if not item_ids:
        return 0

    def work(con: duckdb.DuckDBPyConnection) -> int:
        from scimaudit.review.campaigns import require_open, snapshot_of

        require_open(con, campaign_id)
        target = _resolve_person(con, config, snapshot_of(con, campaign_id), to)
        signed = {
            r[0]
            for r in con.execute(
                "SELECT reviewer_id FROM campaign_signoff WHERE campaign_id = ?", [campaign_id]
            ).fetchall()
        }
        if target.employee_id in signed:
            raise ReviewError(
                f"delegate: {target.employee_id} has already signed off this campaign"
            )
        rows = con.execute(
            "SELECT i.item_id, coalesce(i.employee_id, i.owner_id), r.reviewer_id"
            " FROM campaign_item i JOIN campaign_item_reviewer r USING (campaign_id, item_id)"
            " WHERE i.campaign_id = ? AND i.item_id IN (SELECT unnest(?::INTEGER[]))",
            [campaign_id, list(item_ids)],
        ).fetchall()
        found = {int(r[0]) for r in rows}
        missing = sorted(set(item_ids) - found)
        if missing:
            raise ReviewError(f"campaign {campaign_id} has no item(s) {missing[:10]}")
        records = []
        for item_id, subject, current in rows:
            if actor.role not in ADMINISTER and current != actor.employee_id:
                raise PermissionDeniedError(
                    f"{actor.email} may not delegate item {item_id}: it is not in their queue"
                )
            if current in signed:
                raise ReviewError(f"item {item_id}: its reviewer has signed off; it can't move")
            if subject is not None and subject == target.employee_id:
                raise PermissionDeniedError(
                    f"item {item_id} is {target.employee_id}'s own access: nobody reviews their own"
                )
            records.append(
                chain.NewRecord(
                    kind="delegation",
                    item_id=int(item_id),
                    reviewer_id=target.employee_id,
                    from_reviewer_id=current,
                    reason=reason,
                    actor=actor.email,
                    actor_employee_id=actor.employee_id,
                    actor_role=actor.role,
                    method="bulk" if len(item_ids) > 1 else "single",
                )
            )
        chain.append(con, campaign_id, records)
        return len(records)

    return chain.write_transaction(config, work)
