"""Dashboard glue: the config, who is signed in, and showing library errors instead of tracebacks.

The signed-in :class:`Actor` lives in ``st.session_state`` (server side, per browser session; never
sent to the browser). Pages get it from :func:`require_actor` and pass it to every library call; the
library, not the page, decides what that person may see or do.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from scimaudit.config import CONFIG_ENV, Config, load_config
from scimaudit.errors import PermissionDeniedError, ScimauditError, StoreLockedError
from scimaudit.review.auth import (
    Actor,
    authenticate_header,
    authenticate_oidc,
    authenticate_password,
    still_valid,
)

T = TypeVar("T")
ACTOR_KEY = "scimaudit_actor"
FAILED_KEY = "scimaudit_failed_sign_ins"


def config() -> Config:
    """The config named by ``SCIMAUDIT_CONFIG`` (set by ``scimaudit dashboard``)."""
    return load_config(os.environ.get(CONFIG_ENV))


def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a library call; show a scimaudit error as a message and stop this page run."""
    try:
        return fn(*args, **kwargs)
    except StoreLockedError:
        st.warning("The store is busy (a collection is loading). Reload in a moment.")
        st.stop()
    except ScimauditError as exc:
        st.error(plain(exc))
        st.stop()
    raise AssertionError("unreachable")


def actor() -> Actor | None:
    value = st.session_state.get(ACTOR_KEY)
    return value if isinstance(value, Actor) else None


def require_actor() -> Actor:
    """The signed-in person, or stop the page (pages are only routed after sign-in anyway)."""
    who = actor()
    if who is None:
        st.error("Please sign in.")
        st.stop()
    assert who is not None
    return who


def sign_out() -> None:
    cfg = config()
    st.session_state.pop(ACTOR_KEY, None)
    if cfg.dashboard.auth == "oidc":
        st.logout()


def resolve_actor(cfg: Config) -> Actor | None:
    """Who is signed in now: from the session (password), the proxy header, or OIDC."""
    mode = cfg.dashboard.auth
    if mode == "header":
        try:
            who = authenticate_header(cfg, dict(st.context.headers))
        except ScimauditError as exc:
            st.session_state.pop(ACTOR_KEY, None)
            st.error(plain(exc))
            st.stop()
        st.session_state[ACTOR_KEY] = who
        return who
    if mode == "oidc":
        if not st.user.is_logged_in:
            st.session_state.pop(ACTOR_KEY, None)
            return None
        email = st.user.get("email")
        verified = st.user.get("email_verified")
        try:
            who = authenticate_oidc(
                cfg,
                email if isinstance(email, str) else None,
                email_verified=verified if isinstance(verified, bool) else None,
            )
        except ScimauditError as exc:
            st.error(plain(exc))
            st.button("Sign out", on_click=st.logout)
            st.stop()
        st.session_state[ACTOR_KEY] = who
        return who
    current = actor()
    if current is not None and not still_valid(cfg, current):
        st.session_state.pop(ACTOR_KEY, None)
        st.warning("Your dashboard access changed; please sign in again.")
        return None
    return current


def sign_in_page() -> None:
    """The page unauthenticated visitors get: a password form, or the OIDC button."""
    cfg = config()
    st.title("scimaudit")
    st.caption("Access reviews and audit evidence. Sign in to continue.")
    if cfg.dashboard.auth == "oidc":
        if st.button("Sign in with your organisation account", type="primary"):
            if cfg.dashboard.oidc_provider:
                st.login(cfg.dashboard.oidc_provider)
            else:
                st.login()
        return
    with st.form("sign_in", border=True, width=420):
        email = st.text_input("Work email", key="sign_in_email")
        password = st.text_input("Password", type="password", key="sign_in_password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if not submitted:
        return
    failures = int(st.session_state.get(FAILED_KEY, 0))
    if failures >= 5:  # slow down guessing in this session
        time.sleep(min(2.0 * (failures - 4), 10.0))
    try:
        who = authenticate_password(cfg, email, password)
    except PermissionDeniedError as exc:
        st.session_state[FAILED_KEY] = failures + 1
        st.error(plain(exc))
        return
    except ScimauditError as exc:
        st.error(plain(exc))
        return
    st.session_state[FAILED_KEY] = 0
    st.session_state[ACTOR_KEY] = who
    st.rerun()


_MARKDOWN_SYNTAX = re.compile(r"([!-/:-@\\[-`{-~])")
_WORD_JOINER = "\u2060"  # invisible, and not a character the autolink patterns accept
_AUTOLINK_STARTS = re.compile(r"(?i)(:(?=//)|\bwww(?=\.)|@)")


def plain(text: object) -> str:
    """``text`` made literal for Streamlit's Markdown elements (alerts, captions, headings).

    Names, reasons, group names and error messages come from SCIM apps, HR files and people; as
    Markdown they could become links, images that the browser fetches, or styled text. A backslash
    before every ASCII punctuation character is CommonMark's way to say "this character, as is", so
    no link, image, HTML, emphasis, colour or icon directive can form. GitHub-style *literal*
    autolinks (``http://…``, ``www.…``, e-mail addresses) are found in the text after escapes are
    undone, so an invisible word joiner after ``:`` of ``://``, after ``www`` and after ``@`` keeps
    them from matching while the text reads the same.
    """
    joined = _AUTOLINK_STARTS.sub(lambda m: m.group(1) + _WORD_JOINER, str(text))
    return _MARKDOWN_SYNTAX.sub(r"\\\1", joined)


def flash(message: str, kind: str = "success") -> None:
    """Keep a message to show after the next rerun (shown as plain text)."""
    st.session_state["scimaudit_flash"] = (kind, message)


def show_flash() -> None:
    kind, message = st.session_state.pop("scimaudit_flash", (None, None))
    if message:
        getattr(st, kind)(plain(message))


def table_height(rows: int, *, max_rows: int = 14) -> int:
    """Pixel height that fits ``rows`` (header + rows), scrolling beyond ``max_rows``."""
    return 38 + 35 * min(max(rows, 1), max_rows)
