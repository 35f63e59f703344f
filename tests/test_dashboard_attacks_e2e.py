"""Issue 15's attacks on the dashboard, replayed in a real headless Chromium against a real
``streamlit run``: each must now fail (how the dashboard is started and driven: test_dashboard_e2e).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from test_dashboard_e2e import (
    MAYA,
    click_row,
    new_page,
    no_errors,
    serve,
    settle,
    shot,
    sign_in,
    stop,
    store_rows,
    team_config,
    wait_text,
)
from test_dashboard_e2e import browser as browser  # the module-scoped Chromium fixture

pytestmark = pytest.mark.slow


def pick_person(page: Any, name: str) -> int:
    """Choose ``name`` in the queue's Person filter; return how many rows are then shown."""
    page.get_by_label("Person").click()
    page.get_by_role("option", name=name, exact=True).click()
    settle(page)
    caption = page.get_by_text(re.compile(r"^\d+ shown · \d+ selected")).first
    caption.wait_for()
    match = re.match(r"(\d+) shown", caption.text_content() or "")
    assert match, caption.text_content()
    return int(match.group(1))


def decide_selected(page: Any, choice: str, reason: str) -> None:
    page.get_by_text(choice.capitalize(), exact=True).click()
    page.get_by_label("Reason").fill(reason)
    page.get_by_role("button", name="Apply to selected").click()
    settle(page)


def test_ticked_rows_never_become_another_persons_rows(browser: Any, tmp_path: Path) -> None:
    """Tick Ana's rows, switch the Person filter to Ben, Apply revoke: nothing is recorded (the
    selection is visibly cleared); Ana's rows ticked again are listed by name before the confirm,
    and the review log names exactly Ana's items."""
    config = team_config(tmp_path)
    ana, ben = "Ana Ito0", "Ben Jansen1"
    ana_items = {
        r[0]
        for r in store_rows(
            config,
            "SELECT item_id FROM campaign_item WHERE campaign_id = 1 AND person_name = ?",
            [ana],
        )
    }
    assert len(ana_items) >= 2
    proc, url = serve(config, tmp_path)
    try:
        maya = new_page(browser)
        sign_in(maya, url, MAYA)
        wait_text(maya, "72 shown")
        n = pick_person(maya, ana)
        assert n == len(ana_items)
        click_row(maya, None)  # tick every row of Ana's
        wait_text(maya, f"{n} shown · {n} selected")
        m = pick_person(maya, ben)
        wait_text(maya, f"{m} shown · 0 selected")
        maya.get_by_text("selection was cleared").wait_for()
        decide_selected(maya, "revoke", "no longer needed")
        wait_text(maya, "Select one or more rows first.")
        assert store_rows(config, "SELECT count(*) FROM review_log WHERE kind = 'decision'", [])[
            0
        ] == (0,)

        pick_person(maya, ana)
        click_row(maya, None)
        wait_text(maya, f"{n} shown · {n} selected")
        decide_selected(maya, "revoke", "no longer needed")
        panel = maya.locator(".st-key-confirm_panel")
        panel.get_by_text(f"Revoke {n} item(s) for {ana}").wait_for()
        assert ben not in (panel.text_content() or "")
        shot(maya, "17-confirm-exact-items")
        assert store_rows(config, "SELECT count(*) FROM review_log WHERE kind = 'decision'", [])[
            0
        ] == (0,)  # nothing before the confirm
        maya.get_by_role("button", name=f"Confirm revoke on {n} item(s)").click()
        wait_text(maya, f"Recorded revoke on {n} item(s).")
        no_errors(maya)
        logged = store_rows(
            config,
            "SELECT item_id, decision, actor FROM review_log WHERE kind = 'decision'",
            [],
        )
        assert {r[0] for r in logged} == ana_items
        assert {(r[1], r[2]) for r in logged} == {("revoke", MAYA)}
    finally:
        stop(proc)
