"""Issue 15 #6, delegation as an attack, in a real headless Chromium against a real
``streamlit run`` (how the dashboard is started and driven: test_dashboard_e2e).

A manager tries to hand her own review to herself and to someone who cannot sign in: both are
refused on screen with nothing recorded. Handing it to a colleague of the person reviewed shows
the peer warning before anything moves and needs an explicit confirm; the delegate then gets the
items undecided, although the delegator had already decided them. The review log says all of it.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from review_support import TEAM_APPS, build_store, make_config, team_org
from scimaudit.review.campaigns import start_campaign
from test_dashboard_attacks_e2e import decide_selected, pick_person
from test_dashboard_e2e import (
    MAYA,
    USERS,
    click_row,
    new_page,
    no_errors,
    serve,
    settle,
    shot,
    sign_in,
    stop,
    store_rows,
    wait_text,
)
from test_dashboard_e2e import browser as browser  # the module-scoped Chromium fixture

pytestmark = pytest.mark.slow

ANA, BEN = "Ana Ito0", "Ben Jansen1"  # both report to Maya (M1): peers
BEN_EMAIL = "ben.jansen1@example.com"
NOT_A_USER = "cai.khan2@example.com"  # in HR, not a dashboard user: cannot sign in


def delegate_to(page: Any, to: str, reason: str) -> None:
    """Open "Delegate selected", fill in the new reviewer and reason, press Delegate."""
    body = page.get_by_test_id("stPopoverBody")
    if not body.is_visible():  # it stays open after a refusal
        page.get_by_role("button", name="Delegate selected").click()
    body.get_by_label("To (work email or employee id)").fill(to)
    body.get_by_label("Reason").fill(reason)
    body.get_by_role("button", name="Delegate", exact=True).click()
    settle(page)


def delegations() -> str:
    return "SELECT count(*) FROM review_log WHERE kind = 'delegation'"


def test_delegation_refusals_peer_warning_and_no_travelling_decision(
    browser: Any, tmp_path: Path
) -> None:
    config = make_config(tmp_path, apps=TEAM_APPS, users=[*USERS, (BEN_EMAIL, "manager")])
    build_store(config, *team_org(12))
    cid = start_campaign(
        config, name="Q3 access review", due=date.today() + timedelta(days=14), actor="cli:test"
    )
    ana_items = {
        r[0]
        for r in store_rows(
            config,
            "SELECT item_id FROM campaign_item WHERE campaign_id = ? AND person_name = ?",
            [cid, ANA],
        )
    }
    assert len(ana_items) >= 2
    proc, url = serve(config, tmp_path)
    try:
        maya = new_page(browser)
        sign_in(maya, url, MAYA)
        n = pick_person(maya, ANA)
        assert n == len(ana_items)
        click_row(maya, None)
        wait_text(maya, f"{n} shown · {n} selected")
        decide_selected(maya, "keep", "still needed for the pipeline")
        maya.get_by_role("button", name=f"Confirm keep on {n} item(s)").click()
        wait_text(maya, f"Recorded keep on {n} item(s).")
        click_row(maya, None)  # the list changed with the decision: tick Ana's rows again
        wait_text(maya, f"{n} shown · {n} selected")

        delegate_to(maya, MAYA, "I'll do it later")
        wait_text(maya, "Not delegated: delegate: you cannot delegate items to yourself")
        delegate_to(maya, NOT_A_USER, "cover while I am away")
        wait_text(maya, "so cannot sign in")
        assert store_rows(config, delegations(), []) == [(0,)]

        delegate_to(maya, BEN_EMAIL, "cover while I am away")
        panel = maya.locator(".st-key-delegate_panel")
        panel.get_by_text(f"Delegate {n} item(s) for {ANA}").wait_for()
        warning = panel.get_by_test_id("stAlertContentWarning").first
        warning.wait_for()
        text = warning.text_content() or ""
        assert "is a peer of" in text and BEN in text and ANA in text, text
        shot(maya, "20-delegate-to-a-peer-warning")
        assert store_rows(config, delegations(), []) == [(0,)]  # nothing before the confirm
        maya.get_by_role("button", name=f"Delegate {n} item(s) anyway").click()
        wait_text(maya, f"Delegated {n} item(s) to ben.jansen1@")  # (a word joiner follows @)
        no_errors(maya)

        logged = store_rows(
            config,
            "SELECT item_id, reviewer_id, from_reviewer_id, actor, reason FROM review_log"
            " WHERE kind = 'delegation' ORDER BY item_id",
            [],
        )
        assert {r[0] for r in logged} == ana_items
        assert {(r[1], r[2], r[3]) for r in logged} == {("U001", "M1", MAYA)}
        assert all("cover while I am away [warned:" in r[4] and "peer" in r[4] for r in logged)
        kept = store_rows(
            config,
            "SELECT item_id FROM review_log WHERE kind = 'decision' AND decision = 'keep'",
            [],
        )
        assert {r[0] for r in kept} == ana_items  # Maya's decisions stay in the log as evidence
        current = store_rows(
            config,
            "SELECT item_id FROM campaign_decision_current WHERE campaign_id = ?",
            [cid],
        )
        assert not {r[0] for r in current} & ana_items  # ... but are not the items' decisions

        ben = new_page(browser)
        sign_in(ben, url, BEN_EMAIL)
        wait_text(ben, f"{n} shown · 0 selected")
        ben.get_by_text(f"0 / {n}", exact=True).wait_for()  # Decided: none of them
        shot(ben, "21-delegate-receives-undecided")
        no_errors(ben)
    finally:
        stop(proc)
