"""The CLI edge: every command has help and is in the README; errors are one line + exit code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from scimaudit.cli import COMMANDS as LAZY_COMMANDS
from scimaudit.cli import cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _all_commands() -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = []

    def walk(prefix: str, group: click.Group) -> None:
        ctx = click.Context(group)
        for name in group.list_commands(ctx):
            cmd = group.get_command(ctx, name)
            assert cmd is not None, f"{prefix} {name}: listed but cannot be loaded"
            full = f"{prefix} {name}".strip()
            found.append((full, cmd))
            if isinstance(cmd, click.Group):
                walk(full, cmd)

    walk("", cli)
    return found


COMMANDS = _all_commands()


def test_core_commands_exist() -> None:
    names = {name for name, _ in COMMANDS}
    assert {
        "init",
        "demo",
        "collect",
        "snapshots",
        "analyze",
        "findings",
        "access",
        "report",
        "verify",
        "review",
        "dashboard",
        "remediate",
    } <= names


@pytest.mark.parametrize("name", [name for name, _ in COMMANDS])
def test_every_command_has_help_and_is_documented(name: str) -> None:
    result = CliRunner().invoke(cli, [*name.split(), "--help"])
    assert result.exit_code == 0, result.output
    cmd = dict(COMMANDS)[name]
    assert (cmd.help or "").strip(), f"{name} has no help text"
    assert f"scimaudit {name}" in README, f"README does not document `scimaudit {name}`"


def test_lazy_summaries_match_each_command() -> None:
    """The summary `scimaudit --help` shows without importing must agree with the command."""
    for name, (_module, summary) in LAZY_COMMANDS.items():
        cmd = dict(COMMANDS)[name]
        assert cmd.name == name
        words = set(summary.lower().replace(".", "").split())
        own = (cmd.help or "").lower()
        assert any(w in own for w in words if len(w) > 4), f"{name}: summary unlike its help"


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scimaudit", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


def test_config_error_is_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "scimaudit.toml"
    bad.write_text('[policy]\nstale_after_days = "soon"\n')
    result = _run("--config", str(bad), "snapshots", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "policy.stale_after_days" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_config_names_the_file_and_exit_2(tmp_path: Path) -> None:
    result = _run("snapshots", cwd=tmp_path)
    assert result.returncode == 2
    assert "scimaudit.toml: config file not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_init_writes_valid_starter_and_refuses_overwrite(tmp_path: Path) -> None:
    first = _run("init", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "scimaudit.toml").exists()
    again = _run("init", cwd=tmp_path)
    assert again.returncode == 2
    assert "already exists" in again.stderr and "Traceback" not in again.stderr
