"""Reminding reviewers: one email per reviewer with undecided items, once a day, all on record.

``remind`` finds the reviewers who still have undecided items, *claims* each (campaign, reviewer,
day) in the review store (a second click, or a second administrator at the same moment, finds the
claim and sends nothing), sends the claimed emails through ``[notifications]`` outside any
transaction (a slow relay never holds up decisions), then appends one ``reminder`` record per
reviewer to the campaign's hash-chained log saying what happened: sent to whom with what count, or
why it failed. A failed send releases its claim, so retrying the same day tries it again.

Without ``[notifications]`` nothing is sent: the reminders are listed for the operator to send on,
and recorded as listed (also once a day). Unassigned items are listed (an administrator must
delegate them) but nobody is emailed.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, replace
from datetime import date

from scimaudit.config import Config
from scimaudit.errors import ReviewError
from scimaudit.review import chain
from scimaudit.review.actors import ADMINISTER, Actor, require_role
from scimaudit.review.campaigns import CampaignInfo, require_open
from scimaudit.review.mailer import ReminderMail, build_message, send_one, smtp_session
from scimaudit.store.review_state import review_db

PENDING_SQL = """
SELECT r.reviewer_id, max(i.reviewer_email) AS email, max(i.reviewer_name) AS name, count(*) AS n
FROM campaign_item_reviewer r
JOIN campaign_item i ON i.campaign_id = r.campaign_id AND i.item_id = r.item_id
LEFT JOIN campaign_decision_current d ON d.campaign_id = r.campaign_id AND d.item_id = r.item_id
WHERE r.campaign_id = ? AND d.item_id IS NULL
GROUP BY r.reviewer_id
ORDER BY r.reviewer_id NULLS FIRST
"""


@dataclass(frozen=True)
class Reminder:
    reviewer_id: str | None
    email: str | None
    name: str | None
    undecided: int
    due: date
    status: str = "listed"
    """sent | failed: why | already reminded today | listed (no [notifications]) | unassigned"""

    @property
    def text(self) -> str:
        who = self.name or self.reviewer_id or "(unassigned: an administrator must delegate)"
        return (
            f"{who} <{self.email or 'no email'}>: {self.undecided} access item(s) to review"
            f" by {self.due.isoformat()} [{self.status}]"
        )


def _pending(config: Config, campaign_id: int) -> tuple[CampaignInfo, list[Reminder]]:
    with review_db(config.store.path) as con:
        info = require_open(con, campaign_id)
        rows = con.execute(PENDING_SQL, [campaign_id]).fetchall()
    return info, [Reminder(r[0], r[1], r[2], int(r[3]), info.due) for r in rows]


def _claim(
    config: Config, campaign_id: int, day: date, wanted: list[Reminder], status: str
) -> set[str]:
    """Claim (campaign, reviewer, day) for each reminder; return the reviewer ids now ours."""

    def work(con: sqlite3.Connection) -> set[str]:
        require_open(con, campaign_id)
        mine: set[str] = set()
        for r in wanted:
            assert r.reviewer_id is not None
            row = con.execute(
                "SELECT status FROM reminder_delivery WHERE campaign_id = ? AND reviewer_id = ?"
                " AND day = ?",
                [campaign_id, r.reviewer_id, day.isoformat()],
            ).fetchone()
            if row is not None and row[0] != "failed":
                continue
            con.execute(
                "INSERT OR REPLACE INTO reminder_delivery (campaign_id, reviewer_id, day, status)"
                " VALUES (?, ?, ?, ?)",
                [campaign_id, r.reviewer_id, day.isoformat(), status],
            )
            mine.add(r.reviewer_id)
        return mine

    return chain.write_transaction(config, work)


def _record(
    config: Config, actor: Actor, campaign_id: int, day: date, outcomes: list[Reminder]
) -> None:
    """One ``reminder`` log record per outcome, and the claim's final status, in one unit."""

    def work(con: sqlite3.Connection) -> None:
        records = []
        for r in outcomes:
            assert r.reviewer_id is not None
            final = "failed" if r.status.startswith("failed") else r.status
            con.execute(
                "UPDATE reminder_delivery SET status = ? WHERE campaign_id = ? AND reviewer_id = ?"
                " AND day = ?",
                [final, campaign_id, r.reviewer_id, day.isoformat()],
            )
            if r.status == "sent":
                what = f"email sent to {r.email}: {r.undecided} undecided, due {r.due.isoformat()}"
            elif r.status == "listed":
                what = f"{r.undecided} undecided (listed; no [notifications] configured)"
            else:
                what = f"email to {r.email or '(no email)'} {r.status}; {r.undecided} undecided"
            records.append(
                chain.NewRecord(
                    kind="reminder",
                    reviewer_id=r.reviewer_id,
                    reason=f"{what} (reminder for {day.isoformat()})",
                    actor=actor.email,
                    actor_employee_id=actor.employee_id,
                    actor_role=actor.role,
                    method=actor.method,
                )
            )
        chain.append(con, campaign_id, records)

    chain.write_transaction(config, work)


def remind(
    config: Config, actor: Actor, campaign_id: int, *, today: date | None = None
) -> list[Reminder]:
    """Remind every reviewer with undecided items (at most once per ``today``); return outcomes."""
    require_role(actor, ADMINISTER, "send review reminders")
    day = today or date.today()
    info, pending = _pending(config, campaign_id)
    settings = config.notifications
    assigned = [r for r in pending if r.reviewer_id is not None]
    mine = _claim(config, campaign_id, day, assigned, "sending" if settings else "listed")
    out: list[Reminder] = []
    outcomes: list[Reminder] = []
    todo = [r for r in assigned if r.reviewer_id in mine]
    if settings is not None and todo:
        try:
            with smtp_session(settings) as smtp:
                for r in todo:
                    if not r.email:
                        outcomes.append(replace(r, status="failed: no email in HR"))
                        continue
                    mail = ReminderMail(
                        r.email, r.name, campaign_id, info.name, r.undecided, info.due, day
                    )
                    why = send_one(smtp, build_message(settings, mail))
                    outcomes.append(replace(r, status="sent" if why is None else f"failed: {why}"))
        except ReviewError as exc:  # the relay itself failed: every unsent one failed
            done = {o.reviewer_id for o in outcomes}
            outcomes += [
                replace(r, status=f"failed: {exc}") for r in todo if r.reviewer_id not in done
            ]
    else:
        outcomes = [replace(r, status="listed") for r in todo]
    _record(config, actor, campaign_id, day, outcomes)
    by_id = {o.reviewer_id: o for o in outcomes}
    for r in pending:
        if r.reviewer_id is None:
            out.append(replace(r, status="unassigned"))
        else:
            out.append(by_id.get(r.reviewer_id, replace(r, status="already reminded today")))
    return out
