"""Closing a campaign: at its due date or on demand, with the configured default for undecided
items.

Closing appends, in one transaction, a decision record for every undecided item when the campaign's
default is keep or revoke (method ``close_default``, one bulk, so evidence never confuses them with
a reviewer's choice), then the ``close`` record; after it nothing in the campaign can change.

Writing the campaign's evidence afterwards (CSVs and the PDF) is the reporting layer's job
(:mod:`scimaudit.reporting.campaign_close`), so review never imports a renderer.
"""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from scimaudit.config import Config
from scimaudit.review import chain
from scimaudit.review.actors import ADMINISTER, Actor, require_role
from scimaudit.review.campaigns import CampaignInfo, list_campaigns, require_open
from scimaudit.store.review_state import review_db


@dataclass(frozen=True)
class CloseResult:
    campaign_id: int
    default: str
    defaulted: int
    undecided: int
    files: list[Path] = field(default_factory=list)


def close_records(
    config: Config, actor: Actor, campaign_id: int, *, reason: str = "closed on demand"
) -> CloseResult:
    """Apply the default to undecided items and close the campaign (no evidence files)."""
    require_role(actor, ADMINISTER, "close a review campaign")

    def work(con: sqlite3.Connection) -> CloseResult:
        info = require_open(con, campaign_id)
        undecided = [
            int(r[0])
            for r in con.execute(
                "SELECT i.item_id FROM campaign_item i LEFT JOIN campaign_decision_current d"
                " USING (campaign_id, item_id) WHERE i.campaign_id = ? AND d.item_id IS NULL"
                " ORDER BY i.item_id",
                [campaign_id],
            ).fetchall()
        ]
        records: list[chain.NewRecord] = []
        if info.default_undecided in ("keep", "revoke") and undecided:
            bulk_id = str(uuid.uuid4())
            records += [
                chain.NewRecord(
                    kind="decision",
                    item_id=item_id,
                    decision=info.default_undecided,
                    reason=f"undecided at close; campaign default is {info.default_undecided}",
                    actor=actor.email,
                    actor_employee_id=actor.employee_id,
                    actor_role=actor.role,
                    method="close_default",
                    bulk_id=bulk_id,
                )
                for item_id in undecided
            ]
        records.append(
            chain.NewRecord(
                kind="close",
                reason=reason,
                actor=actor.email,
                actor_employee_id=actor.employee_id,
                actor_role=actor.role,
                method=actor.method,
            )
        )
        chain.append(con, campaign_id, records)
        defaulted = len(records) - 1
        return CloseResult(
            campaign_id, info.default_undecided, defaulted, len(undecided) - defaulted
        )

    return chain.write_transaction(config, work)


def due_campaigns(config: Config, actor: Actor, *, today: date | None = None) -> list[CampaignInfo]:
    """Open campaigns whose due date has passed, oldest first (the daily close job's work list)."""
    require_role(actor, ADMINISTER, "close review campaigns")
    day = today or date.today()
    with review_db(config.store.path) as con:
        due = [c for c in list_campaigns(con) if c.overdue(day)]
    return sorted(due, key=lambda c: c.campaign_id)
