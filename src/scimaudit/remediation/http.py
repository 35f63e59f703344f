"""Remediation requests to one app, over the collector's client, auth, retries and rate limit.

Nothing here decides transport security, credentials, backoff or throttling: the client comes from
:func:`scimaudit.scim.client.build_client` (TLS verified, http only on loopback, no
redirects), credentials from :func:`scimaudit.scim.auth.build_auth`, reads go through the
collector's :class:`~scimaudit.scim.fetch.ScimFetcher`, and the wait before a retried write
comes from the same :class:`~scimaudit.scim.retry.RetryPolicy` (capped exponential backoff
with jitter, honouring ``Retry-After``) under the same per-app
:class:`~scimaudit.scim.ratelimit.RateLimiter`. The collector only GETs, so the small loop
for PATCH/DELETE lives here.

Retrying writes is safe here because every write is idempotent (removing a member twice, setting
``active`` false twice) or conditional (``If-Match``), and DELETE's second answer (404) is read as
"done"; the caller re-reads the resource when an answer is ambiguous.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import orjson

from scimaudit.config import AppConfig
from scimaudit.errors import ScimAuthError, ScimHttpError, ScimProtocolError
from scimaudit.scim.auth import build_auth
from scimaudit.scim.client import SCIM_MEDIA_TYPE, TransportFactory, build_client
from scimaudit.scim.fetch import FetchStats, ScimFetcher, scim_error_detail
from scimaudit.scim.ratelimit import RateLimiter
from scimaudit.scim.retry import RetryPolicy, is_retryable_status, parse_retry_after


class AppUnreachable(Exception):
    """The app can take no more requests this run: unreachable after retries, or auth refused."""


class ReadFailed(Exception):
    """One resource could not be read (an error other than 404, 401/403 or the network)."""


@dataclass(frozen=True)
class Reply:
    """The final answer to a write: status, body, ETag header, attempts, SCIM error detail."""

    status: int
    content: bytes
    etag: str | None
    attempts: int
    detail: str


def log_url(app: AppConfig, path: str) -> str:
    """The request URL as recorded: the app's base plus path, any userinfo stripped."""
    parts = urlsplit(app.url + path)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


class AppSession:
    """One app's client for a remediation run. Use ``async with``.

    Reads go through the collector's :class:`~scimaudit.scim.fetch.ScimFetcher` (same retry
    loop, same errors); writes through :meth:`write`, which applies the same policy and budget.
    """

    def __init__(
        self, app: AppConfig, *, transport_factory: TransportFactory | None = None
    ) -> None:
        self.app = app
        transport = transport_factory(app) if transport_factory else None
        self.client = build_client(
            app, build_auth(app.effective_auth, app=app.name), transport=transport
        )
        self.policy = RetryPolicy(
            max_retries=app.max_retries, max_wait_seconds=app.retry_after_max_seconds
        )
        self.limiter = RateLimiter(app.requests_per_second)
        self.fetcher = ScimFetcher(
            self.client, app=app.name, policy=self.policy, limiter=self.limiter
        )
        self.stats = FetchStats()
        self.writes = 0
        self.write_retries = 0

    @property
    def requests_sent(self) -> int:
        """Requests made for this app: reads (with their retries) plus writes."""
        return self.stats.requests + self.writes

    @property
    def retries(self) -> int:
        """Retries of reads and writes, for the run summary."""
        return self.stats.retries + self.write_retries

    async def __aenter__(self) -> AppSession:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()

    async def read(self, path: str) -> dict[str, Any] | None:
        """GET one resource (``path`` relative to the SCIM base); None when it does not exist (404).

        :raises AppUnreachable: credentials refused (401/403) or the network failed after retries.
        :raises ReadFailed: any other error answer, with the server's SCIM error detail.
        """
        try:
            fetched = await self.fetcher.get(path.lstrip("/"), {}, self.stats)
        except ScimAuthError as exc:
            raise AppUnreachable(str(exc)) from None
        except ScimHttpError as exc:
            if exc.status == 404:
                return None
            if exc.status is None:
                raise AppUnreachable(str(exc)) from None
            raise ReadFailed(str(exc)) from None
        except ScimProtocolError as exc:
            raise ReadFailed(str(exc)) from None
        return fetched.body

    async def write(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        if_match: str | None = None,
    ) -> Reply:
        """Send one PATCH or DELETE, retrying 429/5xx/timeouts as the collector retries its GETs.

        The final answer is returned whatever its status (the caller interprets 404, 412, 400).

        :raises AppUnreachable: credentials refused, or transport errors outlasted the retries.
        """
        headers: dict[str, str] = {}
        content: bytes | None = None
        if body is not None:
            content = orjson.dumps(body)
            headers["Content-Type"] = SCIM_MEDIA_TYPE
        if if_match is not None:
            headers["If-Match"] = if_match
        where = f"app {self.app.name!r}: {method} {path}"
        attempt = 0
        while True:
            attempt += 1
            await self.limiter.acquire()
            self.writes += 1
            retry_after: float | None = None
            try:
                response = await self.client.request(
                    method, path.lstrip("/"), content=content, headers=headers
                )
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}"
            else:
                if response.status_code in (401, 403):
                    raise AppUnreachable(
                        f"{where}: {response.status_code}: credentials refused or not allowed to "
                        f"write (needs a token with write scope); {scim_error_detail(response)}"
                    )
                if not is_retryable_status(response.status_code):
                    return _reply(response, attempt)
                problem = f"HTTP {response.status_code}"
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
            delay = self.policy.delay(attempt, retry_after, self.fetcher.rng)
            if delay is None:
                if problem.startswith("HTTP "):
                    return _reply(response, attempt)
                raise AppUnreachable(f"{where}: gave up after {attempt} attempts; {problem}")
            self.write_retries += 1
            await asyncio.sleep(delay)


def _reply(response: httpx.Response, attempts: int) -> Reply:
    """The write's answer, with the SCIM error detail kept only for a non-2xx status."""
    ok = 200 <= response.status_code < 300
    return Reply(
        response.status_code,
        response.content,
        response.headers.get("ETag"),
        attempts,
        "" if ok else scim_error_detail(response),
    )
