"""Collections: every snapshot with its status, completeness record, timings and failures."""

from __future__ import annotations

from typing import Any

import streamlit as st
import ui_session as ui

from scimaudit import dashboard_data as data
from scimaudit.review.actors import READ_ALL, require_role

actor = ui.require_actor()
ui.call(require_role, actor, READ_ALL, "open Collections")
config = ui.config()

st.title("Collections")
frame = ui.call(data.collections, config, actor)
if frame.empty:
    st.info("Nothing collected yet: run `scimaudit collect`.")
    st.stop()

latest = frame.sort_values("snapshot_id").groupby(["source_kind", "source_name"]).tail(1)
failed = frame[frame["status"] == "failed"]
a, b, c = st.columns(3)
a.metric("Sources", len(latest))
b.metric("Latest pull failed", int((latest["status"] == "failed").sum()))
c.metric("Failed snapshots (recent)", len(failed))

st.subheader("Latest per source")
LABELS: dict[str, Any] = {
    "snapshot_id": st.column_config.NumberColumn("#", width="small"),
    "source_kind": "Kind",
    "source_name": "Source",
    "status": "Status",
    "as_of": st.column_config.DatetimeColumn("As of", format="YYYY-MM-DD HH:mm"),
    "started_at": st.column_config.DatetimeColumn("Started", format="YYYY-MM-DD HH:mm:ss"),
    "finished_at": st.column_config.DatetimeColumn("Finished", format="YYYY-MM-DD HH:mm:ss"),
    "seconds": st.column_config.NumberColumn("Seconds", format="%.1f"),
    "counts": st.column_config.TextColumn("Counts", width="medium"),
    "completeness": st.column_config.TextColumn("Completeness", width="medium"),
    "sha256": st.column_config.TextColumn("SHA-256", width="small"),
    "error": st.column_config.TextColumn("Error", width="large"),
    "location": "Location",
}
st.dataframe(
    latest,
    hide_index=True,
    width="stretch",
    placeholder="",
    column_config=LABELS,
    height=ui.table_height(len(latest)),
    column_order=["source_kind", "source_name", "status", "as_of", "seconds", "counts", "error"],
)
if not failed.empty:
    st.subheader("Failures")
    st.dataframe(
        failed,
        hide_index=True,
        width="stretch",
        placeholder="",
        column_config=LABELS,
        height=ui.table_height(len(failed), max_rows=8),
        column_order=["snapshot_id", "source_name", "started_at", "error", "completeness"],
    )
st.subheader("All snapshots")
st.dataframe(
    frame,
    hide_index=True,
    width="stretch",
    placeholder="",
    column_config=LABELS,
    height=ui.table_height(len(frame)),
)
