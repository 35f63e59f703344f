"""SCIM credentials as ``httpx.Auth``: bearer token, HTTP basic, OAuth2 client credentials.

Secrets come from :class:`~scimaudit.config.SecretRef` and are read when the first request needs
them; they live only in request headers, never in a repr, a log line, an error message or the store.

OAuth2 client credentials (RFC 6749 §4.4): the token endpoint is called with HTTP basic client
authentication (§2.3.1), the access token is cached until shortly before ``expires_in`` runs out,
and a 401 on a cached token triggers one refresh and one retry of the request (a token revoked or
expired early). Concurrent requests share one refresh (an ``asyncio.Lock``). The token request goes
through the same client, so it gets the same TLS verification and the same transport in tests.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Callable, Generator

import httpx
import orjson

from scimaudit.config import BasicAuth, BearerAuth, OAuth2ClientCredentials
from scimaudit.errors import ScimAuthError
from scimaudit.scim.client import require_secure_url

REFRESH_SKEW_SECONDS = 30.0
"""Refresh this long before the announced expiry, so a request never carries a dead token."""


class BearerTokenAuth(httpx.Auth):
    """``Authorization: Bearer <token>`` (RFC 6750 §2.1); the token is read on first use."""

    def __init__(self, reveal: Callable[[], str]) -> None:
        self._reveal = reveal
        self._token: str | None = None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the bearer header; the token is revealed on first use, then kept in memory."""
        if self._token is None:
            self._token = self._reveal()
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request

    def __repr__(self) -> str:
        return "BearerTokenAuth(***)"


class LazyBasicAuth(httpx.Auth):
    """HTTP basic (RFC 7617); the password is read on first use."""

    def __init__(self, username: str, reveal: Callable[[], str]) -> None:
        self._username = username
        self._reveal = reveal
        self._inner: httpx.BasicAuth | None = None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Build the ``httpx.BasicAuth`` on first use, so the password is read only when needed."""
        if self._inner is None:
            self._inner = httpx.BasicAuth(self._username, self._reveal())
        yield from self._inner.auth_flow(request)

    def __repr__(self) -> str:
        return f"LazyBasicAuth({self._username!r}, ***)"


class OAuth2ClientCredentialsAuth(httpx.Auth):
    """OAuth2 client-credentials grant (RFC 6749 §4.4) with caching and refresh on expiry."""

    requires_response_body = True

    def __init__(
        self,
        token_url: str,
        client_id: str,
        reveal_secret: Callable[[], str],
        *,
        scope: str | None = None,
        app: str = "",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        require_secure_url(token_url, what=f"app {app!r}: OAuth2 token_url")
        self.token_url = token_url
        self.client_id = client_id
        self.scope = scope
        self.app = app
        self._reveal_secret = reveal_secret
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        self.token_requests = 0

    def __repr__(self) -> str:
        return f"OAuth2ClientCredentialsAuth({self.token_url!r}, client_id={self.client_id!r}, ***)"

    def _token_request(self) -> httpx.Request:
        """The RFC 6749 §4.4.2 token request, with the client secret sent as HTTP basic (§2.3.1)."""
        data = {"grant_type": "client_credentials"}
        if self.scope:
            data["scope"] = self.scope
        auth_header = httpx.BasicAuth(self.client_id, self._reveal_secret())
        request = httpx.Request(
            "POST", self.token_url, data=data, headers={"Accept": "application/json"}
        )
        return next(auth_header.auth_flow(request))

    def _accept_token(self, response: httpx.Response) -> None:
        """Cache the token from a §5.1 answer, or raise ``ScimAuthError`` naming what to check.

        The token expires ``REFRESH_SKEW_SECONDS`` early (at most half its lifetime early, so a
        short-lived token is not refreshed on every request); without ``expires_in`` one hour is
        assumed.
        """
        if response.status_code != 200:
            raise ScimAuthError(
                f"app {self.app!r}: OAuth2 token endpoint {self.token_url} answered "
                f"{response.status_code}{_oauth_error(response)}: check client_id, "
                "client_secret and scope",
                status=response.status_code,
            )
        try:
            body = orjson.loads(response.content)
            token = body["access_token"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            raise ScimAuthError(
                f"app {self.app!r}: OAuth2 token endpoint {self.token_url} did not return "
                "an access_token (RFC 6749 §5.1)"
            ) from None
        if not isinstance(token, str) or not token:
            raise ScimAuthError(f"app {self.app!r}: OAuth2 access_token is empty or not text")
        expires_in = body.get("expires_in")
        lifetime = float(expires_in) if isinstance(expires_in, int | float) else 3600.0
        self._token = token
        self._expires_at = self._clock() + max(lifetime - REFRESH_SKEW_SECONDS, lifetime / 2)
        self.token_requests += 1

    def _fresh(self) -> bool:
        return self._token is not None and self._clock() < self._expires_at

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        """Fetch a token when none is fresh; on a 401, refresh once and resend the request once."""
        if not self._fresh():
            token_response = yield self._token_request()
            token_response.read()
            self._accept_token(token_response)
        request.headers["Authorization"] = f"Bearer {self._token}"
        response = yield request
        if response.status_code == 401:
            token_response = yield self._token_request()
            token_response.read()
            self._accept_token(token_response)
            request.headers["Authorization"] = f"Bearer {self._token}"
            yield request

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """Like :meth:`sync_auth_flow`, but concurrent requests share one token fetch (the lock).

        After a 401 only the first request to see it refreshes; the others notice the token changed
        and just resend with the new one.
        """
        used: str | None = None
        async with self._lock:
            if not self._fresh():
                token_response = yield self._token_request()
                await token_response.aread()
                self._accept_token(token_response)
            used = self._token
        request.headers["Authorization"] = f"Bearer {used}"
        response = yield request
        if response.status_code != 401:
            return
        async with self._lock:
            if self._token == used:  # nobody refreshed meanwhile: do it
                self._expires_at = 0.0
                token_response = yield self._token_request()
                await token_response.aread()
                self._accept_token(token_response)
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


def _oauth_error(response: httpx.Response) -> str:
    """RFC 6749 §5.2 ``error`` code, if the body has one (never echoes anything else)."""
    try:
        error = orjson.loads(response.content).get("error")
    except (orjson.JSONDecodeError, AttributeError):
        return ""
    return f" ({error})" if isinstance(error, str) and error.isidentifier() else ""


def build_auth(
    auth: BasicAuth | BearerAuth | OAuth2ClientCredentials, *, app: str = ""
) -> httpx.Auth:
    """The ``httpx.Auth`` for an app's configured credentials."""
    if isinstance(auth, BearerAuth):
        return BearerTokenAuth(auth.token.reveal)
    if isinstance(auth, BasicAuth):
        return LazyBasicAuth(auth.username, auth.password.reveal)
    return OAuth2ClientCredentialsAuth(
        auth.token_url, auth.client_id, auth.client_secret.reveal, scope=auth.scope, app=app
    )
