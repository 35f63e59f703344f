"""scimaudit dashboard: sign-in, then the pages the signed-in role may use (``st.navigation``).

Run it with ``scimaudit dashboard`` (which passes the config path in ``SCIMAUDIT_CONFIG`` and binds
127.0.0.1). Pages hold no SQL and no rules: they check the signed-in actor's role first
(``review.actors.require_role``), then call the read models of the layer that owns the data
(``review`` with the actor, which enforces each person's queue; ``analytics.finding_reads``,
``analytics.access_reads``, ``store.snapshot_table``; ``reporting.pack_runs`` with the actor).
"""

from __future__ import annotations

import streamlit as st
import ui_session as ui

from scimaudit.errors import ScimauditError

PAGES = {
    # file, title, icon, roles
    "my_reviews": (
        "views/my_reviews.py",
        "My reviews",
        ":material/fact_check:",
        {"manager", "security", "admin"},
    ),
    "campaigns": (
        "views/campaigns.py",
        "Campaigns",
        ":material/assignment:",
        {"security", "auditor", "admin"},
    ),
    "findings": (
        "views/findings.py",
        "Findings",
        ":material/report:",
        {"security", "auditor", "admin"},
    ),
    "access": (
        "views/access_explorer.py",
        "Access explorer",
        ":material/travel_explore:",
        {"security", "auditor", "admin"},
    ),
    "evidence": (
        "views/evidence.py",
        "Evidence",
        ":material/verified:",
        {"security", "auditor", "admin"},
    ),
    "collections": (
        "views/collections.py",
        "Collections",
        ":material/cloud_sync:",
        {"security", "auditor", "admin"},
    ),
}

# The favicon is an emoji (drawn locally): a ":material/...:" page icon is fetched from
# fonts.gstatic.com, and an offline audit environment allows no request to the internet.
st.set_page_config(page_title="scimaudit", page_icon="🛡️", layout="wide")

try:
    config = ui.config()
except ScimauditError as exc:
    st.error(ui.plain(f"The dashboard cannot read its configuration: {exc}"))
    st.stop()

who = ui.resolve_actor(config)
if who is None:
    # every page's address shows the sign-in form, so a deep link survives sign-in: the rerun
    # after it routes the same address to the real page (if the role may open it)
    st.navigation(
        [st.Page(ui.sign_in_page, title="Sign in", icon=":material/login:", default=True)]
        + [
            st.Page(ui.sign_in_page, title="Sign in", icon=":material/login:", url_path=key)
            for key in PAGES
        ],
        position="hidden",
    ).run()
    st.stop()

pages = [
    st.Page(path, title=title, icon=icon, url_path=key)
    for key, (path, title, icon, roles) in PAGES.items()
    if who.role in roles
]
with st.sidebar:
    if who.name:
        st.text(who.name)
    st.caption(ui.plain(f"{who.email} · {who.role}" + (" (read-only)" if who.read_only else "")))
    if config.dashboard.auth != "header":
        st.button("Sign out", on_click=ui.sign_out, icon=":material/logout:")
    ui.set_session_cookie()  # last in the sidebar: its coming and going shifts nothing on the page
st.navigation(pages).run()
