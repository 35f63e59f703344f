"""``scimaudit findings``: the findings of the latest analysis run, filtered, as table/JSON/CSV."""

from __future__ import annotations

import shutil
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

import click

from scimaudit.analytics.registry import KIND_IDS
from scimaudit.analytics.results import PENDING_COLUMNS, latest_findings, pending_deprovisioning
from scimaudit.analytics.selection import partial_hr_note
from scimaudit.cmd.common import FORMAT_OPTION, config_from
from scimaudit.output import print_rows, terminal_safe
from scimaudit.store import snapshots
from scimaudit.store.connect import connect

SEVERITY_LABEL = {"critical": "CRIT", "high": "HIGH", "medium": "MED", "low": "LOW"}
EXPORT_COLUMNS = (
    "kind",
    "app",
    "account_id",
    "user_name",
    "employee_id",
    "group_name",
    "severity",
    "status",
    "reason",
    "first_seen",
    "last_seen",
    "finding_key",
    "run_id",
    "snapshot_ids",
    "evidence",
    "exemption",
)


def _clean(value: Any) -> str:
    """Text safe for a terminal: control and invisible characters shown as escapes."""
    return terminal_safe(value)


def table_lines(rows: list[dict[str, Any]], width: int = 100) -> list[str]:
    """Two or more lines per finding: who/where on the first, the reason wrapped below it.

    Fits a 100-column terminal: the reason, the longest field, gets whole lines of its own.
    """
    lines = []
    for r in rows:
        who = _clean(r["user_name"] or r["account_id"] or "")
        if len(who) > 36:
            who = who[:35] + "…"
        head = (
            f"{SEVERITY_LABEL.get(r['severity'], r['severity']):<4} {_clean(r['kind']):<19}"
            f" {_clean(r['app'] or '*'):<10} {who:<36} {_clean(r['employee_id'] or '-'):<10}"
        )
        if r["status"] == "exempted":
            head += " EXEMPTED"
        lines.append(head.rstrip())
        reason = _clean(r["reason"])
        if r["group_name"] and r["kind"] in ("privileged_account", "role_drift"):
            reason = f"[{_clean(r['group_name'])}] {reason}"
        lines.extend(
            textwrap.wrap(reason, width=width, initial_indent="     ", subsequent_indent="     ")
        )
    return lines


def summary_lines(rows: list[dict[str, Any]]) -> list[str]:
    """One line per (kind, app): how many open and exempted findings."""
    counts: Counter[tuple[str, str, str]] = Counter(
        (r["kind"], r["app"] or "*", r["status"]) for r in rows
    )
    order = {k: i for i, k in enumerate(KIND_IDS)}
    keys = sorted({(k, a) for k, a, _ in counts}, key=lambda ka: (order.get(ka[0], 99), ka[1]))
    width = max((len(k) for k, _ in keys), default=0)
    return [
        f"{kind:<{width}}  {app:<8} {counts[(kind, app, 'open')]:>6} open"
        f" {counts[(kind, app, 'exempted')]:>5} exempted"
        for kind, app in keys
    ]


def hr_caveat(con: Any, run_id: int) -> str:
    """Why these findings may be off: the run's HR snapshot is partial (``allow_errors``)."""
    row = con.execute(
        "SELECT hr_snapshot_id FROM analysis_run WHERE run_id = ?", [run_id]
    ).fetchone()
    if row is None or row[0] is None:
        return ""
    return partial_hr_note(snapshots.get(con, int(row[0])))


@click.command("findings")
@click.option("--kind", type=click.Choice(KIND_IDS), default=None, help="Only this finding kind.")
@click.option("--app", default=None, metavar="NAME", help="Only findings of this app.")
@click.option(
    "--status",
    type=click.Choice(["open", "exempted", "all"]),
    default="all",
    show_default=True,
    help="Exempted findings stay listed unless you ask for open ones only.",
)
@click.option("--run", "run_id", type=int, default=None, help="A given run (default: latest).")
@click.option(
    "--pending",
    is_flag=True,
    help="List leaver accounts pending deprovisioning (inside the SLA) with their deadlines.",
)
@FORMAT_OPTION
@click.pass_context
def command(
    ctx: click.Context,
    kind: str | None,
    app: str | None,
    status: str,
    run_id: int | None,
    pending: bool,
    fmt: str,
) -> None:
    """List findings of the latest complete analysis run, most severe first.

    JSON is an array of objects (kind, app, account_id, user_name, employee_id, severity, reason,
    first_seen, ..., evidence); CSV has the same columns with spreadsheet formulas defused. The
    table ends with a summary line per kind and app.
    """
    config = config_from(ctx)
    if pending:
        show_pending(config.store.path, config.store.lock_timeout_seconds, app, run_id, fmt)
        return
    with connect(
        config.store.path, read_only=True, lock_timeout=config.store.lock_timeout_seconds
    ) as con:
        rows = latest_findings(
            con, kind=kind, app=app, status=None if status == "all" else status, run_id=run_id
        )
        caveat = hr_caveat(con, int(rows[0]["run_id"])) if rows else ""
    if fmt != "table":
        print_rows(rows, fmt, columns=EXPORT_COLUMNS)
        return
    width = min(shutil.get_terminal_size((100, 24)).columns, 120)
    if not rows:
        click.echo("no findings match")
    for line in table_lines(rows, width=max(width, 60)):
        click.echo(line)
    if rows:
        click.echo("")
        click.echo(f"{len(rows)} finding(s); by kind and app:")
    for line in summary_lines(rows):
        click.echo("  " + line)
    if caveat:
        click.echo(f"note: {caveat}")


def show_pending(
    store: Path, lock_timeout: float, app: str | None, run_id: int | None, fmt: str
) -> None:
    """``--pending``: leavers inside the deprovisioning SLA, soonest deadline first."""
    with connect(store, read_only=True, lock_timeout=lock_timeout) as con:
        rows = pending_deprovisioning(con, app=app, run_id=run_id)
    if fmt != "table":
        print_rows(rows, fmt, columns=PENDING_COLUMNS)
        return
    if not rows:
        click.echo("no account is pending deprovisioning")
        return
    for r in rows:
        who = _clean(r["user_name"] or r["account_id"])
        click.echo(
            f"{r['deadline']:%Y-%m-%d %H:%M} UTC  {_clean(r['app']):<10} {who:<36}"
            f" {_clean(r['employee_id'])}"
        )
    click.echo(f"{len(rows)} account(s) pending deprovisioning (not findings until the deadline)")
