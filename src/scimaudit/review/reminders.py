"""Reminding reviewers: who still has undecided items, and a record that they were reminded.

There is no mail server in scope, so a reminder is a line per reviewer (name, email, undecided
count, due date) for the operator to send, and a ``reminder`` record in the campaign's hash-chained
log, so evidence shows the campaign was chased before any default applied at close.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlite3

from scimaudit.config import Config
from scimaudit.review import chain
from scimaudit.review.auth import ADMINISTER, Actor, require_role
from scimaudit.review.campaigns import require_open

PENDING_SQL = """
SELECT r.reviewer_id, max(i.reviewer_email) AS email, max(i.reviewer_name) AS name, count(*) AS n
FROM campaign_item_reviewer r
JOIN campaign_item i USING (campaign_id, item_id)
LEFT JOIN campaign_decision_current d USING (campaign_id, item_id)
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

    @property
    def text(self) -> str:
        who = self.name or self.reviewer_id or "(unassigned: an administrator must delegate)"
        return (
            f"{who} <{self.email or 'no email'}>: {self.undecided} access item(s) to review"
            f" by {self.due.isoformat()}"
        )


def remind(config: Config, actor: Actor, campaign_id: int) -> list[Reminder]:
    """List reviewers with undecided items and record one reminder per reviewer in the log."""
    require_role(actor, ADMINISTER, "send review reminders")

    def work(con: sqlite3.Connection) -> list[Reminder]:
        info = require_open(con, campaign_id)
        rows = con.execute(PENDING_SQL, [campaign_id]).fetchall()
        reminders = [Reminder(r[0], r[1], r[2], int(r[3]), info.due) for r in rows]
        chain.append(
            con,
            campaign_id,
            [
                chain.NewRecord(
                    kind="reminder",
                    reviewer_id=r.reviewer_id,
                    reason=f"{r.undecided} undecided",
                    actor=actor.email,
                    actor_employee_id=actor.employee_id,
                    actor_role=actor.role,
                    method=actor.method,
                )
                for r in reminders
                if r.reviewer_id is not None
            ],
        )
        return reminders

    return chain.write_transaction(config, work)
