"""Dashboard page logic with streamlit.testing.v1.AppTest: sign-in, routing by role, server-side
authorization, deciding from the queue, auditor read-only with downloads."""

from __future__ import annotations

import re
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from review_support import MIA, OLE, ORG, PASSWORD, SEC, A, F, build_store, make_config
from scimaudit.config import CONFIG_ENV, Config
from scimaudit.review.campaigns import start_campaign
from scimaudit.store.connect import connect

pytestmark = pytest.mark.slow  # each test drives several full app runs (1–3 s)

APP = "../dashboards/app.py"
sys.path.insert(
    0, str(Path(__file__).resolve().parents[1] / "dashboards")
)  # ui_session  # AppTest resolves it against this file's folder
AUDITOR = "auditor@example.com"


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Config, int]:
    config = make_config(
        tmp_path,
        apps={"crm": {"fallback_reviewer": "E8"}, "code": {"fallback_reviewer": "E3"}},
        users=[
            (MIA.email, "manager"),
            (OLE.email, "manager"),
            (SEC.email, "security"),
            (AUDITOR, "auditor"),
        ],
    )
    build_store(
        config,
        ORG,
        [
            A("crm", "c-sam", "E4", ["Sales-Users"]),
            A("crm", "c-sue", "E5", ["Sales-Users", "Sales-Admins"]),
            A("crm", "c-leo", "E6", []),
            A("code", "k-dev", "E7", ["developers"]),
        ],
        [F("terminated_active", "crm", "c-leo")],
    )
    cid = start_campaign(
        config, name="Q1 review", due=date.today() + timedelta(days=7), actor="cli:test"
    )
    monkeypatch.setenv(CONFIG_ENV, str(config.source))
    return config, cid


def signed_in(email: str, password: str = PASSWORD) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.text_input(key="sign_in_email").set_value(email)
    at.text_input(key="sign_in_password").set_value(password)
    at.button[0].click()  # the form's submit button
    return at.run()


def texts(elements: Any) -> list[str]:
    """What alert elements say on screen (the page escapes Markdown so text stays text)."""
    return [
        re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", str(e.value).replace("\u2060", "")) for e in elements
    ]


def forced(signed: AppTest, page: str) -> AppTest:
    """Run a page script on its own with the signed-in session's person (what a forged route
    would reach if st.navigation did not stop it)."""
    import time

    at = AppTest.from_file(f"../dashboards/{page}", default_timeout=30)
    at.session_state["scimaudit_actor"] = signed.session_state["scimaudit_actor"]
    at.session_state["scimaudit_last_seen"] = time.time()
    return at.run()


def queue_key(at: AppTest) -> str:
    """The queue grid's widget key (it carries a digest of the item ids shown)."""
    return str(at.session_state["queue_last_view"])


def tick(at: AppTest, rows: list[int]) -> None:
    at.session_state[queue_key(at)] = {"selection": {"rows": rows, "columns": []}}


def decisions(config: Config, cid: int) -> dict[str, tuple[str, str | None]]:
    with connect(config.store.path) as con:
        rows = con.execute(
            "SELECT i.account_id || '/' || coalesce(i.entitlement, ''), d.decision, d.actor"
            " FROM campaign_decision_current d JOIN campaign_item i USING (campaign_id, item_id)"
            " WHERE campaign_id = ?",
            [cid],
        ).fetchall()
    return {k: (d, a) for k, d, a in rows}


def test_sign_in_is_required_and_wrong_passwords_are_refused(store: tuple[Config, int]) -> None:
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Work email", "Password"]
    assert not at.dataframe  # nothing from the store before sign-in
    at = signed_in(MIA.email, "not the password")
    assert texts(at.error) == ["wrong email or password"]
    assert not at.dataframe
    at = signed_in("nobody@example.com")
    assert texts(at.error) == ["wrong email or password"]


def test_manager_sees_only_their_queue_and_decides(store: tuple[Config, int]) -> None:
    config, cid = store
    at = signed_in(MIA.email)
    assert not at.exception, at.exception
    assert at.title[0].value == "My reviews"
    queue = at.dataframe(key=queue_key(at)).value
    assert set(queue["person"]) == {"Sam Seller", "Sue Seller", "Leo Leaver"}
    assert "Dev Eloper" not in set(queue["person"])
    assert at.metric[0].value == str(len(queue))

    # tick the first two rows (Leo's flagged account first), revoke with a reason
    tick(at, [0, 1])
    at.radio(key="decision_choice").set_value("revoke")
    at.text_input(key="decision_reason").set_value("left the company")
    at.button(key="apply_selected").click()
    at = at.run()
    assert not at.exception, at.exception
    assert not decisions(config, cid)  # nothing recorded before the confirm step
    listed = at.dataframe[-1].value  # the confirm step lists exactly these items
    assert list(listed["item_id"]) == [int(i) for i in queue["item_id"][:2]]
    at.button(key="confirm_go").click()
    at = at.run()
    assert texts(at.success) == ["Recorded revoke on 2 item(s)."]
    got = decisions(config, cid)
    assert len(got) == 2 and all(v == ("revoke", MIA.email) for v in got.values())

    # bulk keep the rest (none flagged) and sign off
    at.button[1].click()  # "Keep all unflagged (n)"
    at = at.run()
    assert "one bulk action" in texts(at.success)[0]
    at.checkbox(key="certify").check()
    at = at.run()
    at.button(key="sign_off").click()
    at = at.run()
    assert not at.exception, at.exception
    assert any("Signed off" in x for x in texts(at.success))
    assert len(decisions(config, cid)) == len(queue)


def test_manager_cannot_reach_other_pages_or_items(store: tuple[Config, int]) -> None:
    config, cid = store
    at = signed_in(OLE.email)
    queue = at.dataframe(key=queue_key(at)).value
    assert set(queue["person"]) == {"Dev Eloper"}
    # a selection index outside one's own view cannot reach Mia's items: it maps to Ole's rows only
    tick(at, [0, 5, 9])
    at.radio(key="decision_choice").set_value("keep")
    at.button(key="apply_selected").click()
    at = at.run()
    at.button(key="confirm_go").click()
    at = at.run()
    assert set(decisions(config, cid)) == {"k-dev/"}
    # forcing another role's page (running its script directly; a browser can't: st.navigation
    # only routes the role's pages) still shows nothing: the page and the library refuse
    at = forced(at, "views/campaigns.py")
    assert not at.title and not at.dataframe
    assert texts(at.error) == [
        "ole.owner@example.com (manager) may not open Campaigns; needs admin or auditor or security"
    ]


def test_auditor_is_read_only_and_downloads_campaign_evidence(store: tuple[Config, int]) -> None:
    _, cid = store
    at = signed_in(AUDITOR)
    assert not at.exception, at.exception
    assert at.title[0].value == "Campaigns"
    labels = [b.label for b in at.button]
    assert "Close campaign" not in labels and "Start campaign" not in labels
    assert any("Read-only" in x for x in texts(at.info))
    at.button(key="prep_csv").click()
    at = at.run()
    names = [d.label for d in at.get("download_button")]
    assert f"Download campaign-{cid}-decisions.csv" in names
    # My reviews is not a page for auditors, and forcing it shows nothing
    at = forced(at, "views/my_reviews.py")
    assert not at.title and not at.dataframe
    assert "read-only" in texts(at.error)[0]


def test_security_sees_campaigns_findings_and_collections(store: tuple[Config, int]) -> None:
    at = signed_in(SEC.email)
    assert not at.exception, at.exception
    for page, title in (
        ("views/campaigns.py", "Campaigns"),
        ("views/findings.py", "Findings"),
        ("views/collections.py", "Collections"),
        ("views/access_explorer.py", "Access explorer"),
        ("views/evidence.py", "Evidence"),
    ):
        at.switch_page(page)
        at = at.run()
        assert not at.exception, (page, at.exception)
        assert at.title[0].value == title
    at.switch_page("views/findings.py")
    at = at.run()
    findings = next(d for d in at.dataframe if str(d.key).startswith("findings_")).value
    assert list(findings["kind"]) == ["terminated_active"]


def test_header_mode_refuses_without_proxy_proof_configured(
    store: tuple[Config, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = store
    header_cfg = make_config(
        tmp_path / "h",
        extra={"dashboard": {"auth": "header"}, "store": {"path": str(config.store.path)}},
    )
    monkeypatch.setenv(CONFIG_ENV, str(header_cfg.source))
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert any("needs proof" in x and "proxy_secret" in x for x in texts(at.error))
    assert not at.dataframe and not at.text_input


def _oidc_app(config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    oidc = make_config(
        tmp_path / "o",
        extra={
            "dashboard": {"auth": "oidc", "users": [{"email": AUDITOR, "role": "auditor"}]},
            "store": {"path": str(config.store.path)},
        },
    )
    monkeypatch.setenv(CONFIG_ENV, str(oidc.source))
    return AppTest.from_file(APP, default_timeout=30)


def test_oidc_signed_out_sees_only_the_sign_in_button(
    store: tuple[Config, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _oidc_app(store[0], tmp_path, monkeypatch)
    at.user = {"is_logged_in": False}
    at = at.run()
    assert [b.label for b in at.button] == ["Sign in with your organisation account"]
    assert not at.dataframe and not at.text_input


def test_oidc_identity_maps_to_hr_and_roles(
    store: tuple[Config, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _cid = store
    at = _oidc_app(config, tmp_path, monkeypatch)
    at.user = {"is_logged_in": True, "email": MIA.email.upper(), "email_verified": True}
    at = at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "My reviews"  # unlisted but in HR: a manager
    assert set(at.dataframe(key=queue_key(at)).value["person"]) == {
        "Sam Seller",
        "Sue Seller",
        "Leo Leaver",
    }
    at = _oidc_app(config, tmp_path / "2", monkeypatch)
    at.user = {"is_logged_in": True, "email": AUDITOR, "email_verified": True}
    assert at.run().title[0].value == "Campaigns"
    at = _oidc_app(config, tmp_path / "3", monkeypatch)
    at.user = {"is_logged_in": True, "email": MIA.email, "email_verified": False}
    at = at.run()
    assert "unverified" in texts(at.error)[0] and not at.dataframe


def test_security_starts_and_closes_a_campaign(store: tuple[Config, int]) -> None:
    config, cid = store
    at = signed_in(SEC.email)
    at.switch_page("views/campaigns.py")
    at = at.run()
    start = next(b for b in at.button if b.label == "Start campaign")
    next(t for t in at.text_input if t.label == "Name").set_value("Privileged only")
    at.radio[0].set_value("privileged")
    start.click()
    at = at.run()
    assert texts(at.error) == [  # no privileged groups configured here: refused
        "campaign 'Privileged only': the scope (apps code, crm, access privileged) matches no"
        " active access in analysis run 1"
    ]
    next(t for t in at.text_input if t.label == "Name").set_value("CRM only")
    at.multiselect[0].set_value(["crm"])
    at.radio[0].set_value("all")
    next(b for b in at.button if b.label == "Start campaign").click()
    at = at.run()
    assert not at.exception, at.exception
    assert "Started campaign 2." in texts(at.success)
    # close campaign 1 from its Actions tab
    at.selectbox(key="campaign_pick").set_value(cid)
    at.checkbox(key="close_sure").check()
    at = at.run()
    at.button(key="close").click()
    at = at.run()
    assert any(f"Closed campaign {cid}" in x for x in texts(at.success))
    with connect(config.store.path) as con:
        assert con.execute("SELECT campaign_id FROM campaign_closed").fetchall() == [(cid,)]


def test_ticks_never_move_to_other_rows_when_the_filter_changes(store: tuple[Config, int]) -> None:
    """Issue 15 #1: tick Sam's rows, switch the Person filter to Sue, Apply: nothing is decided
    (the selection is cleared, visibly); the confirm step then lists exactly the ticked items."""
    config, cid = store
    at = signed_in(MIA.email)
    at.selectbox(key="f_person").set_value("Sam Seller")
    at = at.run()
    sam = at.dataframe(key=queue_key(at)).value
    assert set(sam["person"]) == {"Sam Seller"}
    tick(at, list(range(len(sam))))
    at = at.run()
    assert any(f"{len(sam)} selected" in c.value for c in at.caption)
    at.selectbox(key="f_person").set_value("Sue Seller")
    at = at.run()
    assert any("selection was cleared" in x for x in texts(at.info))
    assert any("0 selected" in c.value for c in at.caption)
    at.radio(key="decision_choice").set_value("revoke")
    at.text_input(key="decision_reason").set_value("not needed")
    at.button(key="apply_selected").click()
    at = at.run()
    assert texts(at.warning) == ["Select one or more rows first."]
    assert not decisions(config, cid)

    at.selectbox(key="f_person").set_value("Sam Seller")
    at = at.run()
    tick(at, [0])
    at.radio(key="decision_choice").set_value("revoke")
    at.text_input(key="decision_reason").set_value("not needed")
    at.button(key="apply_selected").click()
    at = at.run()
    listed = at.dataframe[-1].value
    assert list(listed["person"]) == ["Sam Seller"] and len(listed) == 1
    at.selectbox(key="f_person").set_value("Sue Seller")  # filter changes before confirming
    at = at.run()
    with pytest.raises(KeyError):
        at.button(key="confirm_go")  # the pending decision is dropped with the list it named
    at.selectbox(key="f_person").set_value("Sam Seller")
    at = at.run()
    tick(at, [0])
    at.radio(key="decision_choice").set_value("revoke")
    at.text_input(key="decision_reason").set_value("not needed")
    at.button(key="apply_selected").click()
    at = at.run()
    at.button(key="confirm_go").click()
    at = at.run()
    with connect(config.store.path) as con:
        decided = con.execute(
            "SELECT item_id, decision FROM campaign_decision_current WHERE campaign_id = ?", [cid]
        ).fetchall()
    assert decided == [(int(sam["item_id"].iloc[0]), "revoke")]


def test_failed_sign_ins_are_throttled_per_account_not_per_session(
    store: tuple[Config, int],
) -> None:
    """A fresh browser session per guess (a reload) does not reset the count."""
    from scimaudit.webauth.failed_signins import throttle_for

    throttle = throttle_for(store[0])
    try:
        for _ in range(throttle.free_failures + 1):
            at = signed_in(AUDITOR, "wrong-password")  # each a new session
        assert texts(at.error) == ["wrong email or password"]
        at = signed_in(AUDITOR)  # the right password, in yet another session
        assert any("too many failed sign-ins" in x for x in texts(at.error))
        assert not at.dataframe
    finally:
        throttle.succeeded(AUDITOR)


def test_idle_sessions_and_terminated_people_are_signed_out(store: tuple[Config, int]) -> None:
    import time

    config, _ = store
    at = signed_in(MIA.email)
    assert at.title[0].value == "My reviews"
    at.session_state["scimaudit_last_seen"] = time.time() - 31 * 60  # 30 min is the default
    at = at.run()
    assert any("signed out after 30 minutes without activity" in x for x in texts(at.warning))
    assert not at.dataframe and [t.label for t in at.text_input] == ["Work email", "Password"]

    at = signed_in(MIA.email)
    assert at.title[0].value == "My reviews"
    with connect(config.store.path) as con:  # HR terminates her while she is signed in
        con.execute("UPDATE employee SET status = 'terminated' WHERE employee_id = ?", [MIA.id])
    at = at.run()
    assert any("terminated" in x for x in texts(at.warning))
    assert not at.dataframe and [t.label for t in at.text_input] == ["Work email", "Password"]


def test_an_unexpected_error_shows_a_reference_not_a_traceback(
    store: tuple[Config, int], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 15 #5: a too-large item number in Reassign showed DuckDB's traceback, paths and SQL.

    With the review state in SQLite that input is now a plain refusal; an error nobody foresaw
    (here: the library call raising with a path and SQL in its text) still shows only a reference.
    """
    _, cid = store

    def reassign(*_: object, **__: object) -> None:
        raise RuntimeError("boom at /srv/store.duckdb: SELECT * FROM campaign_item")

    def try_reassign(items: str) -> str:
        nonlocal at
        at.switch_page("views/campaigns.py")
        at = at.run()
        at.selectbox(key="campaign_pick").set_value(cid)
        at = at.run()
        next(t for t in at.text_input if t.label == "Item numbers").set_value(items)
        next(t for t in at.text_input if t.label.startswith("New reviewer")).set_value(MIA.email)
        next(t for t in at.text_input if t.label == "Reason").set_value("away")
        next(b for b in at.button if b.label == "Reassign").click()
        at = at.run()
        assert not at.exception
        return " ".join(texts(at.error))

    at = signed_in(SEC.email)
    refused = try_reassign("99999999999999")
    assert "99999999999999" in refused and "Something went wrong" not in refused
    assert "duckdb" not in refused.lower() and "SELECT" not in refused
    monkeypatch.setattr("scimaudit.review.delegation.delegate", reassign)
    shown = try_reassign("1")
    assert "Something went wrong (reference" in shown
    assert "duckdb" not in shown.lower() and "SELECT" not in shown and "/" not in shown
    ref = shown.split("reference ")[1][:8]
    assert any(ref in r.getMessage() and r.exc_info for r in caplog.records)


def test_search_due_days_and_the_detail_panel_of_one_ticked_item(
    store: tuple[Config, int],
) -> None:
    at = signed_in(MIA.email)
    due = at.metric[3]
    assert due.label == "Due" and due.delta == "in 7 days"  # the fixture's due date
    at.text_input(key="f_search").set_value("LEAVER")
    at = at.run()
    view = at.dataframe(key=queue_key(at)).value
    assert set(view["person"]) == {"Leo Leaver"}
    flagged = [i for i, f in enumerate(view["findings"]) if f]
    tick(at, flagged[:1])
    at = at.run()
    detail = " ".join(str(t.value) for t in at.text)
    assert "Finding terminated_active (high, open): planted for a test" in detail
    assert "Leo Leaver" in detail and "Last sign-in:" in detail
