"""Campaigns: progress by reviewer, overdue, start/remind/reassign/close, evidence downloads."""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st
import ui_session as ui

from scimaudit.reporting.campaign_close import campaign_evidence_files, close_campaign
from scimaudit.review import queries
from scimaudit.review.actors import ADMINISTER, READ_ALL, require_role
from scimaudit.review.campaigns import start_campaign_as
from scimaudit.review.delegation import delegate
from scimaudit.review.items import ACCESS_SCOPES
from scimaudit.review.reminders import remind

actor = ui.require_actor()
ui.call(require_role, actor, READ_ALL, "open Campaigns")
config = ui.config()
can_admin = actor.role in ADMINISTER

st.title("Campaigns")
ui.show_flash()

if can_admin:
    with st.expander("Start a campaign", icon=":material/add:"), st.form("start_campaign"):
        name = st.text_input("Name", placeholder="Q3 access review")
        app_names = [a.name for a in config.apps]
        apps = st.multiselect("Apps (none = all)", app_names)
        access = st.radio(
            "Access",
            ACCESS_SCOPES,
            horizontal=True,
            format_func={
                "all": "All",
                "privileged": "Privileged only",
                "changed": "New since last campaign",
            }.get,
        )
        due = st.date_input(
            "Due",
            value=date.today() + timedelta(days=config.review.due_days),
            min_value=date.today(),
        )
        if st.form_submit_button("Start campaign", type="primary"):
            cid = ui.call(
                start_campaign_as,
                config,
                actor,
                name=name,
                apps=apps or None,
                access=access,
                due=due,
            )
            ui.flash(f"Started campaign {cid}.")
            st.rerun()

overview = ui.call(queries.campaign_overview, config, actor)
if overview.empty:
    st.info("No campaigns yet." + (" Start one above." if can_admin else ""))
    st.stop()

st.dataframe(
    overview,
    hide_index=True,
    width="stretch",
    height=ui.table_height(len(overview), max_rows=8),
    placeholder="",
    column_order=[
        "campaign_id",
        "name",
        "status",
        "due",
        "overdue",
        "items",
        "progress",
        "revoked",
        "undecided",
        "unassigned",
        "reviewers",
        "signed_off",
    ],
    column_config={
        "campaign_id": st.column_config.NumberColumn("#", width="small"),
        "name": st.column_config.TextColumn("Campaign", width="medium"),
        "status": "Status",
        "due": st.column_config.DateColumn("Due", format="YYYY-MM-DD"),
        "overdue": st.column_config.CheckboxColumn("Overdue"),
        "items": "Items",
        "progress": st.column_config.ProgressColumn(
            "Decided", format="percent", min_value=0.0, max_value=1.0
        ),
        "revoked": "Revoke",
        "undecided": "Undecided",
        "unassigned": "Unassigned",
        "reviewers": "Reviewers",
        "signed_off": "Signed off",
    },
)

names = dict(zip(overview["campaign_id"], overview["name"], strict=True))
campaign_id = int(
    st.selectbox(
        "Campaign", list(names), format_func=lambda c: f"{c} · {names[c]}", key="campaign_pick"
    )
)
row = overview[overview["campaign_id"] == campaign_id].iloc[0]
is_open = row["status"] == "open"

progress_tab, items_tab, evidence_tab, actions_tab = st.tabs(
    ["Progress by reviewer", "Items", "Evidence", "Actions"]
)

with progress_tab:
    progress = ui.call(queries.reviewer_progress, config, actor, campaign_id)
    chart = progress.set_index("reviewer")[["decided", "undecided"]]
    st.bar_chart(
        chart,
        horizontal=True,
        stack=True,
        color=["#2e7d32", "#c9ced6"],
        height=80 + 40 * len(chart),
        x_label="items",
        y_label="",
    )
    st.dataframe(
        progress,
        hide_index=True,
        width="stretch",
        placeholder="",
        height=ui.table_height(len(progress)),
        column_config={
            "reviewer_id": "Id",
            "reviewer": "Reviewer",
            "email": "Email",
            "items": "Items",
            "decided": "Decided",
            "revoked": "Revoke",
            "undecided": "Undecided",
            "progress": st.column_config.ProgressColumn(
                "Progress", format="percent", min_value=0.0, max_value=1.0
            ),
            "signed_at": st.column_config.DatetimeColumn("Signed off", format="YYYY-MM-DD HH:mm"),
        },
    )

with items_tab:
    items = ui.call(queries.campaign_items, config, actor, campaign_id)
    st.dataframe(
        items,
        hide_index=True,
        width="stretch",
        height=ui.table_height(len(items)),
        placeholder="",
        column_order=[
            "item_id",
            "person",
            "app",
            "account",
            "access",
            "findings",
            "recommendation",
            "reviewer_id",
            "decision",
            "reason",
            "decided_by",
            "decided_at",
        ],
        column_config={
            "item_id": st.column_config.NumberColumn("#", width="small"),
            "person": "Person",
            "app": "App",
            "account": "Account",
            "access": "Access",
            "findings": "Findings",
            "recommendation": "Suggested",
            "reviewer_id": "Reviewer",
            "decision": "Decision",
            "reason": "Reason",
            "decided_by": "By",
            "decided_at": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD HH:mm"),
        },
    )

with evidence_tab:
    st.write(
        "Who decided what and when, per-reviewer approval rate and pace, self-reviews (must "
        "be 0), undecided items and revocations requested, with the hash-chained log."
    )
    key = f"evidence_{campaign_id}"
    c1, c2, _ = st.columns([1, 1.6, 2])
    if c1.button("Prepare CSV files", key="prep_csv"):
        st.session_state[key] = ui.call(campaign_evidence_files, config, actor, campaign_id)
    if c2.button("Prepare PDF (with the CSVs attached)", key="prep_pdf"):
        with st.spinner("Rendering PDF…"):
            st.session_state[key] = ui.call(
                campaign_evidence_files, config, actor, campaign_id, pdf=True
            )
    for file_name, data in st.session_state.get(key, {}).items():
        st.download_button(
            f"Download {file_name}",
            data,
            file_name=file_name,
            mime="application/pdf" if file_name.endswith(".pdf") else "text/csv",
            key=f"dl_{file_name}",
            icon=":material/download:",
        )

with actions_tab:
    if not can_admin:
        st.info("Read-only: auditors can see and download everything, but change nothing.")
    elif not is_open:
        st.info("This campaign is closed.")
    else:
        if st.button("Record a reminder to reviewers with undecided items", key="remind"):
            reminders = ui.call(remind, config, actor, campaign_id)
            ui.flash(
                "Reminders:\n\n" + "\n\n".join(r.text for r in reminders)
                if reminders
                else "Nothing left to decide.",
                "info",
            )
            st.rerun()
        with st.form("reassign"):
            st.markdown("**Reassign items** (e.g. unassigned ones, or a reviewer who is away)")
            ids = st.text_input("Item numbers", placeholder="12, 13, 40")
            to = st.text_input("New reviewer (work email or employee id)")
            why = st.text_input("Reason")
            if st.form_submit_button("Reassign"):
                try:
                    chosen = [int(x) for x in ids.replace(",", " ").split()]
                except ValueError:
                    st.error("Item numbers must be whole numbers.")
                    st.stop()
                n = ui.call(delegate, config, actor, campaign_id, chosen, to, why)
                ui.flash(f"Reassigned {n} item(s).")
                st.rerun()
        st.markdown(
            f"**Close the campaign**: undecided items get this campaign's default "
            f"(`{row['default_undecided']}`); nothing can change afterwards."
        )
        sure = st.checkbox("I understand closing is final", key="close_sure")
        if st.button("Close campaign", type="primary", disabled=not sure, key="close"):
            with st.spinner("Closing and writing evidence…"):
                result = ui.call(close_campaign, config, actor, campaign_id)
            ui.flash(
                f"Closed campaign {campaign_id}: default applied to {result.defaulted} "
                f"item(s); evidence in {result.files[-1].parent}."
            )
            st.rerun()
