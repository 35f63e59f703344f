"""Run scim2-server as a real SCIM 2.0 peer on 127.0.0.1, and seed any SCIM peer with resources.

Why a subprocess and not an in-process WSGI app: the collector must be exercised over real HTTP
(connection handling, timeouts, a server that answers slowly while it walks its store), and the
demo needs a server that outlives a single function call. The child is started from the same
interpreter (``sys.executable``), so it is the scim2-server pinned in this project's lock file.

URL layout of scim2-server 0.8.3 (read from ``scim2_server/applications/wsgi.py``):

* without tenants: ``http://127.0.0.1:P/v2/Users``;
* with ``--tenant a``: ``http://127.0.0.1:P/a/v2/Users`` (the URL-prefix method of
  RFC 7644 §6.1); an unknown tenant answers 404 "Unknown tenant".

This module also holds what both peers share: the process handling (:class:`ManagedProcess`) and
:func:`seed`, which loads users and groups through any SCIM service provider.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.resources
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Literal, Self

import httpx
import orjson

__all__ = [
    "SCIM2_SERVER_VERSION",
    "ManagedProcess",
    "PeerError",
    "PeerStartError",
    "Scim2ServerProcess",
    "SeedError",
    "find_free_port",
    "seed",
    "seed_from_sample_dir",
]

SCIM2_SERVER_VERSION = "0.8.3"
"""The scim2-server release whose CLI flags and URL layout this module was written against."""

LOOPBACK = "127.0.0.1"

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
BULK_REQUEST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
SCIM_JSON = "application/scim+json"

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


class PeerError(RuntimeError):
    """Base of the errors raised while running or seeding a test peer."""


class PeerStartError(PeerError):
    """A peer could not be started, or did not become ready in time."""


class SeedError(PeerError):
    """A peer refused some of the resources :func:`seed` sent, or the input was inconsistent."""


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


class LoopbackPeer:
    """What every test peer shares: a bearer token, a child process on 127.0.0.1, and a clean stop.

    Subclasses set ``_token``, ``port``, ``process`` and ``_tmp`` and implement :meth:`start`.
    """

    _token: str
    port: int | None
    process: ManagedProcess | None
    _tmp: tempfile.TemporaryDirectory[str] | None

    def start(self) -> Self:
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
        installed = importlib.metadata.version("scim2-server")
        if installed != SCIM2_SERVER_VERSION:
            raise PeerStartError(
                f"scim2-server {installed} is installed, this code expects "
                f"{SCIM2_SERVER_VERSION} (its CLI and URL layout changed between releases)"
            )
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
        headers = {"Authorization": f"Bearer {self._token}"}
        names: list[str | None] = list(self.tenants) or [None]
        for tenant in names:
            url = f"{self.base_url(tenant)}/ServiceProviderConfig"
            if httpx.get(url, headers=headers, timeout=2.0).status_code != 200:
                return False
        return True


# --------------------------------------------------------------------------------------------
# Seeding


def _chunks(
    operations: Sequence[dict[str, Any]], max_operations: int, max_payload: int
) -> Iterator[list[dict[str, Any]]]:
    """Split bulk operations so each request stays within maxOperations and maxPayloadSize.

    RFC 7644 §3.7.4: a request over either limit is refused whole with 413. The envelope and
    separators are counted with a margin, so the check holds whatever the server counts.
    """
    envelope = 256
    chunk: list[dict[str, Any]] = []
    size = envelope
    for operation in operations:
        op_size = len(orjson.dumps(operation)) + 1
        if op_size + envelope > max_payload:
            raise SeedError(
                f"one resource is {op_size} bytes, over the server's bulk maxPayloadSize "
                f"({max_payload}); bulkId {operation.get('bulkId')}"
            )
        if chunk and (len(chunk) >= max_operations or size + op_size > max_payload):
            yield chunk
            chunk, size = [], envelope
        chunk.append(operation)
        size += op_size
    if chunk:
        yield chunk


def _id_from_location(location: str) -> str:
    return location.rstrip("/").rsplit("/", 1)[-1]


def _error_detail(response: httpx.Response) -> str:
    text = response.text
    return text if len(text) < 1000 else text[:1000] + "…"


class _Seeder:
    """Posts resources to one service provider, by Bulk when it can, one by one otherwise."""

    def __init__(
        self, client: httpx.Client, use_bulk: bool | None, max_bulk_operations: int
    ) -> None:
        self.client = client
        config = self._get_json("ServiceProviderConfig")
        bulk = config.get("bulk") or {}
        supported = bool(bulk.get("supported"))
        if use_bulk and not supported:
            raise SeedError("bulk was asked for, but the server does not support it")
        self.use_bulk = supported if use_bulk is None else use_bulk
        # A missing or zero limit is taken as 1000: servers that omit it rarely mean "unbounded".
        self.max_operations = min(int(bulk.get("maxOperations") or 1000), max_bulk_operations)
        self.max_payload = int(bulk.get("maxPayloadSize") or 1_048_576)

    def _get_json(self, path: str) -> dict[str, Any]:
        response = self.client.get(path)
        if response.status_code != 200:
            raise SeedError(f"GET {path}: {response.status_code} {_error_detail(response)}")
        body: dict[str, Any] = orjson.loads(response.content)
        return body

    def create(self, endpoint: str, resources: Sequence[dict[str, Any]]) -> list[str]:
        """Create ``resources`` at ``endpoint`` (Users or Groups); return their ids, in order."""
        if not resources:
            return []
        if self.use_bulk:
            return self._create_by_bulk(endpoint, resources)
        return [self._create_one(endpoint, resource) for resource in resources]

    def _create_one(self, endpoint: str, resource: dict[str, Any]) -> str:
        """POST one resource (RFC 7644 §3.3) and return the id the server gave it."""
        response = self.client.post(
            endpoint, content=orjson.dumps(resource), headers={"Content-Type": SCIM_JSON}
        )
        if response.status_code != 201:
            raise SeedError(
                f"POST /{endpoint} {_describe(resource)}: {response.status_code} "
                f"{_error_detail(response)}"
            )
        created: dict[str, Any] = orjson.loads(response.content)
        return str(created["id"])

    def _create_by_bulk(self, endpoint: str, resources: Sequence[dict[str, Any]]) -> list[str]:
        """POST /Bulk (RFC 7644 §3.7) in chunks; map each bulkId back to the created id.

        RFC 7644 §3.7.3: each operation's response carries its bulkId, status and the
        ``location`` of the created resource, whose last segment is the new id.
        """
        operations: list[dict[str, Any]] = [
            {"method": "POST", "path": f"/{endpoint}", "bulkId": f"r{i}", "data": resource}
            for i, resource in enumerate(resources)
        ]
        ids: dict[str, str] = {}
        failures: list[str] = []
        for chunk in _chunks(operations, self.max_operations, self.max_payload):
            body = {"schemas": [BULK_REQUEST_SCHEMA], "Operations": chunk}
            response = self.client.post(
                "Bulk", content=orjson.dumps(body), headers={"Content-Type": SCIM_JSON}
            )
            if response.status_code != 200:
                raise SeedError(
                    f"POST /Bulk ({len(chunk)} operations): {response.status_code} "
                    f"{_error_detail(response)}"
                )
            result: dict[str, Any] = orjson.loads(response.content)
            for outcome in result.get("Operations") or []:
                bulk_id = str(outcome.get("bulkId"))
                status = int(str(outcome.get("status", "0")).split()[0] or 0)
                location = outcome.get("location")
                if status == 201 and isinstance(location, str):
                    ids[bulk_id] = _id_from_location(location)
                else:
                    index = int(bulk_id[1:]) if bulk_id[1:].isdigit() else -1
                    what = _describe(resources[index]) if index >= 0 else bulk_id
                    failures.append(f"{what}: {status} {orjson.dumps(outcome.get('response'))!r}")
        if failures:
            raise SeedError(
                f"the server refused {len(failures)} of {len(resources)} {endpoint}: "
                + "; ".join(failures[:5])
            )
        missing = [op["bulkId"] for op in operations if op["bulkId"] not in ids]
        if missing:
            raise SeedError(f"no bulk result for {len(missing)} {endpoint}, e.g. {missing[:5]}")
        return [ids[op["bulkId"]] for op in operations]


def _describe(resource: Mapping[str, Any]) -> str:
    for key in ("userName", "displayName", "externalId"):
        if key in resource:
            return f"{key}={resource[key]!r}"
    return "resource"


def _with_schema(resource: Mapping[str, Any], schema: str) -> dict[str, Any]:
    """Copy a resource for creation: default ``schemas``, drop ``id``/``meta`` (server-assigned)."""
    data = {k: v for k, v in resource.items() if k not in ("id", "meta")}
    data.setdefault("schemas", [schema])
    return data


def _translate_members(
    groups: Sequence[Mapping[str, Any]], user_ids: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Replace each member's userName by the id the server gave that user (RFC 7643 §4.2).

    ``members[].value`` must be the member's ``id``; the input names members by userName because
    ids exist only once the server has created the users.
    """
    translated = []
    unknown: list[str] = []
    for group in groups:
        data = _with_schema(group, GROUP_SCHEMA)
        members = []
        for member in group.get("members") or []:
            user_name = member.get("value")
            if member.get("type", "User") != "User":
                raise SeedError(
                    f"group {_describe(group)}: only User members are supported, got {member!r}"
                )
            if user_name not in user_ids:
                unknown.append(f"{user_name!r} in {_describe(group)}")
                continue
            entry = {k: v for k, v in member.items() if k != "$ref"}
            entry["value"] = user_ids[user_name]
            members.append(entry)
        if "members" in group:
            data["members"] = members
        translated.append(data)
    if unknown:
        raise SeedError(f"group members name unknown users: {', '.join(unknown[:10])}")
    return translated


def seed(
    base_url: str,
    token: str,
    users: Sequence[Mapping[str, Any]],
    groups: Sequence[Mapping[str, Any]] = (),
    *,
    use_bulk: bool | None = None,
    max_bulk_operations: int = 100,
    timeout: float = 120.0,
) -> dict[str, str]:
    """Create ``users`` then ``groups`` on a SCIM service provider; return userName → id.

    Bulk (RFC 7644 §3.7) is used when ``/ServiceProviderConfig`` says it is supported, in chunks
    within its ``maxOperations`` and ``maxPayloadSize``; otherwise each resource is POSTed
    (RFC 7644 §3.3). ``use_bulk`` forces either way. Groups name their members by userName
    (``{"value": "<userName>"}``); they are sent with the ids the users were given.

    ``max_bulk_operations`` caps the operations per Bulk request below the server's own
    maxOperations. 100 is near the best for both peers: scim2-server gains ~5% from 1000, while
    SCIMMY's BulkRequest makes every operation wait on all earlier ones (quadratic), so 1000 per
    request is ~3x slower there than 100 (5000 users: 3.0 s at 100, 8.5 s at 1000).

    :raises SeedError: when an input is inconsistent (duplicate userName, unknown member) or the
        server refuses any resource; the message names the resources and the server's answer.
    """
    if max_bulk_operations < 1:
        raise ValueError("max_bulk_operations must be at least 1")
    user_names: list[str] = []
    for user in users:
        name = user.get("userName")
        if not isinstance(name, str) or not name:
            raise SeedError(f"every user needs a userName (RFC 7643 §4.1.1), got {user!r:.200}")
        user_names.append(name)
    duplicates = [name for name, n in Counter(user_names).items() if n > 1]
    if duplicates:
        raise SeedError(f"duplicate userNames in the input: {sorted(duplicates)[:10]}")

    # Check the members before creating anything, so bad input leaves the server untouched.
    _translate_members(groups, {name: name for name in user_names})

    with httpx.Client(
        base_url=base_url.rstrip("/") + "/",
        headers={"Authorization": f"Bearer {token}", "Accept": SCIM_JSON},
        timeout=timeout,
    ) as client:
        seeder = _Seeder(client, use_bulk, max_bulk_operations)
        user_ids = seeder.create("Users", [_with_schema(u, USER_SCHEMA) for u in users])
        mapping = dict(zip(user_names, user_ids, strict=True))
        seeder.create("Groups", _translate_members(groups, mapping))
    return mapping


def seed_from_sample_dir(
    base_url: str,
    token: str,
    app_dir: Path,
    *,
    use_bulk: bool | None = None,
    max_bulk_operations: int = 100,
) -> dict[str, str]:
    """Seed a peer from ``app_dir/users.json`` and, if present, ``app_dir/groups.json``.

    Both files hold JSON arrays of SCIM resources without ``id``/``meta``, as in
    ``sample_data/apps/<app>/``; group members name users by userName. See :func:`seed`.
    """
    users_path = app_dir / "users.json"
    if not users_path.is_file():
        raise SeedError(f"{users_path} is missing")
    users = orjson.loads(users_path.read_bytes())
    groups_path = app_dir / "groups.json"
    groups = orjson.loads(groups_path.read_bytes()) if groups_path.is_file() else []
    if not isinstance(users, list) or not isinstance(groups, list):
        raise SeedError(f"{app_dir}: users.json and groups.json must hold JSON arrays")
    return seed(
        base_url, token, users, groups, use_bulk=use_bulk, max_bulk_operations=max_bulk_operations
    )
