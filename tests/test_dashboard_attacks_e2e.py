"""Issue 15's attacks on the dashboard, replayed in a real headless Chromium against a real
``streamlit run``: each must now fail (how the dashboard is started and driven: test_dashboard_e2e).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest

from test_dashboard_e2e import (
    MAYA,
    SHOTS,
    click_row,
    new_page,
    no_errors,
    queue_grid,
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
        cookies = {c["name"]: c for c in maya.context.cookies()}
        assert cookies["scimaudit_session"]["httpOnly"], cookies
        assert cookies["scimaudit_session"]["sameSite"] == "Strict"
        maya.reload()  # the signed session cookie keeps her signed in
        wait_text(maya, "72 shown")
        forged = new_page(browser)  # a made-up cookie names no session
        forged.context.add_cookies([{"name": "scimaudit_session", "value": "abc.def", "url": url}])
        forged.goto(url)
        forged.get_by_label("Work email").wait_for()
        forged.context.close()
        maya.set_viewport_size({"width": 1440, "height": 900})  # a laptop screen, no scrolling
        settle(maya)
        maya.get_by_test_id("stDataFrame").last.scroll_into_view_if_needed()
        SHOTS.mkdir(parents=True, exist_ok=True)
        maya.screenshot(path=str(SHOTS / "19-queue-1440x900.png"))
        header = queue_grid(maya).locator("table [role=row]").first.text_content() or ""
        for column in ("Person", "App", "Access", "Flag", "Why", "Last sign-in", "Peers"):
            assert column in header, header
        maya.set_viewport_size({"width": 1400, "height": 1800})
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


class Beacon:
    """A loopback listener that counts connections: any fetch of the payload's image lands here."""

    def __init__(self) -> None:
        import socket
        import threading

        self.hits = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.done.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.hits += 1
            conn.close()

    def close(self) -> None:
        self.done.set()
        self.thread.join(5)
        self.sock.close()


def test_scim_text_is_shown_as_text_never_as_markdown(browser: Any, tmp_path: Path) -> None:
    """Issue 15 #3: a userName, group name and typed reason that are Markdown links and images
    show as literal text: no link element, no request for the image; and every request the pages
    make goes to the dashboard itself (no web fonts or assets from the internet)."""
    from review_support import PASSWORD, TEAM_APPS, A, F, build_store, make_config, team_org
    from scimaudit.review.campaigns import start_campaign
    from test_dashboard_e2e import SASHA, USERS, go

    beacon = Beacon()
    payload = (
        "[Session expired - sign in again](http://evil.example/login)"
        f" ![b](http://127.0.0.1:{beacon.port}/beacon.png)"
    )
    group = (
        f'=HYPERLINK("http://127.0.0.1:{beacon.port}/h","x")'
        f"<img src=http://127.0.0.1:{beacon.port}/g.png> **admins** :red[x]"
    )
    config = make_config(tmp_path, apps=TEAM_APPS, users=USERS)
    people, accounts, _ = team_org(3)
    accounts.append(A("crm", "crm-evil", None, [group], user_name=payload))
    build_store(
        config,
        people,
        accounts,
        [F("orphaned_account", "crm", "crm-evil", group=group, reason=payload)],
    )
    from datetime import date, timedelta

    start_campaign(config, name="Q3", due=date.today() + timedelta(days=14), actor="cli:test")
    proc, url = serve(config, tmp_path)
    requests: list[str] = []
    try:
        import httpx

        assert httpx.get(url + "_stcore/metrics", timeout=10).status_code == 404  # closed
        assert httpx.get(url + "_stcore/health", timeout=10).text == "ok"
        page = new_page(browser)
        page.on("request", lambda r: requests.append(r.url))
        page.goto(url + "campaigns")  # a deep link before sign-in: the form, at that address
        page.get_by_label("Work email").fill(SASHA)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Campaigns", exact=True).wait_for()
        no_errors(page)
        go(page, "My reviews")  # crm's fallback reviewer: the orphan is in her queue
        wait_text(page, "selected")
        click_row(page, None)
        decide_selected(page, "revoke", payload)
        page.locator(".st-key-confirm_panel").get_by_text(
            "sign in again](http", exact=False
        ).wait_for()
        page.get_by_role("button", name=re.compile(r"^Confirm revoke on")).click()
        wait_text(page, "Recorded revoke on")
        go(page, "Findings")
        click_row(page, 0)
        page.get_by_text("Identity link").wait_for()
        settle(page)
        body = page.locator("[data-testid=stMain]")
        shot(page, "18-markdown-payload-as-text")
        assert "[Session expired - sign in again](http://evil.example/login)" in (
            body.text_content() or ""
        )
        text = (body.text_content() or "").replace("\u2060", "")  # plain()'s word joiners
        assert "<img src=" in text and "**admins** :red[x]" in text  # the group name, as typed
        assert text.count("sign in again](http://evil.example/login) ![b](http") >= 3
        shot(page, "18-markdown-payload-as-text")
        grid = page.get_by_test_id("stDataFrame").first
        grid.hover()
        page.get_by_role("button", name="Show/hide columns").first.wait_for()  # toolbar shown
        assert page.get_by_role("button", name="Download as CSV").count() == 0
        with page.expect_download() as info:  # the app's own export: formulas defused
            page.get_by_role("button", name="Export CSV").click()
        exported = Path(info.value.path()).read_text(encoding="utf-8")
        cells = [c for row in csv.reader(io.StringIO(exported)) for c in row]
        assert any("HYPERLINK" in c for c in cells)
        assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], exported
        links = page.locator("a[href*='evil.example'], a[href^='mailto:'], a[href*='beacon']")
        assert links.count() == 0, links.first.evaluate("e => e.parentElement.outerHTML")
        assert page.locator(f"img[src*='{beacon.port}']").count() == 0
        no_errors(page)
        page.context.close()
    finally:
        stop(proc)
        beacon.close()
    assert beacon.hits == 0
    assert not [u for u in requests if str(beacon.port) in u or "evil.example" in u]
    from urllib.parse import urlsplit

    outside = sorted({urlsplit(u).hostname for u in requests} - {"127.0.0.1"})
    assert outside == [], f"requests left the machine: {outside}"
