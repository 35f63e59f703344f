"""Issue 15 #9: the queue at 1440x900 in a real headless Chromium shows the columns a manager
decides by, with the Why text whole and no horizontal scrolling (how the dashboard is started
and driven: test_dashboard_e2e). The grid is drawn on a canvas, so the test measures each Why
text with the canvas's own font against the column's width."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from test_dashboard_e2e import (
    MAYA,
    SHOTS,
    click_row,
    new_page,
    queue_grid,
    serve,
    settle,
    sign_in,
    stop,
    team_config,
    wait_text,
)
from test_dashboard_e2e import browser as browser  # the module-scoped Chromium fixture

pytestmark = pytest.mark.slow

WHY_WIDTH = 200  # px, the Why column's configured width (dashboards/views/my_reviews.py)
CELL_PADDING = 8  # px each side: the grid's cell padding

MEASURE = """(grid) => {
    // The grid draws on a canvas; its accessible table holds the columns on screen (any part of
    // them) and the text each drawn cell shows. Text is measured in the grid's font (14 px) as
    // bold, which is never narrower than what is drawn.
    const family = getComputedStyle(grid).fontFamily;
    const ctx = document.createElement('canvas').getContext('2d');
    ctx.font = `600 14px ${family}`;
    const rows = [...grid.querySelectorAll('table [role=row]')];
    const header = [...rows[0].querySelectorAll('[role=columnheader]')]
        .map(c => (c.textContent || '').trim());
    const why = header.indexOf('Why');
    const texts = rows.slice(1).map(r => r.querySelectorAll('[role=gridcell]'))
        .filter(cells => cells.length > why && why >= 0)
        .map(cells => cells[why].textContent.trim());
    return {
        header, font: ctx.font,
        widths: texts.map(t => [t, ctx.measureText(t).width]),
        right: grid.getBoundingClientRect().right,
    };
}"""


def test_the_queue_fits_a_laptop_screen_with_the_why_text_whole(
    browser: Any, tmp_path: Path
) -> None:
    config = team_config(tmp_path)
    proc, url = serve(config, tmp_path)
    try:
        page = new_page(browser)
        page.set_viewport_size({"width": 1440, "height": 900})
        sign_in(page, url, MAYA)
        wait_text(page, "72 shown")
        grid = queue_grid(page)
        grid.scroll_into_view_if_needed()
        settle(page)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "22-queue-why-1440x900.png"))
        found = grid.evaluate(MEASURE)
        header = found["header"]
        for column in (
            "Person",
            "App",
            "Access",
            "Flag",
            "Why",
            "Last sign-in",
            "Peers",
            "Decision",
        ):
            assert column in header, header
        # no horizontal scrolling for them: a column after Decision is (at least partly) on
        # screen, so every column up to Decision is whole, and the grid ends inside the window
        assert header.index("Decision") < len(header) - 1, header
        assert found["right"] <= 1440, found
        page.get_by_text("Flagged", exact=True).click()  # the flagged rows' reasons too
        wait_text(page, "shown · 0 selected")
        flagged = queue_grid(page).evaluate(MEASURE)
        page.screenshot(path=str(SHOTS / "23-queue-flagged-why-1440x900.png"))
        widths = found["widths"] + flagged["widths"]
        texts = {t for t, _ in widths if t}
        assert any(t.startswith("Usual for peers") for t in texts), texts
        assert len(texts) >= 3, texts  # keep and revoke wordings both measured
        room = WHY_WIDTH - 2 * CELL_PADDING
        too_wide = [(t, w) for t, w in widths if w > room]
        assert not too_wide, (found["font"], too_wide)
        page.get_by_text("Flagged", exact=True).click()
        wait_text(page, "72 shown · 0 selected")

        row, first_why = next((i, t) for i, (t, _) in enumerate(found["widths"]) if t)
        click_row(page, row)  # one ticked row: the detail panel has the whole reason
        panel = page.locator(".st-key-item_detail")
        panel.wait_for()
        full = panel.get_by_text("Why: ").first.text_content() or ""
        assert full.startswith("Why: keep: held by") and len(full) > 5 + len(first_why), full
    finally:
        stop(proc)
