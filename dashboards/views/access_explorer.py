"""Access explorer: who had which account and group on a given date, from stored snapshots."""

from __future__ import annotations

from datetime import date

import streamlit as st
import ui_session as ui

from scimaudit.analytics import access_reads as data
from scimaudit.review.actors import READ_ALL, require_role

actor = ui.require_actor()
ui.call(require_role, actor, READ_ALL, "open the Access explorer")
config = ui.config()

st.title("Access explorer")
c1, c2, c3, c4 = st.columns([1, 2, 1.5, 1.5])
day = c1.date_input("As of", value=date.today(), max_value=date.today(), key="ax_day")
person = c2.text_input("Person (name, login or employee id)", key="ax_person")
app = c3.selectbox("App", ["All apps", *[a.name for a in config.apps]], key="ax_app")
group = c4.text_input("Group contains", key="ax_group")

result = ui.call(
    data.access_as_of,
    config,
    day,
    person=person or None,
    app=None if app == "All apps" else app,
    access=group or None,
)
if not result.snapshots:
    st.info(f"No complete app snapshot exists on or before {day:%d %b %Y}.")
    st.stop()
st.caption(
    f"{result.total} row(s) from snapshots "
    + ", ".join(f"{name} #{sid}" for name, sid in sorted(result.snapshots.items()))
    + "; active accounts, groups held directly or nested, people linked as `scimaudit access` does"
)
for note in result.notes:
    st.caption(f"note: {note}")
shown = result.rows.head(data.ACCESS_ROW_CAP)
st.dataframe(
    shown,
    hide_index=True,
    width="stretch",
    height=ui.table_height(len(shown)),
    placeholder="",
    column_order=[
        "person",
        "employee_id",
        "department",
        "hr_status",
        "app",
        "user_name",
        "access",
        "membership",
        "snapshot_id",
    ],
    column_config={
        "person": "Person",
        "employee_id": "Employee",
        "department": "Department",
        "hr_status": "HR status",
        "app": "App",
        "user_name": "Account",
        "access": st.column_config.TextColumn("Group"),
        "membership": "Held",
        "snapshot_id": st.column_config.NumberColumn("Snapshot", width="small"),
    },
)
if result.total > data.ACCESS_ROW_CAP:
    st.caption(f"First {data.ACCESS_ROW_CAP} rows shown; the CSV has all {result.total}.")
st.download_button(
    "Export CSV",
    ui.csv_bytes(result.rows),
    file_name=f"access-{day}.csv",
    mime="text/csv",
    icon=":material/download:",
)

st.subheader("Accounts over time")
history = ui.call(data.access_over_time, config)
if history.empty:
    st.caption("No complete app snapshots yet.")
elif history["as_of"].nunique() < 2:
    st.caption("One collection so far: accounts per app (a line appears after the next one).")
    st.bar_chart(history, x="app", y="accounts", height=220, x_label="", y_label="accounts")
else:
    st.line_chart(history, x="as_of", y="accounts", color="app", height=260, x_label="")
