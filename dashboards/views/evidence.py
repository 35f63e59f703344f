"""Evidence: generate and download SOX / HIPAA / leavers / privileged packs, campaign evidence, and
verify a PDF someone hands you."""

from __future__ import annotations

import streamlit as st
import ui_session as ui

from scimaudit.reporting import pack_runs as data
from scimaudit.reporting.campaign_close import campaign_evidence_files
from scimaudit.review import queries
from scimaudit.review.actors import READ_ALL, require_role

actor = ui.require_actor()
ui.call(require_role, actor, READ_ALL, "open Evidence")
config = ui.config()

st.title("Evidence")
packs, campaign_tab, verify_tab = st.tabs(["Evidence packs", "Campaign evidence", "Verify a PDF"])

with packs:
    st.write("PDF/A-3b packs with the full population, exceptions and rule SQL attached.")
    c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
    kind = c1.selectbox("Pack", data.PACK_KINDS, format_func=str.upper, key="pack_kind")
    if c2.button("Generate", type="primary", key="pack_go"):
        with st.spinner(f"Building the {kind.upper()} pack…"):
            st.session_state["pack"] = ui.call(data.build_pack, config, actor, kind)
    pack = st.session_state.get("pack")
    if pack is not None:
        if pack.summary:
            st.code(pack.summary, language=None)
        d1, d2, _ = st.columns([1.3, 1.3, 1])
        d1.download_button(
            f"Download {pack.name}",
            pack.pdf,
            file_name=pack.name,
            mime="application/pdf",
            key="pack_dl",
            icon=":material/download:",
        )
        if pack.manifest is not None:
            d2.download_button(
                f"Download {pack.manifest_name}",
                pack.manifest,
                file_name=pack.manifest_name,
                mime="application/json",
                key="pack_manifest_dl",
                icon=":material/download:",
            )

with campaign_tab:
    overview = ui.call(queries.campaign_overview, config, actor)
    if overview.empty:
        st.info("No review campaigns yet.")
    else:
        names = dict(zip(overview["campaign_id"], overview["name"], strict=True))
        cid = int(
            st.selectbox(
                "Campaign",
                list(names),
                key="ev_campaign",
                format_func=lambda c: f"{c} · {names[c]}",
            )
        )
        if st.button("Prepare campaign evidence (PDF + CSV)", key="ev_prep"):
            with st.spinner("Rendering…"):
                st.session_state["ev_files"] = (
                    cid,
                    ui.call(campaign_evidence_files, config, actor, cid, pdf=True),
                )
        files = st.session_state.get("ev_files")
        if files and files[0] == cid:
            for file_name, blob in files[1].items():
                st.download_button(
                    f"Download {file_name}",
                    blob,
                    file_name=file_name,
                    key=f"ev_{file_name}",
                    mime="application/pdf" if file_name.endswith(".pdf") else "text/csv",
                    icon=":material/download:",
                )

with verify_tab:
    upload = st.file_uploader("Evidence pack PDF", type=["pdf"], key="verify_upload")
    sidecar = st.file_uploader(
        "Its manifest (…manifest.json), optional: lets the PDF's own hash be checked",
        type=["json"],
        key="verify_manifest",
    )
    if upload is not None and st.button("Verify", key="verify_go"):
        with st.spinner("Recomputing hashes and checking against the store…"):
            ok, report = ui.call(
                data.verify_upload,
                config,
                actor,
                upload.name,
                upload.getvalue(),
                sidecar.getvalue() if sidecar is not None else None,
            )
        if ok:
            st.success("Intact and consistent with the store.")
        else:
            st.error("Verification FAILED.")
        st.code(report or "(no output)", language=None)
