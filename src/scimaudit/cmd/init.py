"""``scimaudit init``: write a commented starter config to edit."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import click

from scimaudit.cmd.common import obj
from scimaudit.config import config_path
from scimaudit.errors import ConfigError


def starter_config() -> str:
    """The commented starter configuration shipped with the package."""
    return resources.files("scimaudit").joinpath("starter.toml").read_text(encoding="utf-8")


@click.command("init")
@click.option("--force", is_flag=True, help="Overwrite an existing config file.")
@click.pass_context
def command(ctx: click.Context, force: bool) -> None:
    """Write a commented starter scimaudit.toml (or the --config path)."""
    path = config_path(obj(ctx).get("config_path"))
    if path.exists() and not force:
        raise ConfigError(f"{path}: already exists; pass --force to overwrite it")
    Path(path).write_text(starter_config(), encoding="utf-8")
    click.echo(f"wrote {path}: edit [hr] and [[apps]], then run `scimaudit collect`")
