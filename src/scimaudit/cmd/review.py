"""``scimaudit review start|status|remind|close|evidence|verify``: access-review campaigns.

The CLI administers campaigns (recorded as ``cli:<os user>``, admin role); reviewers decide in the
dashboard, where they are signed in: no decision is ever recorded without an authenticated person.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from scimaudit.cmd.common import FORMAT_OPTION, config_from
from scimaudit.errors import VerificationError
from scimaudit.output import print_rows
from scimaudit.reporting.campaign_close import (
    close_campaign,
    close_due_campaigns,
    write_campaign_evidence,
)
from scimaudit.review.actors import cli_actor
from scimaudit.review.campaigns import start_campaign
from scimaudit.review.decisions import verify_chain
from scimaudit.review.items import ACCESS_SCOPES
from scimaudit.review.queries import campaign_overview, reviewer_progress, status_rows
from scimaudit.review.reminders import remind


def _date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    """Click callback: parse ``YYYY-MM-DD`` into a date, with a usage error naming the bad value."""
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2025-03-31") from None


@click.group("review")
def command() -> None:
    """Access-review campaigns: start, follow, remind, close, export evidence."""


@command.command("start")
@click.option("--name", required=True, help="Campaign name, e.g. 'Q2 2025 SOX apps'.")
@click.option(
    "--due", callback=_date, help="Due date YYYY-MM-DD (default: today + review.due_days)."
)
@click.option("--app", "apps", multiple=True, help="App to include (repeatable; default: all).")
@click.option("--framework", "frameworks", multiple=True, help="Only apps in SOX / HIPAA.")
@click.option(
    "--access",
    type=click.Choice(ACCESS_SCOPES),
    default="all",
    show_default=True,
    help="all access, privileged groups only, or access new since the last campaign.",
)
@click.option(
    "--default",
    "default_undecided",
    type=click.Choice(["keep", "revoke", "undecided"]),
    help="What closing does with undecided items (default: config review.default_undecided).",
)
@click.option(
    "--run", "run_id", type=int, help="Analysis run to freeze (default: latest complete)."
)
@click.pass_context
def start(
    ctx: click.Context,
    name: str,
    due: date | None,
    apps: tuple[str, ...],
    frameworks: tuple[str, ...],
    access: str,
    default_undecided: str | None,
    run_id: int | None,
) -> None:
    """Freeze a new campaign's items from the latest complete analysis and assign reviewers."""
    from datetime import timedelta

    config = config_from(ctx)
    due = due or date.today() + timedelta(days=config.review.due_days)
    campaign_id = start_campaign(
        config,
        name=name,
        due=due,
        actor=cli_actor().email,
        apps=list(apps) or None,
        frameworks=list(frameworks) or None,
        access=access,  # type: ignore[arg-type]
        run_id=run_id,
        default_undecided=default_undecided,
    )
    rows = status_rows(campaign_overview(config, cli_actor()))
    row = next(r for r in rows if r["campaign_id"] == campaign_id)
    click.echo(
        f"started campaign {campaign_id} ({name}): {row['items']} item(s), {row['reviewers']}"
        f" reviewer(s), {row['unassigned']} unassigned, due {due.isoformat()}"
    )
    if row["unassigned"]:
        click.echo(
            "  some items have no reviewer (no manager and no app fallback_reviewer): reassign"
            " them in the dashboard's Campaigns page",
            err=True,
        )


@command.command("status")
@click.argument("campaign_id", type=int, required=False)
@FORMAT_OPTION
@click.pass_context
def status(ctx: click.Context, campaign_id: int | None, fmt: str) -> None:
    """List campaigns with progress, or one campaign's progress by reviewer."""
    config = config_from(ctx)
    if campaign_id is None:
        rows = status_rows(campaign_overview(config, cli_actor()))
        cols = [
            "campaign_id",
            "name",
            "status",
            "due",
            "overdue",
            "items",
            "decided",
            "revoked",
            "undecided",
            "unassigned",
            "reviewers",
            "signed_off",
        ]
        print_rows(rows, fmt, columns=cols, title="Review campaigns")
        return
    rows = status_rows(reviewer_progress(config, cli_actor(), campaign_id))
    cols = [
        "reviewer_id",
        "reviewer",
        "email",
        "items",
        "decided",
        "revoked",
        "undecided",
        "progress",
        "signed_at",
    ]
    print_rows(rows, fmt, columns=cols, title=f"Campaign {campaign_id}: progress by reviewer")


@command.command("remind")
@click.argument("campaign_id", type=int)
@click.option("--today", callback=_date, help="As-of date YYYY-MM-DD (default: today).")
@FORMAT_OPTION
@click.pass_context
def remind_cmd(ctx: click.Context, campaign_id: int, today: date | None, fmt: str) -> None:
    """Email each reviewer with undecided items (once a day) and record it in the campaign log.

    Without [notifications] in the config, lists them (one line per reviewer) to send on.
    """
    config = config_from(ctx)
    reminders = remind(config, cli_actor(), campaign_id, today=today)
    if fmt == "table":
        for r in reminders:
            click.echo(r.text)
        if not reminders:
            click.echo(f"campaign {campaign_id}: nothing left to decide")
        return
    print_rows(
        [
            {
                "reviewer_id": r.reviewer_id,
                "name": r.name,
                "email": r.email,
                "undecided": r.undecided,
                "due": r.due,
                "status": r.status,
            }
            for r in reminders
        ],
        fmt,
    )


@command.command("close")
@click.argument("campaign_id", type=int, required=False)
@click.option(
    "--due", "due_only", is_flag=True, help="Close every open campaign past its due date."
)
@click.option("--today", callback=_date, help="Date to judge due dates by (default: today).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--no-pdf", is_flag=True, help="Write the CSVs only.")
@click.pass_context
def close(
    ctx: click.Context,
    campaign_id: int | None,
    due_only: bool,
    today: date | None,
    out_dir: Path | None,
    no_pdf: bool,
) -> None:
    """Close a campaign now (or all overdue ones with --due) and write its evidence."""
    if (campaign_id is None) == (not due_only):
        raise click.UsageError("give a CAMPAIGN_ID, or --due to close every overdue campaign")
    config = config_from(ctx)
    if due_only:
        results = close_due_campaigns(config, cli_actor(), today=today, pdf=not no_pdf)
    else:
        assert campaign_id is not None
        results = [
            close_campaign(config, cli_actor(), campaign_id, out_dir=out_dir, pdf=not no_pdf)
        ]
    if not results:
        click.echo("no open campaign is past its due date")
    for r in results:
        click.echo(
            f"closed campaign {r.campaign_id}: default {r.default} applied to {r.defaulted}"
            f" item(s), {r.undecided} left undecided"
        )
        for path in r.files:
            click.echo(f"  {path}")


@command.command("evidence")
@click.argument("campaign_id", type=int)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--no-pdf", is_flag=True, help="Write the CSVs only.")
@click.pass_context
def evidence(ctx: click.Context, campaign_id: int, out_dir: Path | None, no_pdf: bool) -> None:
    """(Re)write a campaign's evidence CSVs and PDF from the store (interim if still open)."""
    config = config_from(ctx)
    for path in write_campaign_evidence(config, campaign_id, out_dir=out_dir, pdf=not no_pdf):
        click.echo(str(path))


@command.command("verify")
@click.argument("campaign_id", type=int)
@click.pass_context
def verify(ctx: click.Context, campaign_id: int) -> None:
    """Re-check a campaign's frozen items and hash-chained log; exit 8 if anything changed."""
    result = verify_chain(config_from(ctx), campaign_id)
    if not result.ok:
        raise VerificationError(
            f"campaign {campaign_id}: log does not verify\n" + "\n".join(result.problems)
        )
    click.echo(f"campaign {campaign_id}: items and {result.records} log record(s) verified")
