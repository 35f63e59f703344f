"""Delegating ticked queue items: refused early, warned about, and confirmed before anything moves.

Delegation is a way to get access certified by someone less independent (oneself, a colleague of
the person reviewed) or by nobody (someone who cannot sign in). So "Delegate" only *proposes*: the
library's checks run at once (:func:`~scimaudit.review.delegation.delegation_warnings`), and a
refusal (oneself, unknown, terminated, cannot sign in, an auditor) is shown as a message with
nothing recorded. Otherwise a panel lists the exact people and access that would move, and the
peer warning when the new reviewer shares a manager with a person reviewed; only its confirm
button writes, and the warning goes into the logged reason. The proposal is bound to the grid it
was made from: if the list changes, it is dropped, like a pending decision.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import queue_selection as sel
import streamlit as st
import ui_session as ui

from scimaudit.config import Config
from scimaudit.errors import ScimauditError
from scimaudit.review.actors import Actor
from scimaudit.review.delegation import delegate, delegation_warnings

PENDING_KEY = "queue_pending_delegation"


@dataclass(frozen=True)
class PendingDelegation:
    """A delegation waiting for the reviewer to confirm the exact items (and any warning)."""

    campaign_id: int
    key: str
    item_ids: tuple[int, ...]
    to: str
    reason: str
    warnings: tuple[str, ...]


def current(state: MutableMapping[str, Any], key: str) -> PendingDelegation | None:
    """The pending delegation made from grid ``key``; one made from another list is dropped."""
    pending = state.get(PENDING_KEY)
    if isinstance(pending, PendingDelegation) and pending.key == key:
        return pending
    state.pop(PENDING_KEY, None)
    return None


def propose(config: Config, actor: Actor, campaign_id: int, key: str) -> None:
    """The popover's "Delegate": refuse now, or hold the delegation for the confirm panel."""
    st.session_state.pop(PENDING_KEY, None)
    chosen = sel.selected_ids(st.session_state, key)
    to = str(st.session_state.get("delegate_to", "")).strip()
    reason = str(st.session_state.get("delegate_reason", "")).strip()
    if not chosen:
        ui.flash("Select rows first.", "warning")
        return
    if not to or not reason:
        ui.flash("Delegation needs the new reviewer and a reason.", "error")
        return
    try:
        warnings = delegation_warnings(config, campaign_id, chosen, to, actor=actor)
    except ScimauditError as exc:
        ui.flash(f"Not delegated: {exc}", "error")
        return
    st.session_state[PENDING_KEY] = PendingDelegation(
        campaign_id, key, tuple(chosen), to, reason, tuple(warnings)
    )


def _cancel() -> None:
    st.session_state.pop(PENDING_KEY, None)


def panel(
    config: Config,
    actor: Actor,
    items: pd.DataFrame,
    pending: PendingDelegation,
    act: Callable[[Callable[[], str]], None],
) -> None:
    """What would move, to whom, and any warning, with Confirm and Cancel."""
    chosen = items[items["item_id"].isin(pending.item_ids)]
    people = sorted(str(p) for p in chosen["person"].dropna().unique())
    n = len(pending.item_ids)

    def confirm() -> None:
        st.session_state.pop(PENDING_KEY, None)
        ids = list(pending.item_ids)

        def move() -> str:
            moved = delegate(config, actor, pending.campaign_id, ids, pending.to, pending.reason)
            return f"Delegated {moved} item(s) to {pending.to}."

        act(move)

    with st.container(border=True, key="delegate_panel"):
        st.markdown(
            f"**Delegate {n} item(s)** for {ui.plain(', '.join(people))}"
            f" to {ui.plain(pending.to)} — reason: {ui.plain(pending.reason)}"
        )
        for warning in pending.warnings:
            st.warning(
                ui.plain(f"Warning: {warning}. The warning is recorded with the delegation.")
            )
        st.dataframe(
            chosen[["item_id", "person", "app", "access", "decision"]],
            hide_index=True,
            width="stretch",
            height=38 + 35 * min(max(len(chosen), 1), 8),
        )
        b1, b2, _ = st.columns([1.8, 1, 4])
        b1.button(
            f"Delegate {n} item(s) anyway"
            if pending.warnings
            else f"Confirm delegating {n} item(s)",
            type="primary",
            key="delegate_confirm",
            on_click=confirm,
        )
        b2.button("Cancel", key="delegate_cancel", on_click=_cancel)
