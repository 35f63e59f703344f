"""The campaign evidence PDF: ``reports/templates/campaign.html`` → weasyprint → PDF/A-3b.

The body prints what an auditor reads (summary, reviewers, revocations, undecided and
flagged-but-kept items, chain verification; long lists capped and the cap stated); the complete
decision list, reviewer table and hash-chained log ride along as CSV attachments (PDF/A-3b keeps
attachments, 1b/2b drop them).

It sits beside the evidence packs' renderer so reporting is the one layer that renders evidence
(review only records decisions). It keeps its own small jinja2 environment because the campaign
template needs none of the packs' context; the conventions are the same (autoescape and
StrictUndefined, ``SOURCE_DATE_EPOCH`` pins every date so the same store gives the same bytes).
"""

from __future__ import annotations

import hashlib
import io
import os
from datetime import UTC, datetime
from pathlib import Path

import jinja2

from scimaudit import __version__
from scimaudit.config import Config
from scimaudit.errors import ReportError
from scimaudit.reporting.campaign_evidence import CampaignEvidence, evidence_csvs
from scimaudit.resources import report_templates_dir

PRINT_CAP = 200
"""Rows printed per list; the attachments carry all of them."""


def generation_time() -> datetime:
    """``SOURCE_DATE_EPOCH`` (reproducible builds) when set, else now (UTC)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), UTC)
        except ValueError:
            raise ReportError(f"SOURCE_DATE_EPOCH={epoch!r} is not a whole number") from None
    return datetime.now(UTC).replace(microsecond=0)


def _utc(value: datetime | None) -> str:
    """A stored time as ``YYYY-MM-DD HH:MM`` in UTC, or a dash (remediation stages not reached)."""
    return "—" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def render_html(config: Config, evidence: CampaignEvidence) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(report_templates_dir("campaign.html"))),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    flagged_kept = [i for i in evidence.items if i["flagged"] and i["decision"] == "keep"]
    env.globals["utc"] = _utc
    return env.get_template("campaign.html").render(
        ev=evidence,
        info=evidence.info,
        entity=config.report.entity,
        classification=config.report.classification,
        tool_version=__version__,
        cap=PRINT_CAP,
        flagged_kept=flagged_kept,
        decided=sum(1 for i in evidence.items if i["decision"] is not None),
        chain_head=evidence.log[-1]["record_hash"] if evidence.log else "(no records)",
    )


def write_campaign_pdf(config: Config, evidence: CampaignEvidence, path: Path) -> Path:
    """Render the campaign PDF/A-3b with its CSVs attached; return the path written."""
    import weasyprint

    html = render_html(config, evidence)
    stamp = evidence.generated_at
    attachments = [
        weasyprint.Attachment(
            string=text,
            name=name,
            description=f"campaign {evidence.info.campaign_id}: {name}",
            created=stamp,
            modified=stamp,
        )
        for name, text in sorted(evidence_csvs(evidence).items())
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    try:
        weasyprint.HTML(string=html, base_url=str(report_templates_dir())).write_pdf(
            buf,
            pdf_variant="pdf/a-3b",
            attachments=attachments,
            pdf_identifier=hashlib.sha256(html.encode()).digest()[:16],
        )
    except Exception as exc:  # weasyprint raises many kinds; the user needs one clear message
        raise ReportError(f"{path}: cannot render campaign PDF: {exc}") from None
    path.write_bytes(buf.getvalue())
    return path
