"""``scimaudit verify``: recompute an evidence pack's hashes and compare them with the store."""

from __future__ import annotations

from pathlib import Path

import click

from scimaudit.cmd.common import FORMAT_OPTION, config_from
from scimaudit.errors import ConfigError
from scimaudit.output import print_rows

_RESULT = {True: "PASS", False: "FAIL", None: "skipped"}


@click.command("verify")
@click.argument("pdf", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--store",
    "store",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="DuckDB store to recompute the population from (default: the configured one).",
)
@click.option("--no-store", is_flag=True, help="Check the file and its attachments only.")
@FORMAT_OPTION
@click.pass_context
def command(ctx: click.Context, pdf: Path, store: Path | None, no_store: bool, fmt: str) -> None:
    """Check that an evidence pack is intact and consistent with the store.

    Compares the PDF with the manifest beside it, every attachment with the embedded manifest,
    a signature if there is one, and (when the store is available) recomputes the population and
    exceptions from the stored snapshots. Exit 8 when anything does not match.
    """
    from scimaudit.reporting.verify import require_ok, verify_pack

    lock_timeout = 30.0
    note = ""
    if not no_store and store is None:
        try:
            config = config_from(ctx)
        except ConfigError as exc:
            note = f"store not checked: {str(exc).splitlines()[0]}"
        else:
            store, lock_timeout = config.store.path, config.store.lock_timeout_seconds
    report = verify_pack(pdf, store_path=None if no_store else store, lock_timeout=lock_timeout)
    rows = [{"check": c.name, "result": _RESULT[c.ok], "detail": c.detail} for c in report.checks]
    print_rows(
        rows, fmt, columns=("check", "result", "detail"), title=f"{pdf.name} ({report.report_id})"
    )
    if note and fmt == "table":
        click.echo(note, err=True)
    require_ok(report)
    if fmt == "table":
        passed = sum(1 for c in report.checks if c.ok)
        skipped = sum(1 for c in report.checks if c.ok is None)
        click.echo(f"OK: {pdf.name} is intact ({passed} checks passed, {skipped} skipped)")
