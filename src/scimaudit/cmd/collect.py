"""``scimaudit collect``: pull every configured source into a new snapshot each.

Sources: the HR export (``[hr]``), each sign-in export (``[[activity]]``) and every SCIM app
(``[[apps]]``). One failed source does not stop the others; the command then exits non-zero with a
summary naming each failed source and why (exit 5 for apps; a lone HR/config failure keeps its own
code). Snapshots left ``running`` by a killed earlier run are marked failed first.

A refused file is only useful if the user sees *why*: under each failed HR/activity source the
summary lists the first 20 problems exactly as the importer worded them (``file:line: column:
message``), then "... and N more", and where the rejected rows were written; ``--json`` carries
every problem. An HR import under ``allow_errors`` that set rows aside is ``partial``: not a
failure (exit 0), but said on stderr with the same list, never shown as plain ``complete``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

import click
import orjson

from scimaudit.cmd.common import config_from
from scimaudit.collect.activity import import_activity
from scimaudit.collect.hr import import_hr
from scimaudit.collect.hr.rejects import problem_dicts
from scimaudit.collect.scim import collect_apps
from scimaudit.config import Config
from scimaudit.errors import (
    CollectionError,
    ConfigError,
    RowProblemsError,
    ScimauditError,
    Terminated,
)
from scimaudit.output import print_rows
from scimaudit.store import snapshots
from scimaudit.store.connect import connect

SOURCES = ("hr", "activity", "apps")
TABLE_COLUMNS = ("kind", "source", "status", "snapshot_id", "counts", "detail")
"""The table's columns; the problems themselves are printed under it (stderr) and in --json."""


@dataclass
class SourceOutcome:
    """One line of the summary, and for a file source the problems that explain it.

    ``lines`` are what is printed under the source (context, the first problems, "... and N
    more", the reject file); ``problems`` is every problem, for ``--json``.
    """

    kind: str
    source: str
    status: str
    snapshot_id: int | None = None
    counts: dict[str, Any] = field(default_factory=dict)
    detail: str = ""
    exit_code: int = 0
    lines: list[str] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    reject_file: str | None = None

    def row(self) -> dict[str, Any]:
        """The outcome as one row of the ``--json`` summary."""
        return {
            "kind": self.kind,
            "source": self.source,
            "status": self.status,
            "snapshot_id": self.snapshot_id,
            "counts": self.counts,
            "detail": self.detail,
            "problems": self.problems,
            "reject_file": self.reject_file,
        }

    @property
    def ok(self) -> bool:
        """Complete, or partial by the user's choice (``allow_errors``)."""
        return self.status in ("complete", "partial")

    def block(self) -> list[str]:
        """The source's summary line and, indented under it, its problem lines."""
        return [f"{self.kind} {self.source}: {self.detail}", *(f"  {x}" for x in self.lines)]


def _file_source(kind: str, name: str, run: Any) -> SourceOutcome:
    """Run one file import (HR or activity) and turn its outcome into a summary line.

    A row-level failure keeps every problem for ``--json`` and the first ones for the table; a
    partial import (``allow_errors``) is reported as ``partial`` with the same detail, so one bad
    file never hides the other sources' results.
    """
    try:
        result = run()
    except RowProblemsError as exc:
        return SourceOutcome(
            kind,
            name,
            "failed",
            exc.snapshot_id,
            detail=exc.headline,
            exit_code=exc.exit_code,
            lines=exc.detail_lines(),
            problems=problem_dicts(exc.problems, exc.path),
            reject_file=exc.reject_file,
        )
    except ScimauditError as exc:
        lines = str(exc).splitlines() or [type(exc).__name__]
        return SourceOutcome(
            kind, name, "failed", detail=lines[0], exit_code=exc.exit_code, lines=lines[1:]
        )
    counts = {"rows": result.rows_read, "imported": result.imported, "rejected": result.rejected}
    if not result.partial:
        detail = f"sha256 {result.sha256[:12]}"
        return SourceOutcome(kind, name, "complete", result.snapshot_id, counts, detail)
    partial = RowProblemsError(
        str(result.path), result.problems, reject_file=str(result.reject_file)
    )
    return SourceOutcome(
        kind,
        name,
        "partial",
        result.snapshot_id,
        counts,
        f"{result.rejected} of {result.rows_read} row(s) rejected (allow_errors); "
        f"snapshot {result.snapshot_id} is partial",
        lines=partial.detail_lines(),
        problems=problem_dicts(result.problems, str(result.path)),
        reject_file=str(result.reject_file),
    )


def collect_sources(
    config: Config, sources: set[str], app_names: list[str], *, progress: bool
) -> list[SourceOutcome]:
    """Collect the chosen sources; never raises for a source that fails (see the outcomes)."""
    with connect(config.store.path, lock_timeout=config.store.lock_timeout_seconds) as con:
        snapshots.reap_interrupted(con)
    out: list[SourceOutcome] = []
    if "hr" in sources:
        if config.hr is None:
            if sources != set(SOURCES):
                raise ConfigError(f"{config.source}: --source hr, but there is no [hr] section")
        else:
            out.append(_file_source("hr", "hr", lambda: import_hr(config)))
    if "activity" in sources:
        for activity in config.activity:
            out.append(
                _file_source(
                    "activity",
                    activity.path.stem,
                    lambda activity=activity: import_activity(config, activity),
                )
            )
    if "apps" in sources:
        for result in collect_apps(config, app_names or None, progress=progress):
            out.append(
                SourceOutcome(
                    "app",
                    result.app,
                    result.status,
                    result.snapshot_id,
                    dict(result.counts),
                    result.error or f"sha256 {(result.sha256 or '')[:12]}",
                    result.exit_code,
                )
            )
    return out


def failure(outcomes: list[SourceOutcome]) -> ScimauditError | None:
    """The error to exit with when any source failed: names every failed source and why.

    Under each failed file source come its problem lines (see :meth:`SourceOutcome.block`).
    """
    failed = [o for o in outcomes if not o.ok]
    if not failed:
        return None
    lines = [line for o in failed for line in o.block()]
    error = CollectionError(
        f"{len(failed)} of {len(outcomes)} source(s) not collected completely "
        "(their previous complete snapshots stay current):\n  " + "\n  ".join(lines)
    )
    codes = {o.exit_code for o in failed if o.exit_code}
    if len(codes) == 1:
        error.exit_code = codes.pop()
    return error


@click.command("collect")
@click.option(
    "--app",
    "app_names",
    multiple=True,
    metavar="NAME",
    help="Collect only this app (repeatable). Implies --source apps.",
)
@click.option(
    "--source",
    "source_kinds",
    multiple=True,
    type=click.Choice(SOURCES),
    help="Collect only this kind of source (repeatable). Default: all.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary on stdout.")
@click.option("--no-progress", is_flag=True, help="No progress bars or progress log lines.")
@click.pass_context
def command(
    ctx: click.Context,
    app_names: tuple[str, ...],
    source_kinds: tuple[str, ...],
    as_json: bool,
    no_progress: bool,
) -> None:
    """Pull the HR export, activity exports and SCIM apps into new snapshots.

    A snapshot is complete only when everything reconciles; otherwise it is kept as failed, the
    previous complete one stays current, and the exit code is non-zero.
    """
    config = config_from(ctx)
    sources = set(source_kinds) or ({"apps"} if app_names else set(SOURCES))
    if app_names and "apps" not in sources:
        raise ConfigError("--app needs --source apps (or no --source)")
    for name in app_names:
        config.app(name)  # unknown names fail before anything is collected
    try:
        outcomes = collect_sources(config, sources, list(app_names), progress=not no_progress)
    except KeyboardInterrupt as exc:
        # Ctrl-C or SIGTERM: what was loaded stays (a failed snapshot, kept for diagnosis), and
        # the snapshots say so now rather than "running" until the next collect notices.
        how = "SIGTERM" if isinstance(exc, Terminated) else "Ctrl-C"
        with connect(config.store.path, lock_timeout=config.store.lock_timeout_seconds) as con:
            ended = snapshots.fail_own_running(con, f"stopped by {how} before finishing")
        if ended:
            click.echo(f"snapshots {', '.join(map(str, ended))} closed as failed", err=True)
        raise
    rows = [o.row() for o in outcomes]
    if as_json:
        click.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
    elif rows:
        for row in rows:
            row["counts"] = " ".join(f"{k}={v:,}" for k, v in row["counts"].items())
        width = None if sys.stdout.isatty() else 200
        print_rows(rows, "table", columns=TABLE_COLUMNS, title="collect", width=width)
    else:
        click.echo("nothing to collect: the config has no [hr], [[activity]] or [[apps]]")
    for outcome in outcomes:
        if outcome.status == "partial":
            click.echo("warning: " + "\n  ".join(outcome.block()), err=True)
    error = failure(outcomes)
    if error is not None:
        raise error
