"""Reviewers' decisions: keep or revoke, with the rules that make a review worth an auditor's trust.

- Only the item's current reviewer decides it, and never about their own access (also when HR
  matched the account by email only); auditors are read-only; a decision needs an authenticated
  actor.
- Revoking needs a reason; so does keeping anything flagged by an open finding.
- A decision can be changed until the reviewer signs off (or the campaign closes); every change is a
  new record in the hash-chained log (:mod:`scimaudit.review.chain`), never an update.
- "Keep all unflagged" is allowed, and recorded as one bulk action (a shared ``bulk_id``) so
  evidence shows which keeps were looked at one by one.
- Signing off needs every item in the reviewer's queue decided; it locks them.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from scimaudit.config import Config
from scimaudit.errors import PermissionDeniedError, ReviewError
from scimaudit.review import chain
from scimaudit.review.actors import Actor, require_writer
from scimaudit.review.campaigns import require_open
from scimaudit.review.chain import ChainVerification
from scimaudit.store.review_state import review_db

DECISIONS = ("keep", "revoke")
MAX_REASON = 1000


@dataclass(frozen=True)
class _Item:
    item_id: int
    subject: str | None
    user_name: str | None
    person_email: str | None
    flagged: bool
    reviewer_id: str | None
    decision: str | None
    reason: str | None


def _reviewer_identity(actor: Actor, action: str) -> str:
    require_writer(actor, action)
    if actor.method == "cli" or not actor.email:
        raise PermissionDeniedError(f"{action}: only a signed-in reviewer can do this")
    if actor.employee_id is None:
        raise PermissionDeniedError(
            f"{actor.email} is not matched to an HR record, so has no review queue"
        )
    return actor.employee_id


def _load_items(
    con: sqlite3.Connection, campaign_id: int, item_ids: Sequence[int] | None, reviewer: str
) -> list[_Item]:
    sql = (
        "SELECT i.item_id, coalesce(i.employee_id, i.owner_id), i.user_name, i.person_email,"
        " i.flagged, r.reviewer_id, d.decision, d.reason"
        " FROM campaign_item i JOIN campaign_item_reviewer r USING (campaign_id, item_id)"
        " LEFT JOIN campaign_decision_current d USING (campaign_id, item_id)"
        " WHERE i.campaign_id = ?"
    )
    params: list[object] = [campaign_id]
    if item_ids is None:
        sql += " AND r.reviewer_id = ?"
        params.append(reviewer)
    else:
        sql += " AND i.item_id IN (SELECT value FROM json_each(?))"
        params.append(orjson.dumps([int(i) for i in item_ids]).decode())
    rows = con.execute(sql + " ORDER BY i.item_id", params).fetchall()
    items = [_Item(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6], r[7]) for r in rows]
    if item_ids is not None:
        missing = sorted(set(item_ids) - {i.item_id for i in items})
        if missing:
            raise ReviewError(f"campaign {campaign_id} has no item(s) {missing[:10]}")
    return items


def _check_may_decide(
    con: sqlite3.Connection,
    actor: Actor,
    reviewer: str,
    campaign_id: int,
    items: list[_Item],
) -> None:
    signed = con.execute(
        "SELECT 1 FROM review_log WHERE campaign_id = ? AND kind = 'signoff' AND reviewer_id = ?",
        [campaign_id, reviewer],
    ).fetchone()
    if signed:
        raise ReviewError(f"you signed off campaign {campaign_id}; your decisions are final")
    own = {actor.email.lower()}
    for item in items:
        if item.reviewer_id != reviewer:
            raise PermissionDeniedError(f"item {item.item_id} is not in your review queue")
        if item.subject == reviewer or (
            (item.user_name or "").lower() in own or (item.person_email or "").lower() in own
        ):
            raise PermissionDeniedError(
                f"item {item.item_id} is your own access: nobody reviews their own access"
            )


def decide(
    config: Config,
    actor: Actor,
    campaign_id: int,
    item_ids: Sequence[int],
    decision: str,
    reason: str | None = None,
) -> int:
    """Record ``decision`` on the given items of the actor's queue; return how many changed.

    Several items at once are one bulk action. An item already carrying the same decision and reason
    is left alone (no duplicate record).
    """
    reviewer = _reviewer_identity(actor, "decide review items")
    if decision not in DECISIONS:
        raise ReviewError(f"decision {decision!r}: choose keep or revoke")
    text = (reason or "").strip()
    if len(text) > MAX_REASON:
        raise ReviewError(f"reason too long ({len(text)} characters; at most {MAX_REASON})")
    if not item_ids:
        return 0

    def work(con: sqlite3.Connection) -> int:
        require_open(con, campaign_id)
        items = _load_items(con, campaign_id, item_ids, reviewer)
        _check_may_decide(con, actor, reviewer, campaign_id, items)
        if decision == "revoke" and not text:
            raise ReviewError("revoking needs a reason (it goes to the app owner and the evidence)")
        flagged = [i.item_id for i in items if i.flagged]
        if decision == "keep" and flagged and not text:
            raise ReviewError(
                f"keeping flagged item(s) {flagged[:10]} needs a reason: a finding says this"
                " access may be wrong"
            )
        todo = [i for i in items if (i.decision, i.reason or "") != (decision, text)]
        bulk_id = str(uuid.uuid4()) if len(todo) > 1 else None
        chain.append(
            con,
            campaign_id,
            [
                chain.NewRecord(
                    kind="decision",
                    item_id=i.item_id,
                    decision=decision,
                    reason=text or None,
                    reviewer_id=reviewer,
                    actor=actor.email,
                    actor_employee_id=actor.employee_id,
                    actor_role=actor.role,
                    method="bulk" if bulk_id else "single",
                    bulk_id=bulk_id,
                )
                for i in todo
            ],
        )
        return len(todo)

    return chain.write_transaction(config, work)


def keep_all_unflagged(
    config: Config, actor: Actor, campaign_id: int, item_ids: Sequence[int] | None = None
) -> int:
    """Keep every undecided, unflagged item of the actor's queue (or ``item_ids``) as one bulk."""
    reviewer = _reviewer_identity(actor, "bulk-keep review items")

    def work(con: sqlite3.Connection) -> int:
        require_open(con, campaign_id)
        items = _load_items(con, campaign_id, item_ids, reviewer)
        _check_may_decide(con, actor, reviewer, campaign_id, items)
        todo = [i for i in items if not i.flagged and i.decision is None]
        bulk_id = str(uuid.uuid4())
        chain.append(
            con,
            campaign_id,
            [
                chain.NewRecord(
                    kind="decision",
                    item_id=i.item_id,
                    decision="keep",
                    reason="bulk: keep all unflagged",
                    reviewer_id=reviewer,
                    actor=actor.email,
                    actor_employee_id=actor.employee_id,
                    actor_role=actor.role,
                    method="bulk",
                    bulk_id=bulk_id,
                )
                for i in todo
            ],
        )
        return len(todo)

    return chain.write_transaction(config, work)


def sign_off(config: Config, actor: Actor, campaign_id: int) -> int:
    """Certify the actor's whole queue (every item decided); return how many items it covers."""
    reviewer = _reviewer_identity(actor, "sign off a review")

    def work(con: sqlite3.Connection) -> int:
        require_open(con, campaign_id)
        items = _load_items(con, campaign_id, None, reviewer)
        if not items:
            raise ReviewError(f"you have no items in campaign {campaign_id} to sign off")
        _check_may_decide(con, actor, reviewer, campaign_id, items)
        undecided = [i.item_id for i in items if i.decision is None]
        if undecided:
            raise ReviewError(
                f"{len(undecided)} item(s) still undecided (e.g. {undecided[:5]});"
                " decide them first"
            )
        chain.append(
            con,
            campaign_id,
            [
                chain.NewRecord(
                    kind="signoff",
                    reviewer_id=reviewer,
                    reason=f"{len(items)} item(s) certified",
                    actor=actor.email,
                    actor_employee_id=actor.employee_id,
                    actor_role=actor.role,
                    method="single",
                )
            ],
        )
        return len(items)

    return chain.write_transaction(config, work)


def verify_chain(config: Config, campaign_id: int) -> ChainVerification:
    """Check the campaign's frozen items and every log record against their hashes."""
    with review_db(config.store.path) as con:
        return chain.verify_chain(con, campaign_id)
