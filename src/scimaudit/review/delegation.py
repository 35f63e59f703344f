"""Delegation: an administrator or the assigned reviewer moves items to another reviewer.

The reviewer *policy* (who reviews an item by default) is :mod:`scimaudit.review.assignment`;
this is the *command* that changes it afterwards, with its refusals (oneself, someone who cannot
sign in) and its warning (a peer of the person reviewed). It sits above ``campaigns`` and
``assignment``, so the policy that builds campaign items never imports the campaign module.
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
from scimaudit.review.assignment import HrDirectory, Person
from scimaudit.review.campaigns import require_open, snapshot_of
from scimaudit.review.db import open_store
from scimaudit.store.review_state import review_db


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
