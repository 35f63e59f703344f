"""Findings: filter by kind, app and severity; chart; export; drill into one account."""

from __future__ import annotations

import hashlib

import streamlit as st
import ui_session as ui

from scimaudit.analytics import finding_reads as data
from scimaudit.collect.scim.archive_check import received_for_account
from scimaudit.review.actors import READ_ALL, require_role

actor = ui.require_actor()
ui.call(require_role, actor, READ_ALL, "open Findings")
config = ui.config()

st.title("Findings")
run = ui.call(data.latest_run, config)
if run is None:
    st.info("No complete analysis yet: run `scimaudit analyze` after collecting.")
    st.stop()
st.caption(f"Analysis run {run['run_id']} as of {run['as_of']:%d %b %Y}.")

frame = ui.call(data.run_findings, config, int(run["run_id"]))
c1, c2, c3, c4 = st.columns([2, 2, 2, 1], vertical_alignment="bottom")
kinds = c1.multiselect("Kind", sorted(frame["kind"].unique()), key="fk")
apps = c2.multiselect("App", sorted(frame["app"].dropna().unique()), key="fa")
sev = c3.multiselect("Severity", ["critical", "high", "medium", "low"], key="fs")
exempted = c4.toggle("Exempted", value=True, key="fe", help="Include risk-accepted findings")
view = data.filter_findings(
    frame, kinds=kinds, apps=apps, severities=sev, include_exempted=exempted
).reset_index(drop=True)

m1, m2, m3 = st.columns(3)
m1.metric("Findings", len(view))
m2.metric("Open", int((view["status"] == "open").sum()))
m3.metric("Accounts", view[["app", "account_id"]].drop_duplicates().shape[0])

chart = data.findings_by_app_and_kind(view)
if not chart.empty:
    st.bar_chart(
        chart,
        stack=True,
        horizontal=True,
        height=80 + 36 * len(chart),
        x_label="findings",
        y_label="",
    )

picked = st.dataframe(
    view,
    hide_index=True,
    width="stretch",
    height=ui.table_height(len(view)),
    # a filter change is a new table (nothing selected): a selected position never points at
    # another account's row
    key="findings_"
    + hashlib.blake2s(repr((run["run_id"], kinds, apps, sev, exempted)).encode()).hexdigest()[:16],
    on_select="rerun",
    selection_mode="single-row",
    placeholder="",
    column_order=[
        "severity",
        "kind",
        "app",
        "user_name",
        "person",
        "group_name",
        "status",
        "reason",
        "first_seen",
    ],
    column_config={
        "severity": "Severity",
        "kind": "Kind",
        "app": "App",
        "user_name": "Account",
        "person": "Person",
        "group_name": "Group",
        "status": "Status",
        "reason": st.column_config.TextColumn("Reason", width="large"),
        "first_seen": st.column_config.DateColumn("First seen", format="YYYY-MM-DD"),
    },
)
st.download_button(
    "Export CSV",
    ui.csv_bytes(view),
    file_name="findings.csv",
    mime="text/csv",
    icon=":material/download:",
)

pending = ui.call(data.pending_deprovisioning_frame, config, int(run["run_id"]))
if not pending.empty:
    with st.expander(f"Pending deprovisioning: {len(pending)} leaver account(s) inside the SLA"):
        st.caption("Not findings (not counted above, in packs or in reviews) until the deadline.")
        st.dataframe(
            pending,
            hide_index=True,
            width="stretch",
            placeholder="",
            column_order=["deadline", "app", "user_name", "person", "termination_date"],
        )

rows = picked.selection.rows if picked is not None else []
if rows:
    chosen = view.iloc[rows[0]]
    st.subheader(
        ui.plain(f"{chosen['user_name'] or chosen['account_id']} in {chosen['app']}"), anchor=False
    )
    detail = ui.call(
        data.account_detail,
        config,
        int(run["run_id"]),
        str(chosen["app"]),
        str(chosen["account_id"]),
    )
    left, right = st.columns(2)
    with left:
        st.markdown("**Identity link**")
        if detail.link:
            link = detail.link
            st.text(
                f"{link.get('account_type')} account · person: {link.get('person') or '—'} "
                f"({link.get('employee_id') or 'none'}) · rule: {link.get('rule') or '—'} · "
                f"confidence: {link.get('confidence') or '—'} · HR status: "
                f"{link.get('hr_status') or '—'}"
            )
            if link.get("note"):
                st.caption(str(link["note"]))
        st.markdown("**Groups**")
        st.text(", ".join(detail.groups) or "none")
        st.markdown("**History**")
        st.dataframe(detail.history, hide_index=True, width="stretch", placeholder="")
        st.markdown("**As received from the app**")
        got, note = ui.call(
            received_for_account, config, detail.snapshot_id, str(chosen["account_id"])
        )
        if got is not None:
            st.caption(
                f"Resource {got.index + 1} of response {got.seq} in the snapshot's page archive"
                f" (page SHA-256 {got.page_sha256[:16]}…)"
            )
            st.json(got.resource, expanded=False)
        else:
            st.caption(ui.plain(note or "Not kept for this snapshot."))
    with right:
        st.markdown("**Findings and evidence**")
        for f in detail.findings:
            st.text(f"{f['kind']} · {f['severity']} · {f['status']}: {f['reason']}")
            st.json(f["evidence"], expanded=False)
else:
    st.caption("Select a row to see the account's link, evidence and history.")
