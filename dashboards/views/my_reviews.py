"""My reviews: the signed-in reviewer's queue by person, with keep/revoke, bulk, sign-off."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import pandas as pd
import queue_delegation as delegation
import queue_selection as sel
import streamlit as st
import ui_session as ui

from scimaudit.errors import ScimauditError
from scimaudit.review import queries
from scimaudit.review.actors import require_writer
from scimaudit.review.decisions import decide, keep_all_unflagged, sign_off

actor = ui.require_actor()
ui.call(require_writer, actor, "review access")
config = ui.config()
PENDING_KEY = "queue_pending"
LAST_VIEW_KEY = "queue_last_view"

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

COLUMNS = {  # in the order a manager decides by; all eight fit 1440 px wide; the rest to the right
    "person": st.column_config.TextColumn("Person", width=125),
    "app": st.column_config.TextColumn("App", width=55),
    "access": st.column_config.TextColumn("Access", width=115, help="(account) = the account"),
    "findings": st.column_config.TextColumn("Flag", width=125),
    "why": st.column_config.TextColumn(
        "Why", width=200, help="The suggestion in a few words; tick one row for the full reason"
    ),
    "last_sign_in": st.column_config.DatetimeColumn("Last sign-in", format="YYYY-MM-DD", width=95),
    "peer_share": st.column_config.NumberColumn(
        "Peers",
        format="percent",
        width=60,
        help="Share of the person's peers (same department and title) holding the same access",
    ),
    "decision": st.column_config.TextColumn("Decision", width=70),
    "recommendation": st.column_config.TextColumn("Suggested", width=80),
    "recommendation_reason": st.column_config.TextColumn("Full reason", width="large"),
    "reason": st.column_config.TextColumn("Your reason", width="medium"),
    "account": st.column_config.TextColumn("Account", width="medium"),
    "title": st.column_config.TextColumn("Title", width="medium"),
}


def _version() -> int:
    return int(st.session_state.get("queue_version", 0))


def _act(action: Callable[[], str]) -> None:
    """Run a library action from a widget callback (before the rerun renders fresh data)."""
    st.session_state.pop(PENDING_KEY, None)
    try:
        message = action()
    except ScimauditError as exc:
        ui.flash(str(exc), "error")
        return
    ui.flash(message)
    st.session_state.pop(LAST_VIEW_KEY, None)  # the list changes because of this decision
    st.session_state["queue_version"] = _version() + 1


def _propose(campaign_id: int, key: str) -> None:
    """ "Apply to selected": hold the decision until the reviewer confirms the listed items."""
    chosen = sel.selected_ids(st.session_state, key)
    if not chosen:
        st.session_state.pop(PENDING_KEY, None)
        ui.flash("Select one or more rows first.", "warning")
        return
    st.session_state[PENDING_KEY] = sel.Pending(
        campaign_id,
        key,
        tuple(chosen),
        str(st.session_state.get("decision_choice", "keep")),
        str(st.session_state.get("decision_reason", "")),
    )


def _confirm(pending: sel.Pending) -> None:
    """Record exactly the ids that were listed for confirmation (the library checks each one is
    an open item of this reviewer's queue)."""
    ids = list(pending.item_ids)
    _act(
        lambda: (
            f"Recorded {pending.choice} on "
            f"{decide(config, actor, pending.campaign_id, ids, pending.choice, pending.reason)}"
            " item(s)."
        )
    )


def _cancel() -> None:
    st.session_state.pop(PENDING_KEY, None)


def _keep_unflagged(campaign_id: int) -> None:
    _act(
        lambda: (
            f"Kept {keep_all_unflagged(config, actor, campaign_id)} unflagged item(s) "
            "in one bulk action."
        )
    )


def _sign_off(campaign_id: int) -> None:
    _act(lambda: f"Signed off: {sign_off(config, actor, campaign_id)} item(s) certified.")


def _detail_panel(item: pd.Series) -> None:
    """The evidence behind one ticked item: each finding with its reason, and the facts the
    suggestion used. All of it is data from HR and the apps, so it is shown as plain text."""
    with st.container(border=True, key="item_detail"):
        st.markdown("**Why this item is here**")
        st.text(
            f"{item['person']} · {item['title'] or '—'} · {item['department'] or '—'}"
            f" · HR status: {item['person_status'] or 'not in HR'}"
        )
        st.text(f"{item['app']} · account {item['account']} · access {item['access']}")
        last = item["last_sign_in"]
        share = item["peer_share"]
        st.text(
            f"Last sign-in: {'never seen' if pd.isna(last) else f'{last:%Y-%m-%d}'}"
            f" · peers holding it: {'—' if pd.isna(share) else f'{share:.0%}'}"
        )
        for f in json.loads(item["findings_detail"] or "[]"):
            st.text(
                f"Finding {f.get('kind')} ({f.get('severity')}, {f.get('status')}):"
                f" {f.get('reason')}"
            )
        reason = item["recommendation_reason"]
        if isinstance(reason, str) and reason:  # the full reason the grid's Why column shortens
            st.text(f"Why: {reason}")


def _confirm_panel(items: pd.DataFrame, pending: sel.Pending) -> None:
    """The exact people and access the pending decision covers, with Confirm and Cancel."""
    chosen = items[items["item_id"].isin(pending.item_ids)]
    people = sorted(str(p) for p in chosen["person"].dropna().unique())
    with st.container(border=True, key="confirm_panel"):
        st.markdown(
            f"**{pending.choice.capitalize()} {len(pending.item_ids)} item(s)** for"
            f" {ui.plain(', '.join(people))}"
            + (f" — reason: {ui.plain(pending.reason)}" if pending.reason.strip() else "")
        )
        st.dataframe(
            chosen[["item_id", "person", "app", "access", "decision"]],
            hide_index=True,
            width="stretch",
            height=38 + 35 * min(max(len(chosen), 1), 8),
        )
        b1, b2, _ = st.columns([1.6, 1, 4])
        b1.button(
            f"Confirm {pending.choice} on {len(pending.item_ids)} item(s)",
            type="primary",
            key="confirm_go",
            on_click=_confirm,
            args=(pending,),
        )
        b2.button("Cancel", key="confirm_cancel", on_click=_cancel)


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
    days = (queue.campaign.due - date.today()).days
    d.metric(
        "Due",
        f"{queue.campaign.due:%d %b}",
        f"in {days} day{'s' * (days != 1)}" if days >= 0 else f"{-days} days overdue",
        delta_color="off" if days >= 0 else "inverse",
        delta_arrow="off",
    )
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
    search = st.text_input(
        "Search",
        key="f_search",
        placeholder="Search person, app, access, account, flag",
        label_visibility="collapsed",
    )
    view = queries.filter_queue(
        items,
        person=None if person == "Everyone" else person,
        apps=apps,
        only_flagged=only_flagged,
        only_undecided=only_open,
        recommendation=None if rec == "Any" else rec,
    )
    if search.strip():
        needle = search.strip().lower()
        hay = view[["person", "app", "access", "account", "findings"]].fillna("").astype(str)
        view = view[
            hay.apply(lambda col: col.str.lower().str.contains(needle, regex=False)).any(axis=1)
        ]
    view = view.reset_index(drop=True)

    view_ids = [int(i) for i in view["item_id"]]
    key = sel.view_key(campaign_id, view_ids, _version())
    sel.remember_view(st.session_state, key, view_ids)
    previous = st.session_state.get(LAST_VIEW_KEY)
    st.session_state[LAST_VIEW_KEY] = key
    pending = st.session_state.get(PENDING_KEY)
    if isinstance(pending, sel.Pending) and pending.key != key:
        st.session_state.pop(PENDING_KEY, None)
        pending = None
    if previous and previous != key and sel.selected_ids(st.session_state, previous):
        st.info("The list changed, so the selection was cleared: tick the rows to decide again.")
    st.dataframe(  # final queues (signed off / closed) are read-only: no row selection
        view,
        key=key,
        on_select="ignore" if queue.locked else "rerun",
        selection_mode="multi-row",
        hide_index=True,
        width="stretch",
        height=min(38 + 35 * max(len(view), 1), 640),
        placeholder="",
        column_order=list(COLUMNS),
        column_config=COLUMNS,
    )
    if queue.locked:
        st.caption(f"{len(view)} shown.")
        return
    selected = sel.selected_ids(st.session_state, key)
    st.caption(f"{len(view)} shown · {len(selected)} selected — tick rows to decide them.")

    if len(selected) == 1:
        _detail_panel(items[items["item_id"] == selected[0]].iloc[0])
    if isinstance(pending, sel.Pending):
        _confirm_panel(items, pending)
    if (moving := delegation.current(st.session_state, key)) is not None:
        delegation.panel(config, actor, items, moving, _act)
    with st.form(f"decide_{campaign_id}", border=True, clear_on_submit=True):
        c1, c2, c3 = st.columns([1.2, 4, 1.3], vertical_alignment="bottom")
        c1.radio(
            "Decision",
            ["keep", "revoke"],
            horizontal=True,
            format_func=str.capitalize,
            key="decision_choice",
        )
        c2.text_input(
            "Reason",
            key="decision_reason",
            placeholder="Required to revoke, and to keep anything flagged",
        )
        c3.form_submit_button(
            "Apply to selected",
            type="primary",
            key="apply_selected",
            on_click=_propose,
            args=(campaign_id, key),
        )

    unflagged = int((~items["flagged"] & items["decision"].isna()).sum()) if total else 0
    b1, b2 = st.columns(2)
    b1.button(
        f"Keep all unflagged ({unflagged})",
        disabled=unflagged == 0,
        help="Keeps every undecided item without findings; recorded as one bulk action",
        on_click=_keep_unflagged,
        args=(campaign_id,),
    )
    with (
        b2.popover("Delegate selected", width="stretch"),
        st.form(f"delegate_{campaign_id}", border=False),  # no rerun per keystroke or blur
    ):
        st.text_input("To (work email or employee id)", key="delegate_to")
        st.text_input("Reason", key="delegate_reason")
        st.form_submit_button(
            "Delegate",
            key="delegate_go",
            help="Checks the new reviewer now; nothing moves until you confirm the listed items",
            on_click=delegation.propose,
            args=(config, actor, campaign_id, key),
        )

    st.divider()
    ready = decided == total
    certify = st.checkbox(
        "I have reviewed every item in my queue and my decisions are final",
        disabled=not ready,
        key="certify",
    )
    st.button(
        "Sign off",
        type="primary",
        disabled=not (ready and certify),
        key="sign_off",
        on_click=_sign_off,
        args=(campaign_id,),
    )
    if not ready:
        st.caption(f"Sign-off opens when all {total} items are decided ({total - decided} left).")


queue_panel(campaign_id)
