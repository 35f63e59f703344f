"""Collections: every snapshot with its status, completeness record, timings and failures."""

from __future__ import annotations

from typing import Any

import orjson
import pandas as pd
import streamlit as st
import ui_session as ui

from scimaudit.review.actors import READ_ALL, require_role
from scimaudit.store.snapshot_table import recent_snapshots

actor = ui.require_actor()
ui.call(require_role, actor, READ_ALL, "open Collections")
config = ui.config()


def _compact(raw: Any) -> str:
    """A JSON object as ``key=value`` pairs (nested keys dotted), for a table cell."""
    if raw is None or (isinstance(raw, float) and pd.isna(raw)):
        return ""
    try:
        value = orjson.loads(raw) if isinstance(raw, str | bytes) else raw
    except orjson.JSONDecodeError:
        return str(raw)
    flat: list[str] = []

    def walk(v: Any, prefix: str) -> None:
        if isinstance(v, dict):
            for k, x in v.items():
                walk(x, f"{prefix}{k}.")
        elif not isinstance(v, list):
            flat.append(f"{prefix[:-1]}={v}")

    walk(value, "")
    return ", ".join(flat[:12]) + (" …" if len(flat) > 12 else "")


st.title("Collections")
frame = ui.call(recent_snapshots, config)
frame["counts"] = [_compact(c) for c in frame["counts"]]
frame["completeness"] = [_compact(c) for c in frame["completeness"]]
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
