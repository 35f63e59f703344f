"""An in-memory SCIM service provider with fault hooks, for faults real servers will not produce.

Used two ways: as an ``httpx.MockTransport`` handler (``MockScim.transport()``), or behind a real
socket on 127.0.0.1 (``LoopbackServer``) when the code under test opens its own client (the CLI,
the OAuth2 token endpoint). Paging follows RFC 7644 §3.4.2.4 (index) and RFC 9865 (cursor) unless
a fault says otherwise. A fault is a callable ``(request, state) -> httpx.Response | None``; the
first one that returns a response wins, ``None`` lets the request through.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import orjson

LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
BASE = "/scim/v2"


@dataclass
class State:
    """What the fake server has seen so far (faults read it to decide when to strike)."""

    requests: int = 0
    list_requests: dict[str, int] = field(default_factory=dict)
    seen_auth: list[str] = field(default_factory=list)


Fault = Callable[[httpx.Request, State], "httpx.Response | None"]


def make_users(n: int, *, prefix: str = "u") -> list[dict[str, Any]]:
    return [
        {
            "schemas": [USER, ENTERPRISE],
            "id": f"{prefix}{i:05d}",
            "userName": f"{prefix}{i}@example.com",
            "externalId": f"X{i}",
            "active": i % 3 != 0,
            "name": {"givenName": f"G{i}", "familyName": f"F{i}"},
            "emails": [{"value": f"{prefix}{i}@example.com", "primary": True}],
            ENTERPRISE: {"employeeNumber": str(1000 + i), "department": "Eng"},
            "meta": {
                "resourceType": "User",
                "created": "2024-05-01T10:00:00Z",
                "version": f'W/"{i}"',
            },
        }
        for i in range(n)
    ]


def make_groups(users: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    return [
        {
            "schemas": [GROUP],
            "id": f"g{g:03d}",
            "displayName": f"group-{g}",
            "members": [{"value": u["id"], "type": "User"} for u in users[g::n]],
        }
        for g in range(n)
    ]


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status,
        content=orjson.dumps(body),
        headers={"Content-Type": "application/scim+json", **(headers or {})},
    )


class MockScim:
    """Users and Groups in lists; faults injected per request."""

    def __init__(
        self,
        users: list[dict[str, Any]],
        groups: list[dict[str, Any]] | None = None,
        *,
        token: str = "test-token",  # noqa: S107 - a fake server's fake token
        max_results: int = 1000,
        cursor: bool = True,
        discovery: bool = True,
    ) -> None:
        self.users = list(users)
        self.groups = list(groups or [])
        self.token = token
        self.max_results = max_results
        self.cursor = cursor
        self.discovery = discovery
        self.faults: list[Fault] = []
        self.state = State()
        self.lock = threading.Lock()

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.state.requests += 1
            path = request.url.path
            if path.startswith(BASE):
                path = path[len(BASE) :].lstrip("/")
                if path in ("Users", "Groups"):
                    self.state.list_requests[path] = self.state.list_requests.get(path, 0) + 1
            self.state.seen_auth.append(request.headers.get("authorization", ""))
            for fault in self.faults:
                response = fault(request, self.state)
                if response is not None:
                    return response
            if request.headers.get("authorization") != f"Bearer {self.token}":
                return json_response(
                    401, {"schemas": [ERROR], "status": "401", "detail": "bad token"}
                )
            return self.route(path, request)

    def route(self, path: str, request: httpx.Request) -> httpx.Response:
        if path == "ServiceProviderConfig" and self.discovery:
            return json_response(
                200,
                {
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
                    "filter": {"supported": True, "maxResults": self.max_results},
                    "etag": {"supported": True},
                    "pagination": {"cursor": self.cursor, "index": True},
                },
            )
        if path in ("Users", "Groups"):
            items = self.users if path == "Users" else self.groups
            params = dict(request.url.params)
            if "members" in params.get("excludedAttributes", ""):
                items = [{k: v for k, v in g.items() if k != "members"} for g in items]
            return json_response(200, self.page(items, params))
        if path.startswith("Groups/"):
            gid = path.split("/", 1)[1]
            for group in self.groups:
                if group["id"] == gid:
                    return json_response(200, group)
        return json_response(404, {"schemas": [ERROR], "status": "404", "detail": "not found"})

    def page(self, items: list[dict[str, Any]], params: dict[str, str]) -> dict[str, Any]:
        count = min(int(params.get("count", "100")), self.max_results)
        if "cursor" in params:
            start = int(params["cursor"] or "0")
            chunk = items[start : start + count]
            body: dict[str, Any] = {
                "schemas": [LIST],
                "totalResults": len(items),
                "itemsPerPage": len(chunk),
            }
            if start + count < len(items) and count > 0:
                body["nextCursor"] = str(start + count)
            body["Resources"] = chunk
            return body
        start = max(int(params.get("startIndex", "1")), 1)
        chunk = items[start - 1 : start - 1 + count]
        return {
            "schemas": [LIST],
            "totalResults": len(items),
            "startIndex": start,
            "itemsPerPage": len(chunk),
            "Resources": chunk,
        }


class LoopbackServer:
    """Serve a handler ``httpx.Request -> httpx.Response`` on 127.0.0.1 over real HTTP."""

    def __init__(self, handler: Callable[[httpx.Request], httpx.Response]) -> None:
        outer = handler

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = httpx.Request(
                    self.command,
                    f"http://127.0.0.1{self.path}",
                    headers=list(self.headers.items()),
                    content=body,
                )
                response = outer(request)
                response.read()
                self.send_response(response.status_code)
                for key, value in response.headers.items():
                    if key.lower() not in ("content-length", "transfer-encoding"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(response.content)))
                self.end_headers()
                self.wfile.write(response.content)

            do_GET = _serve
            do_POST = _serve

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LoopbackServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# ---- faults -------------------------------------------------------------------------------


def on_list(
    path: str, predicate: Callable[[int], bool], respond: Callable[[], httpx.Response]
) -> Fault:
    """Answer the n-th list request to ``path`` (1-based) with ``respond()`` if ``predicate(n)``."""

    def fault(request: httpx.Request, state: State) -> httpx.Response | None:
        if not request.url.path.endswith("/" + path):
            return None
        if predicate(state.list_requests.get(path, 0)):
            return respond()
        return None

    return fault
