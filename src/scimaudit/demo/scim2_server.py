"""Run scim2-server as a real SCIM 2.0 service provider on 127.0.0.1 (the demo's, and the tests').

Why a subprocess and not an in-process WSGI app: the collector must be exercised over real HTTP
(connection handling, timeouts, a server that answers slowly while it walks its store), and the
demo needs a server that outlives a single function call. The child is started from the same
interpreter (``sys.executable``), so it is the scim2-server pinned in this project's lock file.

URL layout of scim2-server 0.8.3 (read from ``scim2_server/applications/wsgi.py``):

* without tenants: ``http://127.0.0.1:P/v2/Users``;
* with ``--tenant a``: ``http://127.0.0.1:P/a/v2/Users`` (the URL-prefix method of
  RFC 7644 §6.1); an unknown tenant answers 404 "Unknown tenant".

scim2-server is an optional dependency, the ``demo`` extra: :func:`require_scim2_server` says
what to install when it is absent. The process handling lives in :mod:`scimaudit.demo.loopback`,
seeding in :mod:`scimaudit.demo.seed`.
"""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import os
import secrets
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, Self

import httpx
import orjson

from scimaudit.demo.loopback import (
    LOOPBACK,
    LoopbackPeer,
    ManagedProcess,
    PeerError,
    PeerStartError,
    find_free_port,
    wait_until_ready,
)
from scimaudit.errors import InstallationError

__all__ = ["SCIM2_SERVER_VERSION", "Scim2ServerProcess", "require_scim2_server"]

SCIM2_SERVER_VERSION = "0.8.3"
"""The scim2-server release whose CLI flags and URL layout this module was written against."""

TOKEN_ENV = "SCIMAUDIT_PEER_TOKEN"  # noqa: S105 (the name of a variable, not a secret)

# Runs scim2-server's own CLI, plus two things it lacks:
# * a watchdog: the parent holds the child's stdin open, so when the parent dies (even by SIGKILL)
#   the pipe closes, read() returns and the child leaves too. No orphaned server survives a
#   crashed or timed-out test run. os.read on the raw descriptor, not sys.stdin: a daemon thread
#   blocked inside a buffered reader aborts the interpreter at exit.
# * the token from the environment, so that it is not on the command line `ps` shows. The
#   "--flag=value" form matters: a token may start with "-", which argparse would take for an
#   option if it were a separate argument.
_SCIM2_SERVER_LAUNCHER = f"""\
import os, sys, threading
def _watch():
    while os.read(0, 4096):
        pass
    os._exit(0)
threading.Thread(target=_watch, daemon=True).start()
token = os.environ.pop("{TOKEN_ENV}")
sys.argv = ["scim2-server", *sys.argv[1:], "--bearer-token=" + token]
from scim2_server.testserver.cli import main
main()
"""

DEMO_EXTRA_HINT = (
    "uv tool install 'scimaudit[demo]', pipx install 'scimaudit[demo]', or "
    "pip install 'scimaudit[demo]'; in a checkout, make demo"
)


def require_scim2_server() -> None:
    """Fail with what to install unless the scim2-server release this module knows is installed.

    scim2-server is the ``demo`` extra, not a core dependency: a plain ``pipx install scimaudit``
    does not bring it, and without this check the demo would die inside a child process.
    """
    try:
        installed = importlib.metadata.version("scim2-server")
    except importlib.metadata.PackageNotFoundError:
        raise InstallationError(
            "the demo's SCIM servers need scim2-server, which is not installed: install "
            f"scimaudit with its 'demo' extra ({DEMO_EXTRA_HINT})"
        ) from None
    if installed != SCIM2_SERVER_VERSION:
        raise InstallationError(
            f"scim2-server {installed} is installed, the demo expects {SCIM2_SERVER_VERSION} "
            f"(its CLI and URL layout changed between releases): reinstall the 'demo' extra "
            f"({DEMO_EXTRA_HINT})"
        )


def _check_tenant(tenant: str) -> str:
    """Refuse tenant names scim2-server refuses, and any that would need URL escaping."""
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
    if not tenant or tenant == "v2" or not set(tenant) <= allowed:
        raise ValueError(f"invalid tenant name {tenant!r}: use letters, digits, '-', '_', '.'")
    return tenant


def service_provider_config(
    *,
    cursor: bool,
    index: bool,
    default_pagination: Literal["index", "cursor"] | None,
    max_page_size: int | None,
    default_page_size: int | None,
    cursor_timeout: int | None,
) -> dict[str, Any]:
    """Return scim2-server's default configuration with a ``pagination`` block (RFC 9865 §4).

    Starting from the defaults the installed server ships keeps every other capability (bulk,
    filter, sort, ETags) as that release announces it. ``max_page_size`` also lowers
    ``filter.maxResults`` (RFC 7644 §5), since the server bounds ``count`` by the smaller of the
    two.
    """
    resource = importlib.resources.files("scim2_server").joinpath(
        "resources/default-service-provider-config.json"
    )
    config: dict[str, Any] = orjson.loads(resource.read_bytes())
    pagination: dict[str, Any] = {"cursor": cursor, "index": index}
    method = default_pagination or ("index" if index else "cursor")
    pagination["defaultPaginationMethod"] = method
    if default_page_size is not None:
        pagination["defaultPageSize"] = default_page_size
    if max_page_size is not None:
        pagination["maxPageSize"] = max_page_size
        config["filter"] = {"supported": True, "maxResults": max_page_size}
    if cursor_timeout is not None:
        pagination["cursorTimeout"] = cursor_timeout
    config["pagination"] = pagination
    return config


class Scim2ServerProcess(LoopbackPeer):
    """scim2-server, started as a child process on 127.0.0.1 with one or more tenants.

    Use it as a context manager; on exit the server is stopped and reaped::

        with Scim2ServerProcess(["hr", "crm"], cursor=True) as server:
            seed(server.base_url("hr"), server.token, users, groups)

    :param tenants: one SCIM service provider per name, each with its own store, under
        ``/<tenant>/v2`` (RFC 7644 §6.1). An empty sequence serves a single provider at ``/v2``.
    :param token: the bearer token (RFC 6750) every request must carry; random when omitted.
    :param cursor: announce and accept cursor pagination (RFC 9865); needs the ``cursor`` extra.
    :param index: announce and accept index pagination (RFC 7644 §3.4.2.4).
    :param default_pagination: the method of a request that names none; defaults to index when
        index pagination is on (RFC 9865 §2.4).
    :param max_page_size: the largest ``count`` served; larger ones are lowered to it.
    :param default_page_size: the ``count`` of a request that gives none.
    :param cursor_timeout: seconds a cursor stays valid.
    :param startup_timeout: seconds to wait for ``/ServiceProviderConfig`` to answer.
    """

    def __init__(
        self,
        tenants: Sequence[str] = ("app",),
        *,
        token: str | None = None,
        cursor: bool = False,
        index: bool = True,
        default_pagination: Literal["index", "cursor"] | None = None,
        max_page_size: int | None = None,
        default_page_size: int | None = None,
        cursor_timeout: int | None = None,
        startup_timeout: float = 30.0,
    ) -> None:
        if isinstance(tenants, str):
            raise TypeError("tenants must be a sequence of names, not a single string")
        self.tenants = [_check_tenant(t) for t in tenants]
        if len(set(self.tenants)) != len(self.tenants):
            raise ValueError(f"duplicate tenant names: {self.tenants}")
        if not (cursor or index):
            raise ValueError("enable at least one of cursor and index pagination")
        self._token = token or secrets.token_urlsafe(24)
        self.cursor = cursor
        self.index = index
        self.default_pagination = default_pagination
        self.max_page_size = max_page_size
        self.default_page_size = default_page_size
        self.cursor_timeout = cursor_timeout
        self.startup_timeout = startup_timeout
        self.port: int | None = None
        self.process: ManagedProcess | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    def base_url(self, tenant: str | None = None) -> str:
        """Return the SCIM base URL of a tenant (``…/<tenant>/v2``), without a trailing slash.

        ``tenant`` may be omitted when the server has one tenant, or none.
        """
        if not self.tenants:
            if tenant is not None:
                raise KeyError(f"this server has no tenants, asked for {tenant!r}")
            return f"{self.origin}/v2"
        if tenant is None:
            if len(self.tenants) != 1:
                raise KeyError(f"name one of the tenants {self.tenants}")
            tenant = self.tenants[0]
        if tenant not in self.tenants:
            raise KeyError(f"unknown tenant {tenant!r}; this server has {self.tenants}")
        return f"{self.origin}/{tenant}/v2"

    def _argv(self, port: int, config_path: Path | None) -> list[str]:
        # -P: the current directory is not put on sys.path, so nothing there shadows the server.
        argv = [sys.executable, "-P", "-c", _SCIM2_SERVER_LAUNCHER]
        argv += ["--hostname", LOOPBACK, "--port", str(port)]
        argv += [f"--tenant={tenant}" for tenant in self.tenants]
        if config_path is not None:
            argv += ["--service-provider-config", str(config_path)]
        return argv

    def _needs_config(self) -> bool:
        """Whether any paging setting differs from scim2-server's defaults (needs a config file)."""
        return (
            self.cursor
            or not self.index
            or self.default_pagination is not None
            or self.max_page_size is not None
            or self.default_page_size is not None
            or self.cursor_timeout is not None
        )

    def start(self) -> Self:
        """Start the server and wait until every tenant answers ``/ServiceProviderConfig``."""
        if self.process is not None and not self.process.exited():
            raise PeerError("the server is already running")
        require_scim2_server()
        self._tmp = tempfile.TemporaryDirectory(prefix="scimaudit-scim2-server-")
        tmp = Path(self._tmp.name)
        config_path: Path | None = None
        if self._needs_config():
            config_path = tmp / "service-provider-config.json"
            config = service_provider_config(
                cursor=self.cursor,
                index=self.index,
                default_pagination=self.default_pagination,
                max_page_size=self.max_page_size,
                default_page_size=self.default_page_size,
                cursor_timeout=self.cursor_timeout,
            )
            config_path.write_bytes(orjson.dumps(config))
        try:
            self._start_on_free_port(tmp, config_path)
        except BaseException:
            self.stop()
            raise
        return self

    def _start_on_free_port(self, tmp: Path, config_path: Path | None) -> None:
        """Start the server; if another process took the port first, try another one."""
        for attempt in range(1, 4):
            self.port = find_free_port()
            argv = self._argv(self.port, config_path)
            self.process = ManagedProcess(
                argv,
                log_dir=tmp,
                name=f"scim2-server-{attempt}",
                env={**os.environ, "PYTHONUNBUFFERED": "1", TOKEN_ENV: self._token},
                # Shown in errors as the CLI it runs, without the launcher script.
                display=" ".join(["scim2-server", *argv[4:], "--bearer-token=***"]),
            )
            try:
                wait_until_ready(
                    self.process,
                    self._ready,
                    timeout=self.startup_timeout,
                    what="scim2-server",
                )
                return
            except PeerStartError:
                lost_port = self.process.exited() and "in use" in self.process.stderr_tail()
                self.process.stop()
                if not lost_port or attempt == 3:
                    raise

    def _ready(self) -> bool:
        """True once every tenant answers ``/ServiceProviderConfig`` with 200 (with our token)."""
        headers = {"Authorization": f"Bearer {self._token}"}
        names: list[str | None] = list(self.tenants) or [None]
        for tenant in names:
            url = f"{self.base_url(tenant)}/ServiceProviderConfig"
            if httpx.get(url, headers=headers, timeout=2.0).status_code != 200:
                return False
        return True
