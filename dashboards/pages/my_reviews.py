"""My reviews: the signed-in reviewer's queue, grouped by person, with keep/revoke, bulk, sign-off."""

from __future__ import annotations

import pandas as pd
import streamlit as st
import ui_session as ui
from streamlit.errors import StreamlitAPIException

from scimaudit.review import queries
from scimaudit.review.assignment import delegate
from scimaudit.review.auth import require_writer
from scimaudit.review.decisions import decide, keep_all_unflagged, sign_off

actor = ui.require_actor()
ui.call(require_writer, actor, "review access")
config = ui.config()

st.title("My reviews")
campaigns = ui.call(queries.my_campaigns, config, actor)
if not campaigns:
    st.info("You have no access to review right now.")
    st.stop()

labels = {
    c.campaign_id: f"{c.name} · due {c.due:%d %b %Y}" + (" · closed" if c.closed_at else "")
    for c in campaigns
}
campaign_id = st.selectbox(
    "Campaign", list(labels), format_func=lambda cid: labels[cid], key="my_campaign"
)

COLUMNS = {
    "person": st.column_config.TextColumn("Person", width="medium"),
    "app": st.column_config.TextColumn("App", width="small"),
    "access": st.column_config.TextColumn("Access", help="(account) = the account itself"),
    "decision": st.column_config.TextColumn("Decision", width="small"),
    "findings": st.column_config.TextColumn("Findings", width="medium"),
    "recommendation": st.column_config.TextColumn("Suggested", width="small"),
    "recommendation_reason": st.column_config.TextColumn("Why", width="medium"),
    "reason": st.column_config.TextColumn("Your reason", width="medium"),
    "title": st.column_config.TextColumn("Title"),
    "account": st.column_config.TextColumn("Account"),
    "last_sign_in": st.column_config.DatetimeColumn("Last sign-in", format="YYYY-MM-DD"),
    "peer_share": st.column_config.NumberColumn(
        "Peers with it", format="percent",
        help="Share of the person's peers (same department and title) holding the same access",
    ),
}


def _selected_ids(view: pd.DataFrame, key: str) -> list[int]:
    state = st.session_state.get(key) or {}
    rows = list((state.get("selection") or {}).get("rows") or [])
    return [int(view.iloc[r]["item_id"]) for r in rows if r < len(view)]


def _after_change(message: str) -> None:
    ui.flash(message)
    st.session_state["queue_version"] = st.session_state.get("queue_version", 0) + 1
    try:
        st.rerun(scope="fragment")  # only the queue panel re-renders
    except StreamlitAPIException:  # the panel ran as part of a full run: rerun it all
        st.rerun()


@st.fragment
def queue_panel(campaign_id: int) -> None:
    """Everything that changes on a decision reruns alone (the page around it does not)."""
    queue = ui.call(queries.my_queue, config, actor, campaign_id)
    items = queue.items
    ui.show_flash()

    total, decided = queue.total, queue.decided
    flagged_open = int((items["flagged"] & items["decision"].isna()).sum()) if total else 0
    a, b, c, d = st.columns(4)
    a.metric("Items", total)
    b.metric("Decided", f"{decided} / {total}")
    c.metric("Flagged, undecided", flagged_open)
    d.metric("Due", f"{queue.campaign.due:%d %b}")
    st.progress(decided / total if total else 1.0, text=f"{decided} of {total} decided")
    if queue.signed_off_at is not None:
        st.success(f"You signed off this review on {queue.signed_off_at:%d %b %Y %H:%M} UTC.")
    elif queue.campaign.closed_at is not None:
        st.info("This campaign is closed; decisions are final.")

    with st.expander("By person", expanded=False):
        st.dataframe(queries.people_summary(queue), hide_index=True, width="stretch")

    f1, f2, f3, f4, f5 = st.columns([2, 2, 1.4, 1.2, 1.2], vertical_alignment="bottom")
    people = ["Everyone", *sorted(items["person"].dropna().unique())]
    person = f1.selectbox("Person", people, key="f_person")
    apps = f2.multiselect("Apps", sorted(items["app"].unique()), key="f_apps")
    only_flagged = f3.toggle("Flagged", key="f_flagged", help="Only items with findings")
    only_open = f4.toggle("Open", key="f_open", help="Only undecided items")
    rec = f5.selectbox("Suggested", ["Any", "revoke", "keep", "none"], key="f_rec")
    view = queries.filter_queue(
        items,
        person=None if person == "Everyone" else person,
        apps=apps,
        only_flagged=only_flagged,
        only_undecided=only_open,
        recommendation=None if rec == "Any" else rec,
    ).reset_index(drop=True)

    table_key = f"queue_{campaign_id}_{st.session_state.get('queue_version', 0)}"
    st.dataframe(
        view,
        key=table_key,
        on_select="rerun",
        selection_mode="multi-row",
        hide_index=True,
        width="stretch",
        height=min(38 + 35 * max(len(view), 1), 640),
        placeholder="",
        column_order=list(COLUMNS),
        column_config=COLUMNS,
    )
    selected = _selected_ids(view, table_key)
    st.caption(f"{len(view)} shown · {len(selected)} selected — tick rows to decide them.")

    if queue.locked:
        return
    with st.form(f"decide_{campaign_id}", border=True, clear_on_submit=True):
        c1, c2, c3 = st.columns([1.2, 4, 1.3], vertical_alignment="bottom")
        choice = c1.radio("Decision", ["keep", "revoke"], horizontal=True,
                          format_func=str.capitalize, key="decision_choice")
        reason = c2.text_input(
            "Reason", key="decision_reason",
            placeholder="Required to revoke, and to keep anything flagged",
        )
        apply = c3.form_submit_button("Apply to selected", type="primary", key="apply_selected")
    if apply:
        if not selected:
            st.warning("Select one or more rows first.")
        else:
            n = ui.call(decide, config, actor, campaign_id, selected, choice, reason)
            _after_change(f"Recorded {choice} on {n} item(s).")

    unflagged = int((~items["flagged"] & items["decision"].isna()).sum()) if total else 0
    b1, b2 = st.columns(2)
    if b1.button(f"Keep all unflagged ({unflagged})", disabled=unflagged == 0,
                 help="Keeps every undecided item without findings; recorded as one bulk action"):
        n = ui.call(keep_all_unflagged, config, actor, campaign_id)
        _after_change(f"Kept {n} unflagged item(s) in one bulk action.")
    with b2.popover("Delegate selected", width="stretch"):
        to = st.text_input("To (work email or employee id)", key="delegate_to")
        why = st.text_input("Reason", key="delegate_reason")
        if st.button("Delegate", key="delegate_go"):
            if not selected:
                st.warning("Select rows first.")
            else:
                n = ui.call(delegate, config, actor, campaign_id, selected, to, why)
                _after_change(f"Delegated {n} item(s) to {to}.")

    st.divider()
    ready = decided == total
    certify = st.checkbox(
        "I have reviewed every item in my queue and my decisions are final",
        disabled=not ready, key="certify",
    )
    if st.button("Sign off", type="primary", disabled=not (ready and certify), key="sign_off"):
        n = ui.call(sign_off, config, actor, campaign_id)
        _after_change(f"Signed off: {n} item(s) certified.")
    if not ready:
        st.caption(f"Sign-off opens when all {total} items are decided ({total - decided} left).")


queue_panel(campaign_id)
