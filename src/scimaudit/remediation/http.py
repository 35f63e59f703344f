"""Sending remediation requests to one app, with the collector's client, auth, retries and rate limit.

Nothing here decides transport security, credentials, backoff or throttling: the client comes from
:func:`scimaudit.collect.scim.client.build_client` (TLS verified, http only on loopback, no redirects),
credentials from :func:`scimaudit.collect.scim.auth.build_auth`, the wait before a retry from
:class:`scimaudit.collect.scim.retry.RetryPolicy` (capped exponential backoff with jitter, honouring
``Retry-After``) and the request budget from :class:`scimaudit.collect.scim.ratelimit.RateLimiter`.
This module is only the small loop that applies them to one write or read.

Retrying writes is safe here because every write is idempotent (removing a member twice, setting
``active`` false twice) or conditional (``If-Match``), and DELETE's second answer (404) is read as
"done"; the caller re-reads the resource when an answer is ambiguous.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import orjson

from scimaudit.collect.scim.auth import build_auth
from scimaudit.collect.scim.client import SCIM_MEDIA_TYPE, build_client, tls_context
from scimaudit.collect.scim.ratelimit import RateLimiter
from scimaudit.collect.scim.retry import RetryPolicy, is_retryable_status, parse_retry_after
from scimaudit.config import AppConfig

TransportWrapper = Callable[[str, httpx.AsyncBaseTransport], httpx.AsyncBaseTransport]
"""``(app name, real transport) -> transport``: lets tests inject faults a real server cannot make."""


class AppUnreachable(Exception):
    """Transport errors persisted after every retry; the app cannot be reached now."""

    def __init__(self, message: str, attempts: int) -> None:
        super().__init__(message)
        self.attempts = attempts


@dataclass(frozen=True)
class Reply:
    status: int
    content: bytes
    etag: str | None
    attempts: int

    def json(self) -> Any:
        try:
            return orjson.loads(self.content) if self.content else None
        except orjson.JSONDecodeError:
            return None


def log_url(app: AppConfig, path: str) -> str:
    """The request URL as recorded: the app's base plus path, any userinfo stripped."""
    parts = urlsplit(app.url + path)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


class AppSession:
    """One app's client for a remediation run. Use ``async with``."""

    def __init__(self, app: AppConfig, *, wrap_transport: TransportWrapper | None = None) -> None:
        self.app = app
        transport: httpx.AsyncBaseTransport | None = None
        if wrap_transport is not None:
            real = httpx.AsyncHTTPTransport(
                verify=tls_context(app.ca_bundle, app=app.name),
                limits=httpx.Limits(max_connections=app.concurrency),
            )
            transport = wrap_transport(app.name, real)
        self.client = build_client(
            app, build_auth(app.effective_auth, app=app.name), transport=transport
        )
        self.policy = RetryPolicy(max_retries=app.max_retries)
        self.limiter = RateLimiter(app.requests_per_second)
        self.requests_sent = 0
        self.retries = 0

    async def __aenter__(self) -> AppSession:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()

    async def send(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        if_match: str | None = None,
    ) -> Reply:
        """Send one request (``path`` relative to the SCIM base), retrying what may be retried.

        :raises AppUnreachable: when transport errors (refused connection, timeout) outlast the
            retry policy. A final retryable status (e.g. a 503 that never ends) is returned as is.
        """
        headers: dict[str, str] = {}
        content: bytes | None = None
        if body is not None:
            content = orjson.dumps(body)
            headers["Content-Type"] = SCIM_MEDIA_TYPE
        if if_match is not None:
            headers["If-Match"] = if_match
        url = path.lstrip("/")
        attempt = 0
        while True:
            attempt += 1
            await self.limiter.acquire()
            self.requests_sent += 1
            try:
                response = await self.client.request(method, url, content=content, headers=headers)
                await response.aread()
            except httpx.TransportError as exc:
                wait = self.policy.delay(attempt, None)
                if wait is None:
                    raise AppUnreachable(
                        f"{method} {log_url(self.app, path)}: {type(exc).__name__}: {exc}", attempt
                    ) from None
                self.retries += 1
                await asyncio.sleep(wait)
                continue
            if is_retryable_status(response.status_code):
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                wait = self.policy.delay(attempt, retry_after)
                if wait is not None:
                    self.retries += 1
                    await asyncio.sleep(wait)
                    continue
            return Reply(
                response.status_code, response.content, response.headers.get("ETag"), attempt
            )
