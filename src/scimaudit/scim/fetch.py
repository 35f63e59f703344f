"""One SCIM GET with retries, the request budget, and clear errors for everything that can go wrong.

Outcomes of one call to :meth:`ScimFetcher.get`:

* a :class:`Fetched` response (status 200, body parsed as a JSON object), after any retries;
* :class:`~scimaudit.errors.ScimAuthError` at once for 401/403 (retrying cannot fix credentials);
* :class:`~scimaudit.errors.ScimHttpError` for other 4xx, or when 429/5xx/timeouts outlast the
  retries, with the SCIM error ``detail``/``scimType`` (RFC 7644 §3.12) when the body has one;
  at once (no retry) when the server's TLS certificate is rejected (untrusted, wrong host name,
  expired), saying what to change;
* :class:`~scimaudit.errors.ScimProtocolError` when a 200 body is not a JSON object (truncated, an
  HTML login page, a proxy's error) even after retries, or is a SCIM error envelope.

A 200 body is checked and read only as far as :mod:`~scimaudit.scim.head` goes (``head``);
the whole body is built as Python objects only when a caller asks for ``body`` (discovery,
single-resource reads), never for list pages, whose bytes go to the store untouched.

Every retry is counted, with its reason, in :class:`FetchStats` for the completeness record.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import httpx
import orjson

from scimaudit.errors import (
    ScimAuthError,
    ScimHttpError,
    ScimProtocolError,
    TlsCertificateError,
)
from scimaudit.scim.client import tls_failure
from scimaudit.scim.head import BodyHead, NotAnObject, NotJson, read_head
from scimaudit.scim.ratelimit import RateLimiter
from scimaudit.scim.retry import RetryPolicy, is_retryable_status, parse_retry_after

SCIM_ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
MAX_REASONS_KEPT = 20


@dataclass
class FetchStats:
    """Counters shared by every request of one resource type (for the completeness record)."""

    requests: int = 0
    retries: int = 0
    retry_reasons: list[str] = field(default_factory=list)
    bytes_received: int = 0

    def note_retry(self, reason: str) -> None:
        """Count a retry; only the first ``MAX_REASONS_KEPT`` reasons are kept (bounded record)."""
        self.retries += 1
        if len(self.retry_reasons) < MAX_REASONS_KEPT:
            self.retry_reasons.append(reason)


@dataclass(frozen=True)
class Fetched:
    """A successful response: exact bytes, what paging needs from them, and how we got them."""

    url: str
    params: dict[str, str]
    status: int
    content: bytes
    head: BodyHead
    received_at: datetime
    elapsed_ms: float
    attempt: int

    @cached_property
    def body(self) -> dict[str, Any]:
        """The whole body as Python objects, built on first use (the head proved it an object)."""
        body: dict[str, Any] = orjson.loads(self.content)
        return body


def excerpt(content: bytes, limit: int = 160) -> str:
    """A short, printable piece of a response body for an error message."""
    text = content[:limit].decode("utf-8", errors="replace")
    text = "".join(ch if ch.isprintable() else " " for ch in text).strip()
    return text + ("…" if len(content) > limit else "")


def scim_error_detail(response: httpx.Response) -> str:
    """``detail`` and ``scimType`` of a SCIM error body (RFC 7644 §3.12), else a description."""
    content_type = response.headers.get("content-type", "?").split(";")[0]
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        size = len(response.content)
        return (
            f"non-SCIM error body ({content_type}, {size} bytes: {excerpt(response.content, 80)!r})"
        )
    if not isinstance(body, dict):
        return f"non-SCIM error body ({content_type})"
    parts = []
    if isinstance(body.get("scimType"), str):
        parts.append(f"scimType={body['scimType']}")
    if isinstance(body.get("detail"), str):
        parts.append(body["detail"][:300])
    return "; ".join(parts) if parts else f"error body without detail ({content_type})"


class ScimFetcher:
    """GETs against one app's client, sharing its rate limiter and retry policy."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        app: str,
        policy: RetryPolicy,
        limiter: RateLimiter,
        rng: random.Random | None = None,
        request_deadline: float | None = None,
    ) -> None:
        self.client = client
        self.app = app
        self.policy = policy
        self.limiter = limiter
        self.rng = rng or random.Random()
        self.request_deadline = request_deadline

    def _where(self, path: str, params: dict[str, str]) -> str:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return f"app {self.app!r}: GET /{path}" + (f"?{query}" if query else "")

    async def get(
        self, path: str, params: dict[str, str], stats: FetchStats, *, quick_5xx: bool = False
    ) -> Fetched:
        """GET ``path`` (relative to the SCIM base) with retries; see the module docstring.

        ``quick_5xx``: a 500 or 501 fails at once (no retry), for a request whose parameters the
        caller can drop and try again without (``count`` on servers that crash on it).
        """
        attempt = 0
        while True:
            attempt += 1
            await self.limiter.acquire()
            started = time.perf_counter()
            stats.requests += 1
            reason: str
            retry_after: float | None = None
            try:
                async with asyncio.timeout(self.request_deadline):
                    response = await self.client.get(path, params=params)
            except TimeoutError:
                # The whole request, start to last byte: timeout_seconds is per read, and a body
                # trickled a few bytes per read would otherwise hold a collect for minutes.
                reason = (
                    f"no complete response within the {self.request_deadline:.0f}s request deadline"
                )
            except httpx.TimeoutException:
                reason = f"timeout after {self.client.timeout.read or 0:.0f}s"
            except httpx.TransportError as exc:
                tls = tls_failure(exc)
                if tls is not None and tls.certificate_rejected:
                    raise TlsCertificateError(f"app {self.app!r}: {tls.message}") from None
                reason = tls.message if tls else f"connection problem ({type(exc).__name__})"
            else:
                elapsed = (time.perf_counter() - started) * 1000
                stats.bytes_received += len(response.content)
                if quick_5xx and response.status_code in (500, 501):
                    raise ScimHttpError(
                        f"{self._where(path, params)}: HTTP {response.status_code}: "
                        f"{scim_error_detail(response)}",
                        response.status_code,
                    )
                outcome = self._judge(response, path, params, attempt, elapsed)
                if isinstance(outcome, Fetched):
                    return outcome
                reason, retry_after = outcome
            delay = self.policy.delay(attempt, retry_after, self.rng)
            if delay is None:
                if retry_after is not None and retry_after > self.policy.max_wait_seconds:
                    raise ScimHttpError(
                        f"{self._where(path, params)}: server asked to wait {retry_after:.0f}s "
                        f"(Retry-After), over the {self.policy.max_wait_seconds:.0f}s ceiling; "
                        f"last problem: {reason}"
                    )
                message = f"{self._where(path, params)}: gave up after {attempt} attempts; " + (
                    f"last problem: {reason}"
                )
                if reason.startswith("body is not JSON"):
                    raise ScimProtocolError(message)
                raise ScimHttpError(message, status=_status_of(reason))
            stats.note_retry(
                f"{path} {params.get('startIndex') or params.get('cursor', '')}: {reason}"
            )
            await asyncio.sleep(delay)

    def _judge(
        self,
        response: httpx.Response,
        path: str,
        params: dict[str, str],
        attempt: int,
        elapsed_ms: float,
    ) -> Fetched | tuple[str, float | None]:
        """A finished response: success, a retry reason (with Retry-After), or an exception."""
        status = response.status_code
        where = self._where(path, params)
        if status in (401, 403):
            hint = (
                "credentials rejected (wrong or expired token/password)"
                if status == 401
                else "credentials accepted but not allowed to read this (under-scoped token?)"
            )
            raise ScimAuthError(f"{where}: {status}: {hint}; {scim_error_detail(response)}", status)
        if is_retryable_status(status):
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            return f"HTTP {status}: {scim_error_detail(response)}", retry_after
        if status != 200:
            raise ScimHttpError(f"{where}: HTTP {status}: {scim_error_detail(response)}", status)
        content = response.content
        try:
            head = read_head(content)
        except NotJson:
            content_type = response.headers.get("content-type", "?").split(";")[0]
            return (
                f"body is not JSON ({content_type}, {len(content)} bytes, "
                f"ends {excerpt(content[-40:], 40)!r})",
                None,
            )
        except NotAnObject:
            raise ScimProtocolError(f"{where}: body is JSON but not an object") from None
        schemas = head.schemas
        if isinstance(schemas, list) and SCIM_ERROR_SCHEMA in schemas:
            raise ScimProtocolError(f"{where}: HTTP 200 carrying a SCIM error: {head.detail!r}")
        return Fetched(
            url=str(response.request.url.copy_with(query=None)),
            params=params,
            status=status,
            content=content,
            head=head,
            received_at=datetime.now(UTC),
            elapsed_ms=elapsed_ms,
            attempt=attempt,
        )


def _status_of(reason: str) -> int | None:
    if reason.startswith("HTTP "):
        return int(reason.split()[1].rstrip(":"))
    return None
