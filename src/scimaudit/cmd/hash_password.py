"""``scimaudit hash-password``: make an argon2id hash for a ``[[dashboard.users]]`` entry."""

from __future__ import annotations

import sys

import click

from scimaudit.webauth.passwords import hash_password


@click.command("hash-password")
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the password from standard input.")
def command(from_stdin: bool) -> None:
    """Print an argon2id hash of a dashboard password (asked twice, not echoed).

    Paste it as password_hash of the user's [[dashboard.users]] entry; the password itself is never
    stored.
    """
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    click.echo(hash_password(password))
