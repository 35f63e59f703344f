"""The dashboard as an ASGI app: ``app.py`` behind a middleware that closes what must not answer.

``scimaudit dashboard`` runs this file (``streamlit run`` finds the ``app`` object). Streamlit has
no setting to turn off ``/_stcore/metrics``, which answers anyone who can reach the port with
session counts and memory figures; the middleware answers 404 there instead. Everything else goes
to Streamlit unchanged.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

CLOSED_SUFFIXES = ("/_stcore/metrics",)


class ClosedRoutes:
    """Answer 404 for the routes in :data:`CLOSED_SUFFIXES` (any base path, any method)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and str(scope.get("path", "")).rstrip("/").endswith(
            CLOSED_SUFFIXES
        ):
            await send(
                {
                    "type": "http.response.start",
                    "status": 404,
                    "headers": [(b"content-type", b"text/plain")],
                }
            )
            await send({"type": "http.response.body", "body": b"not found"})
            return
        await self.app(scope, receive, send)


app = st.App(Path(__file__).with_name("app.py"), middleware=[Middleware(ClosedRoutes)])
