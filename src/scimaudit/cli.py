"""The ``scimaudit`` command line: parse, call one library function, map errors to exit codes.

Commands live one per module in :mod:`scimaudit.cmd`; each module exposes ``command``. This file only
wires them into the group and turns :class:`~scimaudit.errors.ScimauditError` into a one-line message
and the documented exit code (see ``errors.py``). Anything else is a bug: exit 70 with a short message
(set ``SCIMAUDIT_DEBUG=1`` for the traceback).
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback

import click

from scimaudit import __version__
from scimaudit.errors import EXIT_BUG, ScimauditError

COMMAND_MODULES = [
    "scimaudit.cmd.init",
    "scimaudit.cmd.demo",
    "scimaudit.cmd.collect",
    "scimaudit.cmd.snapshots",
    "scimaudit.cmd.analyze",
    "scimaudit.cmd.findings",
    "scimaudit.cmd.access",
    "scimaudit.cmd.remediate",
    "scimaudit.cmd.review",
    "scimaudit.cmd.dashboard",
    "scimaudit.cmd.hash_password",
    "scimaudit.cmd.report",
    "scimaudit.cmd.verify",
]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Config file (default: $SCIMAUDIT_CONFIG, else ./scimaudit.toml).",
)
@click.version_option(__version__, prog_name="scimaudit")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None) -> None:
    """scimaudit: who has access to what, is it right, and the evidence to prove it.

    Collect SCIM apps and the HR export into DuckDB snapshots, find risky access, and produce
    evidence auditors accept.
    """
    ctx.ensure_object(dict)
    ctx.obj["config_path"] = config_path


for _module in COMMAND_MODULES:
    cli.add_command(importlib.import_module(_module).command)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and map errors to messages and exit codes."""
    try:
        cli.main(args=argv, prog_name="scimaudit", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except ScimauditError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug, not a user error
        if os.environ.get("SCIMAUDIT_DEBUG"):
            traceback.print_exc()
        click.echo(
            f"internal error ({type(exc).__name__}: {exc}); this is a bug in scimaudit. "
            "Re-run with SCIMAUDIT_DEBUG=1 for details.",
            err=True,
        )
        sys.exit(EXIT_BUG)
    sys.exit(0)
