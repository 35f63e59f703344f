"""A review campaign's evidence files, and closing a campaign with its evidence written.

The review layer closes the campaign (:mod:`scimaudit.review.closing`: the close-default decisions
and the ``close`` record, in one transaction); this module then writes the campaign's evidence:
three CSVs and a PDF/A-3b carrying them (:mod:`scimaudit.reporting.campaign_pdf`). It lives in
reporting because reporting is the one layer that renders evidence (issue 12: review imports
neither reporting nor remediation).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from scimaudit.config import Config
from scimaudit.reporting.campaign_evidence import campaign_evidence, write_evidence_csvs
from scimaudit.reporting.campaign_signoff import signoffs_from_evidence
from scimaudit.reporting.signoff import SignOff
from scimaudit.review.actors import READ_ALL, Actor, require_role
from scimaudit.review.closing import CloseResult, close_records, due_campaigns
from scimaudit.review.db import open_store


def evidence_dir(config: Config, campaign_id: int) -> Path:
    return config.report.out_dir / f"campaign-{campaign_id}"


def write_campaign_evidence(
    config: Config, campaign_id: int, *, out_dir: Path | None = None, pdf: bool = True
) -> list[Path]:
    """Write the campaign's CSVs (and PDF) from the store; return the paths (PDF last)."""
    from scimaudit.reporting.campaign_pdf import generation_time, write_campaign_pdf

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
    result = close_records(config, actor, campaign_id, reason=reason)
    files = write_campaign_evidence(config, campaign_id, out_dir=out_dir, pdf=pdf)
    return CloseResult(
        result.campaign_id, result.default, result.defaulted, result.undecided, files
    )


def close_due_campaigns(
    config: Config, actor: Actor, *, today: date | None = None, pdf: bool = True
) -> list[CloseResult]:
    """Close every open campaign whose due date has passed (run daily, e.g. from cron)."""
    return [
        close_campaign(
            config, actor, c.campaign_id, reason=f"due date {c.due.isoformat()} passed", pdf=pdf
        )
        for c in due_campaigns(config, actor, today=today)
    ]


def campaign_signoffs(config: Config, campaign_id: int) -> list[SignOff]:
    """One :class:`~scimaudit.reporting.signoff.SignOff` per reviewer who signed off (for packs)."""
    with open_store(config) as con:
        evidence = campaign_evidence(con, campaign_id)
    return signoffs_from_evidence(evidence)


def campaign_evidence_files(
    config: Config, actor: Actor, campaign_id: int, *, pdf: bool = False
) -> dict[str, bytes]:
    """The campaign's evidence as downloads (file name → bytes), for security, auditors, admins."""
    import tempfile

    require_role(actor, READ_ALL, "download campaign evidence")
    with tempfile.TemporaryDirectory(prefix="scimaudit-campaign-") as tmp:
        paths = write_campaign_evidence(config, campaign_id, out_dir=Path(tmp), pdf=pdf)
        return {p.name: p.read_bytes() for p in paths}
