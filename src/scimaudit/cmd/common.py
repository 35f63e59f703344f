"""Helpers shared by CLI commands: config loading from the click context and output formats."""

from __future__ import annotations

from typing import Any

import click

from scimaudit.config import Config, load_config

FORMAT_OPTION = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help="Output format.",
)


def config_from(ctx: click.Context) -> Config:
    """Load the config named by the global ``--config`` option (or its defaults)."""
    root = ctx.find_root()
    path = root.obj.get("config_path") if root.obj else None
    return load_config(path)


def obj(ctx: click.Context) -> dict[str, Any]:
    """The root context's shared dict (global options such as ``--config``), created if absent."""
    root = ctx.find_root()
    root.ensure_object(dict)
    assert isinstance(root.obj, dict)
    return root.obj
