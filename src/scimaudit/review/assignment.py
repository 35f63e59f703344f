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

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import orjson

from scimaudit.config import Config
from scimaudit.errors import PermissionDeniedError, ReviewError
from scimaudit.review import chain
from scimaudit.review.actors import (
    ADMINISTER,
    Actor,
    current_hr_snapshot_id,
    normalise_email,
    require_writer,
)
from scimaudit.review.db import open_store
from scimaudit.store.review_state import review_db


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


def _sign_in_refusal(config: Config, con: duckdb.DuckDBPyConnection, person: Person) -> str | None:
    """Why ``person`` could not sign in to decide a delegated item today, or None.

    Checked against the *current* HR snapshot (someone who left after the campaign started cannot
    sign in) and the dashboard's sign-in rules: with ``auth = "users"`` only listed users with a
    password; with a proxy or OIDC, listed users or, when ``unlisted_role = "manager"``, anyone HR
    knows.
    """
    current = HrDirectory.load(con, current_hr_snapshot_id(con)).get(person.employee_id)
    if current is not None and not current.available:
        return f"{person.employee_id} is terminated in the current HR data"
    email = normalise_email(config, person.email) if person.email else None
    listed = next(
        (
            u
            for u in config.dashboard.users
            if email is not None and normalise_email(config, u.email) == email
        ),
        None,
    )
    if email is None:
        return f"{person.employee_id} has no email in HR, so cannot sign in"
    if config.dashboard.auth == "users":
        if listed is None or not listed.password_hash:
            return f"{email} is not a dashboard user (dashboard.auth = users), so cannot sign in"
    elif listed is None and config.dashboard.unlisted_role != "manager":
        return f"{email} is not a configured dashboard user, so cannot sign in"
    if listed is not None and listed.role == "auditor":
        return f"{email} signs in as an auditor, who cannot decide"
    return None


@dataclass(frozen=True)
class _Target:
    person: Person
    subjects: dict[str, Person]


def _prepare(config: Config, campaign_id: int, to: str, subject_ids: Sequence[str]) -> _Target:
    """Resolve the new reviewer and the items' subjects from HR (DuckDB), before the write."""
    from scimaudit.review.campaigns import snapshot_of

    with review_db(config.store.path) as sq:
        snapshot = snapshot_of(sq, campaign_id)
    with open_store(config) as con:
        person = _resolve_person(con, config, snapshot, to)
        refusal = _sign_in_refusal(config, con, person)
        hr = HrDirectory.load(con, snapshot)
    if refusal:
        raise ReviewError(f"delegate: {refusal}")
    subjects = {s: p for s in subject_ids if (p := hr.get(s)) is not None}
    return _Target(person, subjects)


def _subjects(config: Config, campaign_id: int, item_ids: Sequence[int]) -> list[str]:
    with review_db(config.store.path) as sq:
        rows = sq.execute(
            "SELECT DISTINCT coalesce(employee_id, owner_id) FROM campaign_item"
            " WHERE campaign_id = ? AND item_id IN (SELECT value FROM json_each(?))",
            [campaign_id, orjson.dumps([int(i) for i in item_ids]).decode()],
        ).fetchall()
    return [str(r[0]) for r in rows if r[0] is not None]


def _peer_warnings(target: _Target) -> list[str]:
    new = target.person
    return [
        f"{new.employee_id} ({new.name or new.email}) is a peer of {s.employee_id}"
        f" ({s.name or s.email}): both report to {s.manager_id}; a peer reviewing a peer's"
        " access is not independent"
        for s in target.subjects.values()
        if s.manager_id is not None
        and s.manager_id == new.manager_id
        and s.employee_id != new.employee_id
    ]


def delegation_warnings(
    config: Config,
    campaign_id: int,
    item_ids: Sequence[int],
    to: str,
    *,
    actor: Actor | None = None,
) -> list[str]:
    """What to warn about before delegating (the new reviewer is a peer of a person reviewed).

    Raises the refusals :func:`delegate` would raise about the new reviewer (unknown,
    terminated, cannot sign in, and with ``actor`` the actor themselves), so a screen can refuse
    before asking for a confirmation rather than after.
    """
    target = _prepare(config, campaign_id, to, _subjects(config, campaign_id, item_ids))
    if actor is not None and target.person.employee_id == actor.employee_id:
        raise ReviewError("delegate: you cannot delegate items to yourself")
    return _peer_warnings(target)


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
    signed off, in closed campaigns, to oneself or the item's current reviewer, and to anyone who
    cannot sign in to decide (terminated in current HR, not a dashboard user, an auditor). A peer
    of the person reviewed (same manager) is allowed, with the warning from
    :func:`delegation_warnings` written into the record's reason so evidence shows it was known. A
    delegated item arrives undecided: the previous reviewer's changeable decision stays in the log
    but is not the item's decision any more.
    """
    require_writer(actor, "delegate review items")
    reason = (reason or "").strip()
    if not reason:
        raise ReviewError("delegation needs a reason (it is recorded in the campaign log)")
    if not item_ids:
        return 0
    target = _prepare(config, campaign_id, to, _subjects(config, campaign_id, item_ids))
    new_id = target.person.employee_id
    warnings = _peer_warnings(target)
    if warnings:
        reason += " [warned: " + "; ".join(warnings) + "]"

    def work(con: sqlite3.Connection) -> int:
        from scimaudit.review.campaigns import require_open

        require_open(con, campaign_id)
        signed = {
            r[0]
            for r in con.execute(
                "SELECT reviewer_id FROM campaign_signoff WHERE campaign_id = ?", [campaign_id]
            ).fetchall()
        }
        if new_id in signed:
            raise ReviewError(f"delegate: {new_id} has already signed off this campaign")
        rows = con.execute(
            "SELECT i.item_id, coalesce(i.employee_id, i.owner_id), r.reviewer_id"
            " FROM campaign_item i JOIN campaign_item_reviewer r"
            " ON r.campaign_id = i.campaign_id AND r.item_id = i.item_id"
            " WHERE i.campaign_id = ? AND i.item_id IN (SELECT value FROM json_each(?))",
            [campaign_id, orjson.dumps([int(i) for i in item_ids]).decode()],
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
            if subject is not None and subject == new_id:
                raise PermissionDeniedError(
                    f"item {item_id} is {new_id}'s own access: nobody reviews their own"
                )
            if new_id == actor.employee_id:
                raise ReviewError("delegate: you cannot delegate items to yourself")
            if current == new_id:
                raise ReviewError(f"item {item_id} is already in {new_id}'s queue")
            records.append(
                chain.NewRecord(
                    kind="delegation",
                    item_id=int(item_id),
                    reviewer_id=new_id,
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
