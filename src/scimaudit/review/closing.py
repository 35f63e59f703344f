"""Closing a campaign: at its due date or on demand, with the configured default for undecided
items.

Closing appends, in one transaction, a decision record for every undecided item when the campaign's
default is keep or revoke (method ``close_default``, one bulk, so evidence never confuses them with
a reviewer's choice), then the ``close`` record; after it nothing in the campaign can change. It
then writes the campaign's evidence: three CSVs and a PDF/A-3b carrying them (:mod:`campaign_pdf`).
"""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from scimaudit.config import Config
from scimaudit.reporting.signoff import SignOff
from scimaudit.review import chain
from scimaudit.review.actors import ADMINISTER, Actor, require_role
from scimaudit.review.campaigns import list_campaigns, require_open
from scimaudit.review.db import open_store
from scimaudit.review.evidence import CampaignEvidence, campaign_evidence, write_evidence_csvs
from scimaudit.store.review_state import review_db


@dataclass(frozen=True)
class CloseResult:
    campaign_id: int
    default: str
    defaulted: int
    undecided: int
    files: list[Path] = field(default_factory=list)


def evidence_dir(config: Config, campaign_id: int) -> Path:
    return config.report.out_dir / f"campaign-{campaign_id}"


def write_campaign_evidence(
    config: Config, campaign_id: int, *, out_dir: Path | None = None, pdf: bool = True
) -> list[Path]:
    """Write the campaign's CSVs (and PDF) from the store; return the paths (PDF last)."""
    from scimaudit.review.campaign_pdf import generation_time, write_campaign_pdf

    out = out_dir or evidence_dir(config, campaign_id)
    with open_store(config) as con:
        evidence = campaign_evidence(con, campaign_id, generated_at=generation_time())
    paths = write_evidence_csvs(evidence, out)
    if pdf:
        paths.append(write_campaign_pdf(config, evidence, out / f"campaign-{campaign_id}.pdf"))
    return paths


def close_campaign(
    config: Config,
    actor: Actor,
    campaign_id: int,
    *,
    reason: str = "closed on demand",
    out_dir: Path | None = None,
    pdf: bool = True,
) -> CloseResult:
    """Apply the default to undecided items, close the campaign and write its evidence."""
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

    result = chain.write_transaction(config, work)
    files = write_campaign_evidence(config, campaign_id, out_dir=out_dir, pdf=pdf)
    return CloseResult(
        result.campaign_id, result.default, result.defaulted, result.undecided, files
    )


def close_due_campaigns(
    config: Config, actor: Actor, *, today: date | None = None, pdf: bool = True
) -> list[CloseResult]:
    """Close every open campaign whose due date has passed (run daily, e.g. from cron)."""
    require_role(actor, ADMINISTER, "close review campaigns")
    day = today or date.today()
    with review_db(config.store.path) as con:
        due = [c for c in list_campaigns(con) if c.overdue(day)]
    return [
        close_campaign(
            config, actor, c.campaign_id, reason=f"due date {c.due.isoformat()} passed", pdf=pdf
        )
        for c in sorted(due, key=lambda c: c.campaign_id)
    ]


def campaign_signoffs(config: Config, campaign_id: int) -> list[SignOff]:
    """One :class:`~scimaudit.reporting.signoff.SignOff` per reviewer who signed off (for packs)."""
    with open_store(config) as con:
        evidence = campaign_evidence(con, campaign_id)
    return signoffs_from_evidence(evidence)


def signoffs_from_evidence(evidence: CampaignEvidence) -> list[SignOff]:
    """The sign-offs of already-read campaign evidence (packs read it on their own connection)."""
    campaign_id, name = evidence.info.campaign_id, evidence.info.name
    return [
        SignOff(
            role=f"Reviewer (campaign {campaign_id}: {name})",
            name=str(r["name"] or r["reviewer_id"]),
            statement=(
                f"Decided {r['decided']} of {r['items']} item(s): {r['kept']} kept, "
                f"{r['revoked']} revoked; {r['bulk_decided']} by bulk action, "
                f"{r['decided'] - r['bulk_decided'] - r['defaulted']} one by one"
                + (f", {r['defaulted']} by the close default" if r["defaulted"] else "")
            ),
            signed_at=r["signed_at"],
            reference=f"campaign {campaign_id}, reviewer {r['reviewer_id']}",
        )
        for r in evidence.reviewers
        if r["signed_at"] is not None
    ]


def campaign_evidence_files(
    config: Config, actor: Actor, campaign_id: int, *, pdf: bool = False
) -> dict[str, bytes]:
    """The campaign's evidence as downloads (file name → bytes), for security, auditors, admins."""
    import tempfile

    from scimaudit.review.actors import READ_ALL

    require_role(actor, READ_ALL, "download campaign evidence")
    with tempfile.TemporaryDirectory(prefix="scimaudit-campaign-") as tmp:
        paths = write_campaign_evidence(config, campaign_id, out_dir=Path(tmp), pdf=pdf)
        return {p.name: p.read_bytes() for p in paths}
