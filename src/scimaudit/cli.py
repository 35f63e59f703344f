"""The ``scimaudit`` command line: parse, call one library function, map errors to exit codes.

Commands live one per module in :mod:`scimaudit.cmd`; each module exposes ``command``. This
file only wires them into the group (imported lazily) and turns
:class:`~scimaudit.errors.ScimauditError` into a one-line message and the documented exit code (see
``errors.py``). Anything else is a bug: exit 70 with a short message (``SCIMAUDIT_DEBUG=1`` shows
the traceback).
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
import traceback

import click

from scimaudit import __version__
from scimaudit.errors import EXIT_BUG, ScimauditError, Terminated
from scimaudit.textsafe import terminal_safe

# name -> (module exposing ``command``, one-line summary shown by ``scimaudit --help``).
# Modules are imported only when their command runs: `scimaudit findings` should not pay for
# weasyprint, streamlit and the SCIM client. tests/test_cli.py checks each summary against the
# command's own help.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("scimaudit.cmd.init", "Write a commented starter scimaudit.toml."),
    "demo": (
        "scimaudit.cmd.demo",
        "Run the whole product on loopback SCIM servers and sample data.",
    ),
    "collect": (
        "scimaudit.cmd.collect",
        "Collect HR, sign-in exports and SCIM apps into snapshots.",
    ),
    "snapshots": ("scimaudit.cmd.snapshots", "List snapshots with status, counts and hashes."),
    "analyze": ("scimaudit.cmd.analyze", "Correlate accounts to people and run every finding."),
    "findings": ("scimaudit.cmd.findings", "List the latest analysis's findings."),
    "access": ("scimaudit.cmd.access", "Who had access to what, as of a date."),
    "report": ("scimaudit.cmd.report", "Write an evidence pack (PDF/A-3b) for SOX, HIPAA, ..."),
    "verify": (
        "scimaudit.cmd.verify",
        "Verify an evidence pack's hashes against itself and the store.",
    ),
    "review": ("scimaudit.cmd.review", "Access review campaigns: start, status, remind, close."),
    "dashboard": ("scimaudit.cmd.dashboard", "Serve the review and audit dashboard on 127.0.0.1."),
    "hash-password": ("scimaudit.cmd.hash_password", "Hash a dashboard user's password."),
    "remediate": ("scimaudit.cmd.remediate", "Plan, apply and verify revocations through SCIM."),
}


class LazyGroup(click.Group):
    """A group that imports a command's module only when that command is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module = importlib.import_module(COMMANDS[cmd_name][0])
            self.add_command(module.command, cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
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


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and map errors to messages and exit codes.

    SIGTERM (a service manager stopping us, a CI timeout) unwinds like Ctrl-C, so a collect can
    close its snapshots as failed "interrupted" at once instead of leaving them running.
    """
    signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        cli.main(args=argv, prog_name="scimaudit", standalone_mode=False)
    except click.exceptions.Abort as exc:  # click turns KeyboardInterrupt into Abort
        if isinstance(exc.__cause__, Terminated):
            click.echo("terminated", err=True)
            sys.exit(Terminated.exit_code)
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except ScimauditError as exc:
        click.echo(f"error: {terminal_safe(exc, keep_newlines=True)}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt as exc:
        click.echo("terminated" if isinstance(exc, Terminated) else "interrupted", err=True)
        sys.exit(getattr(exc, "exit_code", 130))
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
