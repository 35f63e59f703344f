"""One ``httpx.AsyncClient`` per SCIM endpoint, with transport security decided here and only here.

* TLS certificates are always verified (system/certifi roots, or the app's ``ca_bundle``).
* Plain ``http://`` is refused unless the host is loopback (tokens would cross the network in
  clear): :class:`~scimaudit.errors.InsecureTransportError`. Config validation refuses it too;
  this is the second lock on the door, also applied to OAuth2 token endpoints.
* Redirects are not followed: a SCIM list endpoint has no reason to redirect, and following one
  could carry credentials to another host.
* A few connections per endpoint (config ``concurrency``): DESIGN.md measured that one client with
  32+ connections burns CPU in its pool, while 4–8 keep a loopback or WAN link busy.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx

from scimaudit.config import AppConfig, is_loopback_url
from scimaudit.errors import ConfigError, InsecureTransportError

SCIM_MEDIA_TYPE = "application/scim+json"
USER_AGENT = "scimaudit-collector"


def require_secure_url(url: str, *, what: str) -> None:
    """Raise :class:`InsecureTransportError` for ``http://`` to a non-loopback host."""
    scheme = url.split(":", 1)[0].lower()
    if scheme == "https":
        return
    if scheme == "http" and is_loopback_url(url):
        return
    raise InsecureTransportError(
        f"{what}: {url.split('?', 1)[0]} is refused: only https:// is allowed "
        "(plain http only to a loopback address)"
    )


def tls_context(ca_bundle: Path | None, *, app: str) -> ssl.SSLContext:
    """A verifying TLS context; with ``ca_bundle`` it trusts exactly that bundle."""
    if ca_bundle is None:
        return ssl.create_default_context()
    if not ca_bundle.is_file():
        raise ConfigError(f"app {app!r}: ca_bundle {ca_bundle} does not exist")
    try:
        return ssl.create_default_context(cafile=str(ca_bundle))
    except ssl.SSLError as exc:
        raise ConfigError(
            f"app {app!r}: ca_bundle {ca_bundle} is not a PEM bundle: {exc}"
        ) from None


def build_client(
    app: AppConfig,
    auth: httpx.Auth,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """The client for one app: base URL, auth, TLS, timeouts and a small connection pool."""
    require_secure_url(app.url, what=f"app {app.name!r}")
    limits = httpx.Limits(
        max_connections=app.concurrency,
        max_keepalive_connections=app.concurrency,
    )
    return httpx.AsyncClient(
        base_url=app.url + "/",
        auth=auth,
        verify=tls_context(app.ca_bundle, app=app.name),
        timeout=httpx.Timeout(app.timeout_seconds),
        limits=limits,
        headers={"Accept": f"{SCIM_MEDIA_TYPE}, application/json", "User-Agent": USER_AGENT},
        follow_redirects=False,
        transport=transport,
    )
