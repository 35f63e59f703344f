"""Dashboard glue: the config, who is signed in, and showing library errors instead of tracebacks.

The signed-in :class:`Actor` lives in ``st.session_state`` (server side, per browser session; never
sent to the browser). Pages get it from :func:`require_actor` and pass it to every library call; the
library, not the page, decides what that person may see or do.
"""

from __future__ import annotations

import logging
import os
import re
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import pandas as pd
import streamlit as st

from scimaudit.config import CONFIG_ENV, Config, load_config
from scimaudit.errors import ScimauditError, StoreLockedError
from scimaudit.output import to_csv
from scimaudit.review.actors import Actor
from scimaudit.webauth.browser_sessions import COOKIE, sessions_for
from scimaudit.webauth.signin import (
    authenticate_header,
    authenticate_oidc,
    authenticate_password,
    recheck,
    resume_password_session,
)

T = TypeVar("T")
LOG = logging.getLogger("scimaudit.dashboard")
ACTOR_KEY = "scimaudit_actor"
LAST_SEEN_KEY = "scimaudit_last_seen"
SID_KEY = "scimaudit_session_id"
GRANT_KEY = "scimaudit_session_grant"


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
    except Exception:  # a bug or a database error: details to the log, not to the browser
        ref = uuid.uuid4().hex[:8]
        LOG.exception("unexpected error in %s ref=%s", getattr(fn, "__name__", fn), ref)
        st.error(f"Something went wrong (reference {ref}); the details are in the dashboard log.")
        st.stop()
    raise AssertionError("unreachable")


def actor() -> Actor | None:
    value = st.session_state.get(ACTOR_KEY)
    return value if isinstance(value, Actor) else None


def require_actor() -> Actor:
    """The signed-in person, re-checked now (idle timeout, HR status, role), or stop the page.

    ``app.py`` checks before routing; pages check again because a page can also run on its own
    (``streamlit.testing`` runs the page script directly after navigation)."""
    cfg = config()
    who = _still_signed_in(cfg) if cfg.dashboard.auth == "users" else actor()
    if who is None:
        st.error("Please sign in.")
        st.stop()
    assert who is not None
    return who


def sign_out() -> None:
    cfg = config()
    st.session_state.pop(ACTOR_KEY, None)
    sid = st.session_state.pop(SID_KEY, None)
    if sid:
        sessions_for(cfg).end(str(sid))  # the cookie may stay in the browser; it names nothing now
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
    return _still_signed_in(cfg)


def _resume_from_cookie(cfg: Config) -> Actor | None:
    """After a reload: the person of a live session named by a valid signed cookie."""
    try:
        cookie = st.context.cookies.get(COOKIE)
    except Exception:  # no browser connection (streamlit.testing)
        return None
    if not isinstance(cookie, str):
        return None
    found = sessions_for(cfg).resume(cookie, cfg.dashboard.idle_timeout_minutes * 60)
    if found is None:
        return None
    sid, email = found
    try:
        who = resume_password_session(cfg, email)
    except ScimauditError as exc:
        sessions_for(cfg).end(sid)
        LOG.warning("session of %s not resumed: %s", email, exc)
        return None
    st.session_state[ACTOR_KEY] = who
    st.session_state[SID_KEY] = sid
    touch()
    return who


def touch() -> None:
    """Note activity now (the idle timeout counts from the last run of this session)."""
    st.session_state[LAST_SEEN_KEY] = time.time()


def _still_signed_in(cfg: Config) -> Actor | None:
    """The session's person if the session is not idle too long and HR and the config still
    allow them, re-checked on every run (every click is a run)."""
    current = actor() or _resume_from_cookie(cfg)
    if current is None:
        return None
    idle = time.time() - float(st.session_state.get(LAST_SEEN_KEY, 0.0))
    limit = cfg.dashboard.idle_timeout_minutes
    sid = st.session_state.get(SID_KEY)
    if sid and sessions_for(cfg).touch(str(sid), limit * 60) is None:
        idle = max(idle, limit * 60 + 1)  # the server-side session timed out (or was ended)
    if idle > limit * 60:
        sessions_for(cfg).end(str(st.session_state.pop(SID_KEY, "")))
        st.session_state.pop(ACTOR_KEY, None)
        LOG.warning("session of %s ended after %.0f min idle", current.email, idle / 60)
        st.warning(f"You were signed out after {limit:g} minutes without activity.")
        return None
    try:
        fresh = recheck(cfg, current)
    except ScimauditError as exc:
        st.session_state.pop(ACTOR_KEY, None)
        sessions_for(cfg).end(str(st.session_state.pop(SID_KEY, "")))
        LOG.warning("session of %s ended: %s", current.email, exc)
        st.warning(plain(f"Your dashboard access changed; please sign in again ({exc})."))
        return None
    st.session_state[ACTOR_KEY] = fresh
    touch()
    return fresh


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
    try:  # failures are counted per account in the library (not per browser session)
        who = authenticate_password(cfg, email, password)
    except ScimauditError as exc:
        st.error(plain(exc))
        return
    st.session_state[ACTOR_KEY] = who
    sid, grant = sessions_for(cfg).start(who.email)
    st.session_state[SID_KEY] = sid
    st.session_state[GRANT_KEY] = grant  # app.py has the browser redeem it for the cookie
    touch()
    st.rerun()


def set_session_cookie() -> None:
    """Have the browser fetch ``/_scimaudit/session`` once after sign-in: that response (not a
    page, which cannot) sets the signed session cookie, so a reload keeps the person signed in."""
    grant = st.session_state.pop(GRANT_KEY, None)
    if isinstance(grant, str) and grant.replace("-", "").replace("_", "").isalnum():
        st.html(f'<img src="/_scimaudit/session?grant={grant}" alt="" width="1" height="1">')


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


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A frame as CSV with formula-looking cells defused (for download buttons)."""
    rows = [
        {str(k): (None if _isna(v) else v) for k, v in r.items()} for r in frame.to_dict("records")
    ]
    return to_csv(rows, list(frame.columns)).encode("utf-8")


def _isna(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
