"""One ``httpx.AsyncClient`` per SCIM endpoint, with transport security decided here and only here.

* TLS certificates are always verified (system/certifi roots, or the app's ``ca_bundle``).
  :func:`tls_failure` puts a failed handshake into words; a rejected certificate is final (trying
  again cannot make it trusted), other TLS trouble is retried like any connection problem.
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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from scimaudit.config import AppConfig, is_loopback_url
from scimaudit.errors import ConfigError, InsecureTransportError

SCIM_MEDIA_TYPE = "application/scim+json"
USER_AGENT = "scimaudit-collector"

TransportFactory = Callable[[AppConfig], httpx.AsyncBaseTransport | None]
"""Per-app transport override: tests inject faults a real server cannot produce; ``None`` = real."""


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


HOST_MISMATCH_CODES = frozenset({62, 64})
"""OpenSSL ``X509_V_ERR_HOSTNAME_MISMATCH`` and ``X509_V_ERR_IP_ADDRESS_MISMATCH`` (RFC 6125 §6)."""

VALIDITY_CODES = frozenset({9, 10})
"""OpenSSL ``X509_V_ERR_CERT_NOT_YET_VALID`` and ``X509_V_ERR_CERT_HAS_EXPIRED``."""


@dataclass(frozen=True)
class TlsFailure:
    """Why a TLS handshake failed, in words, and whether the certificate itself was rejected."""

    message: str
    certificate_rejected: bool


def _ssl_cause(exc: BaseException) -> ssl.SSLError | None:
    """The ``ssl`` error under an httpx/httpcore transport error (they chain it as the cause)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _origin(exc: httpx.TransportError) -> str:
    """``scheme://host:port`` of the request that failed (the SCIM base or an OAuth2 token URL)."""
    try:
        url = exc.request.url
    except RuntimeError:  # no request attached (only when a transport is used directly)
        return "the server"
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{url.scheme}://{host}" + (f":{url.port}" if url.port else "")


def tls_failure(exc: httpx.TransportError) -> TlsFailure | None:
    """The TLS reason behind a transport error, or None when TLS was not the problem.

    The certificate cases say what to change: trust (``ca_bundle``), the host name in the URL
    (RFC 6125 §6: the name must be in the certificate's subjectAltName), or the certificate's dates.
    """
    cause = _ssl_cause(exc)
    if cause is None:
        return None
    where = f"TLS certificate of {_origin(exc)}"
    if isinstance(cause, ssl.SSLCertVerificationError):
        detail = (cause.verify_message or cause.reason or "rejected").rstrip(".")
        if cause.verify_code in HOST_MISMATCH_CODES:
            text = (
                f"{where} fails the host name check ({detail}); the app's url must use a host "
                "name the certificate lists"
            )
        elif cause.verify_code in VALIDITY_CODES:
            text = f"{where} is not valid now ({detail})"
        else:
            text = (
                f"{where} is not trusted (certificate verify failed: {detail}); set ca_bundle for "
                "this app to a PEM file holding its CA if it uses a private CA"
            )
        return TlsFailure(text, certificate_rejected=True)
    reason = (cause.reason or str(cause)).replace("_", " ").lower()
    return TlsFailure(f"TLS handshake with {_origin(exc)} failed ({reason})", False)


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
