"""``scimaudit verify``: recompute an evidence pack's hashes and compare them with the store."""

from __future__ import annotations

from pathlib import Path

import click

from scimaudit.cmd.common import FORMAT_OPTION, config_from
from scimaudit.errors import ConfigError
from scimaudit.output import print_rows


@click.command("verify")
@click.argument("pdf", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--store",
    "store",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="DuckDB store that issued the pack (default: the configured one).",
)
@click.option(
    "--no-store",
    is_flag=True,
    help="Check the file only: signature, attachments, cover figures (not the store's register).",
)
@FORMAT_OPTION
@click.pass_context
def command(ctx: click.Context, pdf: Path, store: Path | None, no_store: bool, fmt: str) -> None:
    """Check that an evidence pack is intact and consistent with the store.

    Checks the signature against the signer the embedded manifest names, every attachment, the
    figures printed on the cover and the generation date; with the store, that it issued exactly
    this file and that the population and exceptions recompute to the recorded hashes. Exit 0
    only when everything is proven (INTACT); exit 8 when anything does not match (FAILED); exit 11
    when nothing failed but a needed check could not run (INCONCLUSIVE).
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
    report = verify_pack(pdf, store_path=store, lock_timeout=lock_timeout, no_store=no_store)
    rows = [{"check": c.name, "result": c.result, "detail": c.detail} for c in report.checks]
    print_rows(
        rows, fmt, columns=("check", "result", "detail"), title=f"{pdf.name} ({report.report_id})"
    )
    if note and fmt == "table":
        click.echo(note, err=True)
    require_ok(report)
    if fmt == "table":
        passed = sum(1 for c in report.checks if c.ok)
        scope = " (file only: not compared with the store)" if no_store else ""
        click.echo(f"OK: {pdf.name} is intact{scope}: {passed} checks passed, none skipped")
