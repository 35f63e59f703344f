"""``scimaudit report``: write an evidence pack (PDF/A-3b, data attached) and its manifest."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from scimaudit.cmd.common import config_from
from scimaudit.reporting.spec import REPORT_KINDS

_DATE = click.DateTime(formats=["%Y-%m-%d"])


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


@click.command("report")
@click.argument("kind", type=click.Choice(REPORT_KINDS))
@click.option(
    "--period-start",
    type=_DATE,
    default=None,
    help="First day of the period tested (default: 90 days before the period end).",
)
@click.option(
    "--period-end",
    type=_DATE,
    default=None,
    help="Last day of the period (default: the population as-of date).",
)
@click.option(
    "--as-of",
    "as_of",
    type=_DATE,
    default=None,
    help="Population date: an analysis run as of exactly this day (default: the latest).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the PDF and its manifest (default: [report].out_dir).",
)
@click.option(
    "--campaign",
    "campaign_id",
    type=int,
    default=None,
    help="Review campaign whose sign-offs fill section 8 (default: the latest campaign with "
    "sign-offs whose analysis run lies in the period; none: a blank signature block).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Build even if completeness checks fail; every page is then marked NOT VALID AS EVIDENCE.",
)
@click.pass_context
def command(
    ctx: click.Context,
    kind: str,
    period_start: datetime | None,
    period_end: datetime | None,
    as_of: datetime | None,
    out_dir: Path | None,
    campaign_id: int | None,
    force: bool,
) -> None:
    """Write a SOX, HIPAA, leavers or privileged-access evidence pack.

    The PDF/A-3b carries the full population, the exceptions, a reproducible sample, the SQL of
    every rule and a manifest of SHA-256 hashes as attachments; the same manifest, plus the hash
    of the PDF, is written beside it. Set SOURCE_DATE_EPOCH for a byte-reproducible pack.
    """
    from scimaudit.reporting.build import build_report  # weasyprint + matplotlib: import on use

    config = config_from(ctx)
    result = build_report(
        config,
        kind,
        as_of=_day(as_of),
        period_start=_day(period_start),
        period_end=_day(period_end),
        out_dir=out_dir or config.report.out_dir,
        force=force,
        campaign_id=campaign_id,
    )
    status = "valid as evidence" if result.valid_as_evidence else "NOT VALID AS EVIDENCE"
    click.echo(
        f"{result.report_id}: {result.pages} pages, {result.population_rows:,} accounts, "
        f"{result.exceptions:,} exceptions ({status}{', signed' if result.signed else ''})"
    )
    click.echo(f"  pdf:      {result.pdf_path}")
    click.echo(f"  manifest: {result.manifest_path}")
    click.echo(f"  sha256:   {result.pdf_sha256}")
    if not result.valid_as_evidence:
        click.echo(
            "warning: completeness checks failed; the pack is marked NOT VALID AS EVIDENCE "
            "(see section 3.3)",
            err=True,
        )
