"""Start and supervise the Streamlit dashboard process on 127.0.0.1.

Shared by ``scimaudit dashboard`` (runs it in the foreground) and the demo (runs it in the
background next to the loopback SCIM servers), so both serve it with the same hardened options.
The config file's absolute path travels to the app in ``SCIMAUDIT_CONFIG``; the app opens the store
per request, so collections can run at the same time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from scimaudit.config import CONFIG_ENV, Config
from scimaudit.errors import ScimauditError
from scimaudit.resources import dashboard_app
from scimaudit.webauth.signin import require_proxy_proof_configured


def dashboard_argv(port: int) -> list[str]:
    """The command line that serves the dashboard on 127.0.0.1:``port``."""
    app = dashboard_app()
    server = app.with_name("server.py")  # app.py behind a middleware that closes /_stcore/metrics
    if not server.is_file():
        raise ScimauditError(f"{server}: dashboard server wrapper not found beside {app.name}")
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(server),
        "--server.headless=true",
        "--server.address=127.0.0.1",
        f"--server.port={port}",
        "--browser.gatherUsageStats=false",
        "--server.fileWatcherType=none",
        "--server.runOnSave=false",
        "--client.toolbarMode=minimal",
        # the grids' own "Download as CSV" (and copy) would hand spreadsheet formulas from SCIM
        # data or typed reasons to Excel as they are; the app's export buttons defuse them
        "--client.disableDataExport=true",
        # a traceback (paths, SQL) helps an attacker, not a manager: the browser gets a generic
        # message, the dashboard's log the details
        "--client.showErrorDetails=none",
        "--theme.base=light",
        "--theme.primaryColor=#2457c5",
    ]


def dashboard_env(config: Config) -> dict[str, str]:
    """The dashboard's environment: ours plus the config file's absolute path in ``CONFIG_ENV``.

    Absolute, so the app finds the same file whatever its working directory. Without a config file
    (built in code) nothing is added.
    """
    env = dict(os.environ)
    if config.source is not None:
        env[CONFIG_ENV] = str(Path(config.source).resolve())
    return env


def start_dashboard(
    config: Config, *, port: int = 8501, log: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start the dashboard in the background and wait until it answers; the caller stops it."""
    require_proxy_proof_configured(config)
    out = log.open("ab") if log else subprocess.DEVNULL
    proc = subprocess.Popen(
        dashboard_argv(port), env=dashboard_env(config), stdout=out, stderr=subprocess.STDOUT
    )
    try:
        wait_until_healthy(port, proc=proc)
    except BaseException:
        proc.terminate()
        proc.wait(10)
        raise
    return proc


def wait_until_healthy(
    port: int, *, timeout: float = 60.0, proc: subprocess.Popen[bytes] | None = None
) -> None:
    """Poll ``/_stcore/health`` until the server answers ``ok``."""
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{port}/_stcore/health"
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise ScimauditError(f"dashboard exited with status {proc.returncode} while starting")
        try:
            if httpx.get(url, timeout=2).text.strip() == "ok":
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise ScimauditError(f"dashboard did not answer on {url} within {timeout:.0f}s")
