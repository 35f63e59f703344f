"""``scimaudit access``: who had access to what on a date, from the stored snapshots."""

from __future__ import annotations

import sys
from datetime import datetime

import click

from scimaudit.analytics.access import ACCESS_COLUMNS, who_has_access
from scimaudit.cmd.analyze import AS_OF_OPTION, as_date
from scimaudit.cmd.common import FORMAT_OPTION, config_from
from scimaudit.output import print_rows, terminal_safe
from scimaudit.store.connect import connect

TABLE_COLUMNS = ("app", "user_name", "employee_id", "person", "hr_status", "group_name")


@click.command("access")
@click.option("--person", default=None, metavar="ID", help="Employee id or work email.")
@click.option("--app", default=None, metavar="NAME", help="One app.")
@click.option("--group", default=None, metavar="NAME", help="One group of --app (display name).")
@AS_OF_OPTION
@FORMAT_OPTION
@click.pass_context
def command(
    ctx: click.Context,
    person: str | None,
    app: str | None,
    group: str | None,
    as_of: datetime | None,
    fmt: str,
) -> None:
    """Who had access to what on a date: active accounts and their groups.

    Answered from the complete snapshots current at the end of --as-of (default today), linked to
    people the way `analyze` links them. Give --person, or --app (optionally with --group).
    """
    config = config_from(ctx)
    with connect(
        config.store.path, read_only=True, lock_timeout=config.store.lock_timeout_seconds
    ) as con:
        answer = who_has_access(
            con, config, as_of=as_date(as_of), person=person, app=app, group=group
        )
    if fmt != "table":
        print_rows(answer.rows, fmt, columns=ACCESS_COLUMNS)
        return
    snaps = ", ".join(f"{k}={v}" for k, v in answer.snapshot_ids.items())
    click.echo(f"access as of {answer.as_of} (snapshots {snaps})")
    for note in answer.notes:
        click.echo(f"note: {terminal_safe(note)}")
    if not answer.rows:
        click.echo("no active access matches")
        return
    width = None if sys.stdout.isatty() else 100
    print_rows(answer.rows, "table", columns=TABLE_COLUMNS, width=width)
    accounts = {(r["app"], r["account_id"]) for r in answer.rows}
    click.echo(f"{len(accounts)} active account(s), {len(answer.rows)} row(s)")
