"""Header sign-in's address check: with ``[dashboard] trusted_proxies`` set, only the sign-in proxy
may connect at all.

The proxy secret (:func:`scimaudit.webauth.signin.authenticate_header`) proves a request came
through the proxy. When the dashboard is reachable beyond loopback, the proxy's address is a
second, independent proof: this ASGI middleware answers 403 to every HTTP request and refuses
every WebSocket from any other peer address (the bare health probe excepted), before Streamlit
sees it, so a forged
``X-Forwarded-Email`` from elsewhere never reaches a page. Only the TCP peer address is used
(``X-Forwarded-For`` is whatever the sender wrote). With no ``trusted_proxies`` nothing is
checked here, and with ``auth`` other than ``header`` the setting is ignored.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Sequence

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from scimaudit.config import Config

LOG = logging.getLogger("scimaudit.signin")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def peer_is_trusted(trusted: Sequence[Network], peer: str | None) -> bool:
    """True when ``peer`` (an IP address) lies in one of ``trusted``; an empty list trusts every
    peer, and an unknown or malformed peer is never trusted."""
    if not trusted:
        return True
    try:
        address = ipaddress.ip_address(peer or "")
    except ValueError:
        return False
    return any(address in network for network in trusted)


class ProxyPeersOnly:
    """Refuse connections from peers outside ``trusted`` (any path, HTTP and WebSocket)."""

    def __init__(self, app: ASGIApp, trusted: Sequence[Network] = ()) -> None:
        self.app = app
        self.trusted = tuple(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.trusted and not _health(scope):
            client = scope.get("client")
            peer = str(client[0]) if client else None
            if not peer_is_trusted(self.trusted, peer):
                LOG.warning("connection refused: peer %s is not a trusted proxy", peer)
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008})
                else:
                    await PlainTextResponse("forbidden", 403)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _health(scope: Scope) -> bool:
    """Streamlit's health probe answers "ok" and nothing else: ``scimaudit dashboard`` polls it
    from loopback to know the server is up, so it stays open to every peer."""
    return scope["type"] == "http" and str(scope.get("path", "")).endswith("/_stcore/health")


def trusted_networks(config: Config) -> list[Network]:
    """The proxies header sign-in accepts connections from (none to check unless auth = header)."""
    if config.dashboard.auth != "header":
        return []
    return list(config.dashboard.trusted_proxies)
