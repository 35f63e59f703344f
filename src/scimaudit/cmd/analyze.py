"""``scimaudit analyze``: link accounts to people and run every finding, as of a date."""

from __future__ import annotations

import sys
from datetime import date, datetime
from typing import Any

import click

from scimaudit.analytics.results import RunSummary
from scimaudit.analytics.runner import run_analysis
from scimaudit.cmd.common import config_from
from scimaudit.output import print_rows, to_json

AS_OF_OPTION = click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    metavar="YYYY-MM-DD",
    help="Analysis date: use the snapshots current at the end of that day (default: today, UTC).",
)


def as_date(value: datetime | None) -> date | None:
    """The calendar day of ``--as-of`` (click parses it as a datetime), or None for today."""
    return value.date() if value is not None else None


def summary_rows(summary: RunSummary) -> list[dict[str, Any]]:
    """One row per (kind, app): tested, not assessable, open, exempted."""
    return [
        {
            "kind": c.kind,
            "app": c.app,
            "tested": c.tested,
            "n/a": c.not_assessable,
            "open": c.open,
            "exempted": c.exempted,
        }
        for c in summary.counts
    ]


@click.command("analyze")
@AS_OF_OPTION
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Output format of the run summary.",
)
@click.pass_context
def command(ctx: click.Context, as_of: datetime | None, fmt: str) -> None:
    """Link every account to an HR person and run every finding; store the run.

    Uses only complete snapshots: when an app's newest pull failed, its last complete snapshot is
    analysed and the run says so; with none at all the analysis refuses (exit 6). See
    `scimaudit findings` for the results.
    """
    config = config_from(ctx)
    summary = run_analysis(config, as_of=as_date(as_of))
    if fmt == "json":
        print(
            to_json(
                [
                    {
                        "run_id": summary.run_id,
                        "as_of": summary.as_of,
                        "snapshot_ids": summary.snapshot_ids,
                        "notes": list(summary.notes),
                        "accounts": summary.accounts,
                        "linked": summary.linked,
                        "service": summary.service,
                        "unmatched": summary.unmatched,
                        "ambiguous": summary.ambiguous,
                        "open_findings": summary.open_findings,
                        "exempted_findings": summary.exempted_findings,
                        "pending_deprovisioning": summary.pending_deprovisioning,
                        "populations": summary_rows(summary),
                    }
                ]
            )
        )
        return
    click.echo(
        f"analysis run {summary.run_id} as of {summary.as_of}: {summary.accounts:,} accounts, "
        f"{summary.linked:,} linked to people, {summary.service:,} service, "
        f"{summary.unmatched:,} unmatched ({summary.ambiguous:,} ambiguous) "
        f"in {summary.elapsed_seconds:.1f}s"
    )
    click.echo("snapshots: " + ", ".join(f"{k}={v}" for k, v in summary.snapshot_ids.items()))
    for note in summary.notes:
        click.echo(f"note: {note}")
    rows = [r for r in summary_rows(summary) if r["open"] or r["exempted"] or r["n/a"]]
    width = None if sys.stdout.isatty() else 100
    print_rows(rows, "table", title="findings by kind and app", width=width)
    click.echo(
        f"{summary.open_findings:,} open finding(s), {summary.exempted_findings:,} exempted; "
        "list them with `scimaudit findings`"
    )
    if summary.pending_deprovisioning:
        click.echo(
            f"{summary.pending_deprovisioning:,} leaver account(s) pending deprovisioning (inside"
            " the SLA, not findings yet); deadlines: `scimaudit findings --pending`"
        )
