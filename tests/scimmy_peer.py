"""Run SCIMMY (node) as a second, independent SCIM 2.0 peer on 127.0.0.1.

Why a second peer: a collector tested only against scim2-server learns scim2-server's habits.
SCIMMY 1.3.5 with scimmy-routers 1.3.2 is another codebase in another language, with other
quirks (``itemsPerPage`` echoes the requested ``count``, no ETags, projections drop ``schemas``);
the node project in ``tests/peers/scimmy/`` wires it to an in-memory store. Install it with
``make peers`` (``npm ci --prefix tests/peers/scimmy``). Test code: it lives here, beside its
node project, and not in the runtime package (the demo needs only scim2-server).

URL layout: one service provider per process, at ``http://127.0.0.1:P/scim/v2``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import time
from pathlib import Path
from typing import Self

import httpx
import orjson

from scimaudit.demo.loopback import (
    LOOPBACK,
    LoopbackPeer,
    ManagedProcess,
    PeerError,
    PeerStartError,
    wait_until_ready,
)

__all__ = ["ScimmyProcess", "default_project_dir"]

BASE_PATH = "/scim/v2"


def default_project_dir() -> Path:
    """Return ``tests/peers/scimmy``, the node project beside this file."""
    return Path(__file__).resolve().parent / "peers" / "scimmy"


class ScimmyProcess(LoopbackPeer):
    """The SCIMMY peer (``node server.js``), started as a child process on 127.0.0.1.

    Use it as a context manager; on exit the server is stopped and reaped::

        with ScimmyProcess() as peer:
            seed(peer.base_url(), peer.token, users, groups)

    The server binds port 0 and reports the port it got on its first stdout line, so no port
    can be lost to a race.

    :param token: the bearer token (RFC 6750) every request must carry; random when omitted.
    :param max_page_size: announced as ``filter.maxResults`` and enforced on ``count``
        (RFC 7644 §3.4.2.4); SCIMMY's default is 200.
    :param project_dir: the node project holding ``server.js`` and ``node_modules``.
    :param node: the node executable; found on PATH when omitted.
    :param startup_timeout: seconds to wait for the ready line and ``/ServiceProviderConfig``.
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        max_page_size: int = 200,
        project_dir: Path | None = None,
        node: str | None = None,
        startup_timeout: float = 30.0,
    ) -> None:
        if max_page_size < 1:
            raise ValueError("max_page_size must be at least 1")
        self._token = token or secrets.token_urlsafe(24)
        self.max_page_size = max_page_size
        self.project_dir = project_dir or default_project_dir()
        self.node = node
        self.startup_timeout = startup_timeout
        self.port: int | None = None
        self.process: ManagedProcess | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    def base_url(self, tenant: str | None = None) -> str:
        """Return the SCIM base URL, ``http://127.0.0.1:P/scim/v2``, without a trailing slash.

        SCIMMY serves one provider per process; ``tenant`` exists for the same call shape as
        :meth:`Scim2ServerProcess.base_url` and must be None.
        """
        if tenant is not None:
            raise KeyError(f"the SCIMMY peer has no tenants, asked for {tenant!r}")
        return f"{self.origin}{BASE_PATH}"

    def _find_node(self) -> str:
        node = shutil.which(self.node or "node")
        if node is None:
            raise PeerStartError(
                f"{self.node or 'node'} was not found (the SCIMMY peer needs Node.js 20): "
                "install it (e.g. apt-get install nodejs npm), then run make peers"
            )
        return node

    def _check_project(self) -> None:
        server = self.project_dir / "server.js"
        if not server.is_file():
            raise PeerStartError(f"{server} is missing: pass project_dir, the SCIMMY node project")
        for package in ("scimmy", "scimmy-routers", "express"):
            if not (self.project_dir / "node_modules" / package / "package.json").is_file():
                raise PeerStartError(
                    f"{self.project_dir}/node_modules/{package} is missing: run make peers "
                    f"(npm ci --prefix {self.project_dir})"
                )

    def start(self) -> Self:
        """Start the server and wait until it answers ``/ServiceProviderConfig``."""
        if self.process is not None and not self.process.exited():
            raise PeerError("the server is already running")
        self.port = None
        node = self._find_node()
        self._check_project()
        self._tmp = tempfile.TemporaryDirectory(prefix="scimaudit-scimmy-")
        argv = [
            node,
            "server.js",
            "--host",
            LOOPBACK,
            "--port",
            "0",
            "--max-page-size",
            str(self.max_page_size),
            "--exit-on-stdin-eof",
        ]
        # The token travels in the environment, not argv, so `ps` does not show it.
        env = {**os.environ, "SCIMMY_PEER_TOKEN": self._token, "NODE_ENV": "production"}
        try:
            self.process = ManagedProcess(
                argv, log_dir=Path(self._tmp.name), name="scimmy", cwd=self.project_dir, env=env
            )
            wait_until_ready(
                self.process, self._ready, timeout=self.startup_timeout, what="SCIMMY peer"
            )
        except BaseException:
            self.stop()
            raise
        return self

    def _ready(self) -> bool:
        """Read the port from the ready line, then check the service answers with our token."""
        assert self.process is not None
        if self.port is None:
            for line in self.process.stdout_text().splitlines():
                if line.startswith("{"):
                    event = orjson.loads(line)
                    if event.get("event") == "ready":
                        self.port = int(event["port"])
                        break
            if self.port is None:
                time.sleep(0.02)
                return False
        response = httpx.get(
            f"{self.base_url()}/ServiceProviderConfig",
            headers={"Authorization": f"Bearer {self._token}"},
            timeout=2.0,
        )
        return response.status_code == 200
