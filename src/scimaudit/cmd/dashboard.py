"""``scimaudit dashboard``: run the Streamlit dashboard headless on 127.0.0.1.

It listens on loopback only: for other people to reach it, put an authenticating reverse proxy in
front (and use ``[dashboard] auth = "header"``) or serve it with OIDC sign-in. The config file's
absolute path travels to the app in ``SCIMAUDIT_CONFIG``; the app opens the store per request, so
collections can run at the same time.
"""

from __future__ import annotations

import subprocess

import click

from scimaudit.cmd.common import config_from
from scimaudit.dashboard_process import dashboard_argv, dashboard_env
from scimaudit.errors import ScimauditError
from scimaudit.webauth.signin import require_proxy_proof_configured


@click.command("dashboard")
@click.option("--port", type=int, default=8501, show_default=True, help="Port on 127.0.0.1.")
@click.pass_context
def command(ctx: click.Context, port: int) -> None:
    """Serve the review dashboard on http://127.0.0.1:PORT until Ctrl-C."""
    config = config_from(ctx)  # fail here, with a clear message, if the config is wrong
    if config.dashboard.auth == "users" and not config.dashboard.users:
        raise ScimauditError(
            "no dashboard users configured: add [[dashboard.users]] entries (email, role,"
            " password_hash from `scimaudit hash-password`) or set [dashboard] auth"
        )
    require_proxy_proof_configured(config)
    click.echo(f"dashboard on http://127.0.0.1:{port} (Ctrl-C to stop)")
    try:
        result = subprocess.run(dashboard_argv(port), env=dashboard_env(config), check=False)
    except KeyboardInterrupt:
        return
    if result.returncode not in (0, -2, 130):
        raise ScimauditError(f"dashboard stopped with status {result.returncode}")
