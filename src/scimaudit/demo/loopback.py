"""Child processes on 127.0.0.1 that never outlive us: what every SCIM peer launcher shares.

The demo runs scim2-server through :class:`~scimaudit.demo.scim2_server.Scim2ServerProcess`; the
tests also run SCIMMY (``tests/scimmy_peer.py``) on the same base. Each launcher is a context
manager that stops and reaps its child on exit, and the child watches its stdin so that even a
parent killed by SIGKILL leaves no server behind.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Self

import httpx

__all__ = [
    "LOOPBACK",
    "LoopbackPeer",
    "ManagedProcess",
    "PeerError",
    "PeerStartError",
    "find_free_port",
    "wait_until_ready",
]

LOOPBACK = "127.0.0.1"


class PeerError(RuntimeError):
    """Base of the errors raised while running or seeding a loopback SCIM peer."""


class PeerStartError(PeerError):
    """A peer could not be started, or did not become ready in time."""


def find_free_port(host: str = LOOPBACK) -> int:
    """Return a TCP port on ``host`` that was free a moment ago.

    scim2-server prints the port it was given, not the one it bound, so ``--port 0`` cannot be
    used; a port is picked here instead. Another process may take it before the server binds it:
    :class:`Scim2ServerProcess` retries with a new port when that happens.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class ManagedProcess:
    """One child process, its log files, and a guaranteed end.

    Output goes to files, not pipes: a busy server logs a line per request to stderr, and a pipe
    nobody reads fills after 64 KiB and blocks the server mid-test. The files also give the last
    lines of stderr for error messages. stdin is a pipe held open for the child's watchdog.
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        log_dir: Path,
        name: str,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        display: str | None = None,
    ) -> None:
        self.argv = list(argv)
        self.name = name
        # The command as error messages show it: secrets and inline scripts left out.
        self.display = display or " ".join(self.argv)
        self.stdout_path = log_dir / f"{name}.stdout.log"
        self.stderr_path = log_dir / f"{name}.stderr.log"
        self._stdout: IO[bytes] = self.stdout_path.open("wb")
        self._stderr: IO[bytes] = self.stderr_path.open("wb")
        try:
            self.popen = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE,
                stdout=self._stdout,
                stderr=self._stderr,
                cwd=cwd,
                env=dict(env) if env is not None else None,
                # Its own session: a Ctrl-C in the terminal reaches the test run, which then
                # stops the child in order, instead of both racing to die.
                start_new_session=True,
            )
        except OSError:
            self._stdout.close()
            self._stderr.close()
            raise

    @property
    def pid(self) -> int:
        """The process id of the child."""
        return self.popen.pid

    def exited(self) -> bool:
        """Whether the child has ended (it is reaped, so no zombie remains)."""
        return self.popen.poll() is not None

    def stdout_text(self) -> str:
        """What the child wrote on stdout so far."""
        return self.stdout_path.read_text(errors="replace")

    def stderr_tail(self, limit: int = 4000) -> str:
        """The last ``limit`` characters the child wrote on stderr, for error messages."""
        text = self.stderr_path.read_text(errors="replace")
        return text[-limit:].strip()

    def stop(self, grace: float = 5.0) -> None:
        """End the child: SIGTERM, then SIGKILL after ``grace`` seconds; always reap it."""
        try:
            if self.popen.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    self.popen.send_signal(signal.SIGTERM)
                try:
                    self.popen.wait(timeout=grace)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        self.popen.kill()
                    self.popen.wait(timeout=grace)
        finally:
            if self.popen.stdin is not None:
                with contextlib.suppress(OSError):
                    self.popen.stdin.close()
            self._stdout.close()
            self._stderr.close()


def wait_until_ready(
    process: ManagedProcess,
    probe: Callable[[], bool],
    *,
    timeout: float,
    what: str,
) -> None:
    """Call ``probe`` until it returns True, the child exits, or ``timeout`` seconds pass.

    :raises PeerStartError: with the child's exit code and the end of its stderr, so that a
        failed start explains itself (missing extra, port in use, bad flag).
    """
    deadline = time.monotonic() + timeout
    while True:
        if process.exited():
            raise PeerStartError(
                f"{what} exited with code {process.popen.returncode} before it was ready.\n"
                f"command: {process.display}\nstderr:\n{process.stderr_tail()}"
            )
        with contextlib.suppress(httpx.TransportError):
            if probe():
                return
        if time.monotonic() > deadline:
            raise PeerStartError(
                f"{what} was not ready after {timeout:.0f} s.\n"
                f"command: {process.display}\nstderr:\n{process.stderr_tail()}"
            )
        time.sleep(0.05)


class LoopbackPeer:
    """What every loopback SCIM peer shares: a bearer token, a child on 127.0.0.1, a clean stop.

    Subclasses set ``_token``, ``port``, ``process`` and ``_tmp`` and implement :meth:`start`.
    """

    _token: str
    port: int | None
    process: ManagedProcess | None
    _tmp: tempfile.TemporaryDirectory[str] | None

    def start(self) -> Self:
        """Start the peer and return it once it answers; each subclass knows how."""
        raise NotImplementedError

    @property
    def token(self) -> str:
        """The bearer token the server accepts."""
        return self._token

    @property
    def pid(self) -> int:
        """The process id of the running server."""
        if self.process is None:
            raise PeerError("the server is not running")
        return self.process.pid

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:P``, without any path."""
        if self.port is None:
            raise PeerError("the server is not running")
        return f"http://{LOOPBACK}:{self.port}"

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and remove its temporary files."""
        if self.process is not None:
            self.process.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
