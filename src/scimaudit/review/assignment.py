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
introduce it either. Delegation (:mod:`scimaudit.review.delegation`) moves items to another
active HR person with a recorded reason, in the campaign's log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb


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
