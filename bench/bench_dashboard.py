"""Benchmark: a manager's ~500-item review queue in the dashboard, and one decision's round trip.

Target (issue 6): the queue renders and a decision round-trips in under a second on this machine.
Measured three ways, each the median of several repetitions:

1. library: ``my_queue`` (read 500 items) and ``decide`` + ``my_queue`` (what one click costs);
2. server: the My reviews page run by ``streamlit.testing.v1.AppTest`` (script time, no browser);
3. browser: a real ``streamlit run`` + headless Chromium: sign-in → queue grid painted, and
   "Apply to selected" click → confirmation visible (includes websocket, rerun, grid repaint).

Run: ``.venv/bin/python bench/bench_dashboard.py [--reports 80] [--repeat 5] [--no-browser]``.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from review_support import (  # noqa: E402
    PASSWORD,
    TEAM_APPS,
    P,
    actor,
    build_store,
    make_config,
    team_org,
)
from scimaudit.config import CONFIG_ENV  # noqa: E402
from scimaudit.review.campaigns import start_campaign  # noqa: E402
from scimaudit.review.decisions import decide  # noqa: E402
from scimaudit.review.queries import my_queue  # noqa: E402

MAYA = P("M1", "Maya", "Lead", dept="Sales", manager="M0", title="Sales Director")
OMAR = "omar.head@example.com"  # the second manager: 8 reports, ~48 items


def median_ms(fn: Callable[[], object], repeat: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=83, help="people in the manager's team")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    users = [(MAYA.email, "manager"), (OMAR, "manager")]
    config = make_config(tmp, apps=TEAM_APPS, users=users)
    people, accounts, findings = team_org(args.reports)
    build_store(config, people, accounts, findings)
    cid = start_campaign(config, name="bench", due=date.today() + timedelta(days=7), actor="b")
    maya = actor(MAYA)
    queue = my_queue(config, maya, cid)
    items = [int(i) for i in queue.items["item_id"]]
    print(
        f"store: {len(people)} people, {len(accounts)} accounts; Maya's queue: {len(items)} items"
    )

    read_ms, _ = median_ms(lambda: my_queue(config, maya, cid), args.repeat)
    flip = iter(["keep", "revoke"] * args.repeat * 2)

    def round_trip() -> None:
        choice = next(flip)
        decide(config, maya, cid, [items[0]], choice, "bench")
        my_queue(config, maya, cid)

    trip_ms, _ = median_ms(round_trip, args.repeat)
    print(f"library   queue read (500 items)          median {read_ms:7.1f} ms")
    print(f"library   decide + queue re-read          median {trip_ms:7.1f} ms")

    os.environ[CONFIG_ENV] = str(config.source)
    from streamlit.testing.v1 import AppTest

    def signed_in() -> AppTest:
        at = AppTest.from_file(str(ROOT / "dashboards" / "app.py"), default_timeout=60).run()
        at.text_input(key="sign_in_email").set_value(MAYA.email)
        at.text_input(key="sign_in_password").set_value(PASSWORD)
        at.button[0].click()
        return at.run()

    at = signed_in()
    render_ms, _ = median_ms(lambda: at.run(), args.repeat)
    key = f"queue_{cid}_0"

    def app_decision() -> None:
        at.session_state[key] = {"selection": {"rows": [0], "columns": []}}
        at.radio(key="decision_choice").set_value(next(flip))
        at.text_input(key="decision_reason").set_value("bench")
        at.button(key="apply_selected").click()
        at.run()

    app_ms, _ = median_ms(app_decision, args.repeat)
    print(f"server    My reviews page run (AppTest)   median {render_ms:7.1f} ms")
    print(f"server    select + apply + rerun (AppTest) median {app_ms:7.1f} ms")

    if not args.no_browser:
        browser_figures(config, args.repeat)
    print(f"(store and config in {tmp})")


def report(label: str, times: list[float]) -> None:
    runs = ", ".join(f"{t:.0f}" for t in times)
    print(f"{label} median {statistics.median(times):7.1f} ms  (runs: {runs})")


def sign_in_to_grid(page: Any, url: str, email: str) -> float:
    """A fresh page load, sign in, until the queue grid's rows exist; milliseconds."""
    page.goto(url)
    page.get_by_label("Work email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    start = time.perf_counter()
    page.get_by_role("button", name="Sign in").click()
    grid = page.get_by_test_id("stDataFrame").last
    grid.locator("table [role=row]").nth(1).wait_for(state="attached")
    page.get_by_text(" shown · 0 selected").wait_for()
    return (time.perf_counter() - start) * 1000


def browser_figures(config: object, repeat: int) -> None:
    from playwright.sync_api import sync_playwright

    from scimaudit.dashboard_process import start_dashboard
    from scimaudit.demo.loopback import find_free_port

    port = find_free_port()
    proc = start_dashboard(config, port=port)  # type: ignore[arg-type]
    args = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ]
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=args)
            page = browser.new_page(viewport={"width": 1400, "height": 1600})
            page.set_default_timeout(60_000)
            url = f"http://127.0.0.1:{port}/"
            small = [sign_in_to_grid(page, url, OMAR) for _ in range(repeat)]
            loads = [sign_in_to_grid(page, url, MAYA.email) for _ in range(repeat)]
            grid = page.get_by_test_id("stDataFrame").last
            toggles = []
            for _ in range(repeat * 2):  # re-render the whole queue (filter on/off)
                start = time.perf_counter()
                page.get_by_text("Flagged", exact=True).click()
                page.wait_for_function(
                    "() => !document.querySelector('[data-testid=stStatusWidget]')"
                )
                page.get_by_text(" shown · 0 selected").wait_for()
                toggles.append((time.perf_counter() - start) * 1000)
            if len(toggles) % 2:
                page.get_by_text("Flagged", exact=True).click()
            trips = []
            for n in range(repeat):
                page.get_by_text(" shown · 0 selected").wait_for()
                grid.locator("table [role=row]").nth(1).wait_for(state="attached")
                box = grid.bounding_box()
                page.mouse.click(box["x"] + 18, box["y"] + 17 + 35)
                page.get_by_text(" shown · 1 selected").wait_for()
                choice = ("Keep", "Revoke")[n % 2]
                page.get_by_text(choice, exact=True).click()
                page.get_by_label("Reason").fill(f"bench {n}")
                start = time.perf_counter()
                page.get_by_role("button", name="Apply to selected").click()
                page.get_by_text(f"Recorded {choice.lower()} on 1 item(s).").wait_for()
                page.get_by_text(" shown · 0 selected").wait_for()
                trips.append((time.perf_counter() - start) * 1000)
            browser.close()
        report("browser   fresh load: sign-in → 48-item grid ", small)
        report("browser   fresh load: sign-in → 500-item grid", loads)
        report("browser   500-item queue re-render (filter)", toggles)
        report("browser   Apply click → confirmation + grid", trips)
    finally:
        proc.terminate()
        proc.wait(15)


if __name__ == "__main__":
    main()
