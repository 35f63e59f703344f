"""Closing campaigns (default for undecided, due date), reminders, and the campaign evidence."""

from __future__ import annotations

import csv
import io
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest

from review_support import CEO, MIA, OLE, ORG, SEC, A, F, actor, build_store, make_config
from scimaudit.config import Config
from scimaudit.errors import PermissionDeniedError, ReviewError
from scimaudit.reporting.campaign_close import (
    campaign_signoffs,
    close_campaign,
    close_due_campaigns,
    write_campaign_evidence,
)
from scimaudit.reporting.campaign_evidence import campaign_evidence
from scimaudit.review.actors import cli_actor
from scimaudit.review.campaigns import start_campaign
from scimaudit.review.decisions import decide, keep_all_unflagged, sign_off, verify_chain
from scimaudit.review.reminders import remind
from scimaudit.store.connect import connect

DUE = date.today() + timedelta(days=7)


def setup(tmp_path: Path, default: str | None = None) -> tuple[Config, int]:
    config = make_config(
        tmp_path,
        apps={"crm": {"fallback_reviewer": "E8"}},
        extra={"review": {"default_undecided": default}} if default else None,
    )
    build_store(
        config,
        ORG,
        [
            A("crm", "c-sam", "E4", ["Sales-Users"]),
            A("crm", "c-sue", "E5", ["Sales-Users"]),
            A("crm", "c-leo", "E6", []),
            A("crm", "c-dev", "E7", []),
            A("crm", "c-svc", None, user_name="svc"),
        ],
        [F("terminated_active", "crm", "c-leo")],
    )
    return config, start_campaign(config, name="Q1 <crm>", due=DUE, actor="cli:test")


def item(config: Config, cid: int, account: str) -> int:
    with connect(config.store.path) as con:
        row = con.execute(
            "SELECT item_id FROM campaign_item WHERE campaign_id = ? AND account_id = ?"
            " AND entitlement IS NULL",
            [cid, account],
        ).fetchone()
    return int(row[0])


def work_queues(config: Config, cid: int) -> None:
    mia = actor(MIA)
    leo = item(config, cid, "c-leo")
    decide(config, mia, cid, [leo], "revoke", '=HYPERLINK("http://evil")')  # a formula
    keep_all_unflagged(config, mia, cid)
    sign_off(config, mia, cid)
    decide(config, actor(OLE), cid, [item(config, cid, "c-dev")], "keep")  # no sign-off


def test_close_applies_revoke_default_and_locks(tmp_path: Path) -> None:
    config, cid = setup(tmp_path, "revoke")
    work_queues(config, cid)
    with pytest.raises(PermissionDeniedError):
        close_campaign(config, actor(MIA), cid)
    with pytest.raises(PermissionDeniedError):
        close_campaign(config, actor(SEC, "auditor"), cid)
    result = close_campaign(config, cli_actor(), cid, pdf=False)
    assert (result.default, result.defaulted, result.undecided) == ("revoke", 1, 0)  # svc
    assert [p.name for p in result.files] == [
        f"campaign-{cid}-decisions.csv",
        f"campaign-{cid}-reviewers.csv",
        f"campaign-{cid}-log.csv",
    ]
    with pytest.raises(ReviewError, match="closed"):
        decide(config, actor(OLE), cid, [item(config, cid, "c-dev")], "revoke", "late")
    with pytest.raises(ReviewError, match="closed"):
        close_campaign(config, cli_actor(), cid, pdf=False)
    assert verify_chain(config, cid).ok
    with connect(config.store.path) as con:
        ev = campaign_evidence(con, cid)
    assert ev.info.status == "closed"
    assert ev.self_reviews == 0
    leo, svc_id = item(config, cid, "c-leo"), item(config, cid, "c-svc")
    assert [i["item_id"] for i in ev.revocations] == sorted([leo, svc_id])
    svc = next(i for i in ev.items if i["item_id"] == svc_id)
    assert (svc["method"], svc["decided_by"]) == ("close_default", "cli:" + svc["decided_by"][4:])
    reviewers = {r["reviewer_id"]: r for r in ev.reviewers}
    assert reviewers[MIA.id]["items"] == 5 and reviewers[MIA.id]["kept"] == 4
    assert reviewers[MIA.id]["bulk_decided"] == 4
    assert reviewers[MIA.id]["approval_rate"] == pytest.approx(0.8)
    assert reviewers[MIA.id]["signed_at"] is not None
    assert reviewers[OLE.id]["signed_at"] is None
    assert reviewers[SEC.id]["defaulted"] == 1


def test_close_leaves_undecided_by_default_and_csv_is_defused(tmp_path: Path) -> None:
    config, cid = setup(tmp_path)
    work_queues(config, cid)
    result = close_campaign(config, cli_actor(), cid, pdf=False)
    assert (result.default, result.defaulted, result.undecided) == ("undecided", 0, 1)
    decisions = result.files[0].read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(decisions)))
    leo = next(r for r in rows if r["item_id"] == str(item(config, cid, "c-leo")))
    assert leo["reason"].startswith("'=HYPERLINK")  # formula defused
    assert leo["findings"] == "terminated_active"
    svc = next(r for r in rows if r["item_id"] == str(item(config, cid, "c-svc")))
    assert svc["decision"] == "" and svc["reviewer_id"] == SEC.id
    log = list(csv.DictReader(io.StringIO(result.files[2].read_text(encoding="utf-8"))))
    assert log[-1]["kind"] == "close" and log[0]["prev_hash"] != log[0]["record_hash"]
    assert all(log[n]["prev_hash"] == log[n - 1]["record_hash"] for n in range(1, len(log)))


def test_due_campaigns_close_on_their_due_date(tmp_path: Path) -> None:
    config, cid = setup(tmp_path, "keep")
    assert close_due_campaigns(config, cli_actor(), today=DUE, pdf=False) == []
    closed = close_due_campaigns(config, cli_actor(), today=DUE + timedelta(days=1), pdf=False)
    assert [(c.campaign_id, c.defaulted) for c in closed] == [(cid, 7)]
    with connect(config.store.path) as con:
        reason = con.execute(
            "SELECT close_reason FROM campaign_closed WHERE campaign_id = ?", [cid]
        ).fetchone()
    assert reason == (f"due date {DUE.isoformat()} passed",)


def test_remind_lists_pending_reviewers_and_records_it(tmp_path: Path) -> None:
    config, cid = setup(tmp_path)
    keep_all_unflagged(config, actor(MIA), cid)
    reminders = remind(config, cli_actor(), cid)
    assert {(r.reviewer_id, r.undecided) for r in reminders} == {
        (MIA.id, 1),
        (OLE.id, 1),
        (SEC.id, 1),
    }
    assert any(MIA.email in r.text and "1 access item" in r.text for r in reminders)
    with pytest.raises(PermissionDeniedError):
        remind(config, actor(MIA), cid)
    with connect(config.store.path) as con:
        n = con.execute(
            "SELECT count(*) FROM review_log WHERE campaign_id = ? AND kind = 'reminder'", [cid]
        ).fetchone()
    assert n == (3,)
    assert verify_chain(config, cid).ok


def test_signoffs_for_evidence_packs(tmp_path: Path) -> None:
    config, cid = setup(tmp_path)
    work_queues(config, cid)
    signoffs = campaign_signoffs(config, cid)
    assert len(signoffs) == 1
    assert signoffs[0].name == "Mia Manager"
    assert (
        "Decided 5 of 5 item(s): 4 kept, 1 revoked; 4 by bulk action, 1 one by one"
        in signoffs[0].statement
    )
    assert CEO.id not in signoffs[0].reference


@pytest.mark.slow
def test_campaign_pdf_is_pdfa3_with_csv_attachments(tmp_path: Path) -> None:
    import pypdf

    config, cid = setup(tmp_path, "revoke")
    work_queues(config, cid)
    result = close_campaign(config, cli_actor(), cid)
    pdf = result.files[-1]
    assert pdf.name == f"campaign-{cid}.pdf"
    reader = pypdf.PdfReader(pdf)
    assert sorted(reader.attachments) == sorted(p.name for p in result.files[:-1])
    assert reader.attachments[f"campaign-{cid}-decisions.csv"][0] == result.files[0].read_bytes()
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Access review evidence: Q1 <crm>" in text  # escaped in HTML, printed as typed
    assert "Self-reviews" in text and "hash chain verified" in text
    assert "(E2)" in text and "Page 1 of" in text
    # same store + pinned time → same bytes
    again = write_campaign_evidence(config, cid, out_dir=tmp_path / "a")
    third = write_campaign_evidence(config, cid, out_dir=tmp_path / "b")
    assert again[-1].read_bytes() != b""
    assert again[0].read_bytes() == third[0].read_bytes()


@pytest.mark.slow
def test_campaign_pdf_is_reproducible_with_source_date_epoch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    config, cid = setup(tmp_path)
    work_queues(config, cid)
    one = write_campaign_evidence(config, cid, out_dir=tmp_path / "one")[-1].read_bytes()
    two = write_campaign_evidence(config, cid, out_dir=tmp_path / "two")[-1].read_bytes()
    assert one == two


def test_review_imports_neither_reporting_nor_remediation() -> None:
    """Issue 12/16: reporting is the one renderer; review sits below it and below remediation."""
    import ast

    import scimaudit.review

    upward = ("scimaudit.reporting", "scimaudit.remediation")
    found = []
    for path in sorted(Path(scimaudit.review.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            found += [f"{path.name}: {n}" for n in names if n.startswith(upward)]
    assert found == []
