"""The dashboard as an ASGI app: ``app.py`` behind a middleware that closes what must not answer.

``scimaudit dashboard`` runs this file (``streamlit run`` finds the ``app`` object). Streamlit has
no setting to turn off ``/_stcore/metrics``, which answers anyone who can reach the port with
session counts and memory figures; the middleware answers 404 there instead. Everything else goes
to Streamlit unchanged. With header sign-in and ``[dashboard] trusted_proxies`` set, a second
middleware refuses every connection from any other address (:mod:`scimaudit.webauth.proxy_peers`).
"""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from scimaudit.config import CONFIG_ENV, load_config
from scimaudit.webauth.browser_sessions import COOKIE, sessions_for
from scimaudit.webauth.proxy_peers import ProxyPeersOnly, trusted_networks

LOG = logging.getLogger("scimaudit.dashboard")


def _log_to_stderr() -> None:
    """Sign-in failures, sign-outs and unexpected errors as timestamped lines on stderr (which
    ``scimaudit dashboard`` leaves on the terminal or sends to its log file)."""
    root = logging.getLogger("scimaudit")
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.INFO)


_log_to_stderr()
CLOSED_SUFFIXES = ("/_stcore/metrics",)


class ClosedRoutes:
    """Answer 404 for the routes in :data:`CLOSED_SUFFIXES` (any base path, any method)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and str(scope.get("path", "")).rstrip("/").endswith(
            CLOSED_SUFFIXES
        ):
            await PlainTextResponse("not found", 404)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def friendly_error(exc: Exception) -> bool:
    """An unexpected error: the details (traceback, paths, SQL) to the dashboard log under a
    reference; the browser gets a plain message with that reference."""
    ref = uuid.uuid4().hex[:8]
    LOG.error("unexpected dashboard error ref=%s", ref, exc_info=exc)
    st.error(
        f"Something went wrong (reference {ref}). Nothing was recorded by this action; the"
        " details are in the dashboard log."
    )
    return True  # handled: Streamlit shows nothing more


_PIXEL = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b"
)


async def session_cookie(request: Request) -> Response:
    """Redeem a one-time sign-in grant for the session cookie (see webauth.browser_sessions)."""
    sessions = sessions_for(load_config(os.environ.get(CONFIG_ENV)))
    value = sessions.redeem(request.query_params.get("grant", ""))
    if value is None:
        return PlainTextResponse("not found", status_code=404)
    response = Response(_PIXEL, media_type="image/gif", headers={"Cache-Control": "no-store"})
    response.set_cookie(COOKIE, value, httponly=True, samesite="strict", path="/")
    return response


app = st.App(
    Path(__file__).with_name("app.py"),
    routes=[Route("/_scimaudit/session", session_cookie, methods=["GET"])],
    middleware=[
        Middleware(
            ProxyPeersOnly, trusted=trusted_networks(load_config(os.environ.get(CONFIG_ENV)))
        ),
        Middleware(ClosedRoutes),
    ],
    on_script_error=friendly_error,
)
