"""A fast, read-only SCIM 2.0 list server on 127.0.0.1 serving pre-rendered resources.

Why it exists: the benchmark pulls 1,000,000 users, and real peers spend milliseconds per page
walking their stores (scim2-server ~64 ms per list call at 10k users), so they would measure
themselves, not the collector. Here every resource is rendered to bytes once at start-up; a page is
a ``b",".join`` of a slice, so the server stays far from being the bottleneck. It speaks just enough
HTTP/1.1 (keep-alive, Content-Length) and SCIM (RFC 7644 §3.4.2 list responses, index paging
§3.4.2.4, cursor paging RFC 9865, ``excludedAttributes=members``, single-resource GET, bearer
auth) for the collector.

Also used by the kill test: ``--latency-ms`` slows every response so a collect is surely mid-way
when it is killed, and by the TLS tests: ``--tls-cert PEM --tls-key PEM`` serves HTTPS (the cert
file may hold the chain after the leaf) and the printed ``base_url`` is then ``https://``.

Run: ``python tests/faults/fast_scim_server.py --users N --groups G [--latency-ms 50]
[--tls-cert server.pem --tls-key server-key.pem]``; it prints
one JSON line ``{"event": "ready", "port": P, "base_url": ...}`` on stdout once listening, and exits
when its stdin closes (so a killed parent leaves no server behind).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import ssl
import sys
import threading
import uuid
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import orjson

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
BASE_PATH = "/scim/v2"


def user_id(i: int) -> str:
    return uuid.UUID(int=i + 1).hex


def group_id(g: int) -> str:
    return uuid.UUID(int=(1 << 64) + g).hex


def make_user(i: int) -> dict[str, Any]:
    """A realistic User (~850 bytes): core, enterprise extension, two emails, meta."""
    uid = user_id(i)
    return {
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "id": uid,
        "externalId": f"E{i:07d}",
        "userName": f"user{i}@example.com",
        "name": {"givenName": f"Given{i}", "familyName": f"Family{i}"},
        "displayName": f"Given{i} Family{i}",
        "active": i % 7 != 0,
        "emails": [
            {"value": f"user{i}@example.com", "type": "work", "primary": True},
            {"value": f"u{i}@home.example.net", "type": "home"},
        ],
        ENTERPRISE: {
            "employeeNumber": str(i),
            "department": f"Dept{i % 40}",
            "manager": {"value": user_id(i // 10)},
        },
        "meta": {
            "resourceType": "User",
            "created": "2024-01-02T03:04:05Z",
            "lastModified": "2025-01-02T03:04:05Z",
            "version": f'W/"{i}"',
            "location": f"{BASE_PATH}/Users/{uid}",
        },
    }


def group_members(g: int, users: int, groups: int) -> list[int]:
    """Each user is in two groups: ``i % groups`` and ``(i * 7 + 3) % groups`` (deduplicated)."""
    first = list(range(g, users, groups))
    second = [i for i in range(users) if (i * 7 + 3) % groups == g] if users <= 20000 else []
    if users > 20000:
        # (i*7+3) % G == g  <=>  i ≡ (g-3) * 7^-1 (mod G) when gcd(7, G) == 1
        inv = pow(7, -1, groups)
        start = ((g - 3) * inv) % groups
        second = list(range(start, users, groups))
    return sorted(set(first) | set(second))


def make_group(g: int, users: int, groups: int, *, members: bool) -> dict[str, Any]:
    gid = group_id(g)
    body: dict[str, Any] = {
        "schemas": [GROUP_SCHEMA],
        "id": gid,
        "displayName": f"group-{g:05d}",
        "meta": {
            "resourceType": "Group",
            "version": f'W/"g{g}"',
            "location": f"{BASE_PATH}/Groups/{gid}",
        },
    }
    if members:
        body["members"] = [
            {"value": user_id(i), "type": "User"} for i in group_members(g, users, groups)
        ]
    return body


class Catalog:
    """Pre-rendered resources and the pages made from them."""

    def __init__(self, users: int, groups: int, max_results: int) -> None:
        if groups and groups % 7 == 0:
            raise ValueError("--groups must not be a multiple of 7")
        self.max_results = max_results
        self.users = [orjson.dumps(make_user(i)) for i in range(users)]
        self.groups_full = [
            orjson.dumps(make_group(g, users, groups, members=True)) for g in range(groups)
        ]
        self.groups_bare = [
            orjson.dumps(make_group(g, users, groups, members=False)) for g in range(groups)
        ]
        self.by_id: dict[str, bytes] = {}
        for i, body in enumerate(self.users):
            self.by_id["Users/" + user_id(i)] = body
        for g, body in enumerate(self.groups_full):
            self.by_id["Groups/" + group_id(g)] = body

    def spc(self) -> bytes:
        return orjson.dumps(
            {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
                "patch": {"supported": False},
                "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
                "filter": {"supported": True, "maxResults": self.max_results},
                "changePassword": {"supported": False},
                "sort": {"supported": False},
                "etag": {"supported": True},
                "authenticationSchemes": [{"type": "oauthbearertoken", "name": "Bearer"}],
                "pagination": {
                    "cursor": True,
                    "index": True,
                    "defaultPaginationMethod": "index",
                    "maxPageSize": self.max_results,
                },
            }
        )

    def page(self, items: list[bytes], params: dict[str, str]) -> bytes:
        count = int(params.get("count", "100"))
        count = max(0, min(count, self.max_results))
        total = len(items)
        cursor = "cursor" in params
        if cursor:
            start = int(params["cursor"] or "0")
        else:
            start = max(int(params.get("startIndex", "1")), 1) - 1
        chunk = items[start : start + count]
        head: dict[str, Any] = {
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "itemsPerPage": len(chunk),
        }
        if cursor:
            if start + count < total:
                head["nextCursor"] = str(start + count)
        else:
            head["startIndex"] = start + 1
        return orjson.dumps(head)[:-1] + b',"Resources":[' + b",".join(chunk) + b"]}"


class Http(asyncio.Protocol):
    """Minimal HTTP/1.1 keep-alive: GET only, Content-Length responses."""

    def __init__(self, catalog: Catalog, token: str, latency: float) -> None:
        self.catalog = catalog
        self.auth = f"bearer {token}".encode()
        self.latency = latency
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()
        self.worker: asyncio.Task[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.worker = asyncio.get_running_loop().create_task(self.serve())

    def connection_lost(self, exc: Exception | None) -> None:
        if self.worker:
            self.worker.cancel()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            self.queue.put_nowait(head)

    async def serve(self) -> None:
        while True:
            head = await self.queue.get()
            if self.latency:
                await asyncio.sleep(self.latency)
            status, body = self.respond(head)
            assert self.transport is not None
            self.transport.write(
                b"HTTP/1.1 %d X\r\nContent-Type: application/scim+json\r\n"
                b"Content-Length: %d\r\n\r\n" % (status, len(body)) + body
            )

    def respond(self, head: bytes) -> tuple[int, bytes]:
        lines = head.split(b"\r\n")
        target = lines[0].split(b" ")[1].decode()
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (ln.partition(b":") for ln in lines[1:])
        }
        if headers.get(b"authorization", b"").lower() != self.auth:
            return (
                401,
                b'{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"401"}',
            )
        parts = urlsplit(target)
        path = unquote(parts.path)
        if not path.startswith(BASE_PATH + "/"):
            return 404, b'{"status":"404"}'
        path = path[len(BASE_PATH) + 1 :]
        params = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        if path == "ServiceProviderConfig":
            return 200, self.catalog.spc()
        if path == "Users":
            return 200, self.catalog.page(self.catalog.users, params)
        if path == "Groups":
            bare = "members" in params.get("excludedAttributes", "")
            items = self.catalog.groups_bare if bare else self.catalog.groups_full
            return 200, self.catalog.page(items, params)
        body = self.catalog.by_id.get(path)
        if body is None:
            return (
                404,
                b'{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"404"}',
            )
        return 200, body


def server_tls(cert: str | None, key: str | None) -> ssl.SSLContext | None:
    """The server-side TLS context for ``--tls-cert``/``--tls-key``; None serves plain HTTP."""
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        raise SystemExit("--tls-cert and --tls-key go together")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


async def serve(args: argparse.Namespace) -> None:
    catalog = Catalog(args.users, args.groups, args.max_results)
    tls = server_tls(args.tls_cert, args.tls_key)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: Http(catalog, args.token, args.latency_ms / 1000),
        "127.0.0.1",
        args.port,
        backlog=256,
        ssl=tls,
    )
    port = server.sockets[0].getsockname()[1]
    scheme = "https" if tls else "http"
    sys.stdout.write(
        orjson.dumps(
            {"event": "ready", "port": port, "base_url": f"{scheme}://127.0.0.1:{port}{BASE_PATH}"}
        ).decode()
        + "\n"
    )
    sys.stdout.flush()
    async with server:
        await server.serve_forever()


def _exit_when_stdin_closes() -> None:
    sys.stdin.buffer.read()
    os._exit(0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--groups", type=int, default=10)
    parser.add_argument("--max-results", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--token", default=os.environ.get("FAST_SCIM_TOKEN", "bench-token"))
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--watch-stdin", action="store_true")
    parser.add_argument("--tls-cert", help="PEM certificate (chain) to serve HTTPS with")
    parser.add_argument("--tls-key", help="PEM private key of --tls-cert")
    args = parser.parse_args(argv)
    if args.watch_stdin:
        threading.Thread(target=_exit_when_stdin_closes, daemon=True).start()
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
