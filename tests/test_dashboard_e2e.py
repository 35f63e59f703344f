"""End to end in a real headless Chromium against a real `streamlit run` of the dashboard.

A manager decides and signs off; a second manager can neither see nor decide the first one's items;
security closes the campaign; an auditor downloads the campaign evidence (PDF with the CSVs
attached). Another test keeps a real SCIM collection writing to the same store while a manager
decides. Screenshots of every page go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from review_support import PASSWORD, TEAM_APPS, build_store, make_config, team_org
from scimaudit.cmd.dashboard import start_dashboard
from scimaudit.config import Config
from scimaudit.demo.loopback import find_free_port
from scimaudit.demo.scim2_server import Scim2ServerProcess
from scimaudit.demo.seed import seed_from_sample_dir
from scimaudit.review.campaigns import start_campaign
from scimaudit.review.decisions import verify_chain
from scimaudit.store.connect import connect

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MAYA, OMAR, SASHA, AUDITOR = (
    "maya.lead@example.com",
    "omar.head@example.com",
    "sasha.guard@example.com",
    "auditor@example.com",
)
USERS = [(MAYA, "manager"), (OMAR, "manager"), (SASHA, "security"), (AUDITOR, "auditor")]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def serve(config: Config, tmp_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = find_free_port()
    proc = start_dashboard(config, port=port, log=tmp_path / "dashboard.log")
    return proc, f"http://127.0.0.1:{port}/"


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def team_config(tmp_path: Path, extra_apps: dict[str, dict[str, Any]] | None = None) -> Config:
    config = make_config(tmp_path, apps={**TEAM_APPS, **(extra_apps or {})}, users=USERS)
    people, accounts, findings = team_org(12)
    build_store(config, people, accounts, findings)
    start_campaign(
        config, name="Q3 access review", due=date.today() + timedelta(days=14), actor="cli:test"
    )
    return config


def new_page(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1400, "height": 1800}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    return page


def sign_in(page: Any, url: str, email: str) -> None:
    page.goto(url)
    page.get_by_label("Work email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()


def settle(page: Any) -> None:
    """Wait until the app has finished its run: no status widget, page unchanged for ~0.75 s."""
    last, stable = -1, 0
    for _ in range(120):
        page.wait_for_timeout(250)
        size = page.evaluate(
            "document.querySelector('[data-testid=stMain]')?.innerHTML.length || 0"
        )
        running = page.get_by_test_id("stStatusWidget").count()
        stable = stable + 1 if size == last and not running else 0
        if stable >= 3:
            return
        last = size


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    settle(page)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def go(page: Any, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    page.get_by_role("heading", name=title, exact=True).wait_for()


def queue_grid(page: Any) -> Any:
    grid = page.get_by_test_id("stDataFrame").last
    grid.wait_for()
    return grid


def click_row(page: Any, row: int | None) -> None:
    """Tick a row's selection box in the canvas grid (None: the header's select-all box)."""
    box = None
    for _ in range(50):  # the grid may be re-mounting after a rerun: wait until it has a box
        grid = queue_grid(page)
        grid.locator("table [role=row]").nth(1).wait_for(state="attached")
        box = grid.bounding_box()
        if box is not None:
            break
        page.wait_for_timeout(100)
    assert box is not None, "queue grid never became visible"
    y = box["y"] + 17 + (0 if row is None else 35 * (row + 1))
    page.mouse.click(box["x"] + 18, y)


def wait_text(page: Any, text: str) -> None:
    """Wait for ``text``, then for the run to finish (a rerun briefly shows stale copies of
    elements next to the new ones)."""
    page.get_by_text(text).first.wait_for()
    settle(page)


def visible_people(page: Any) -> set[str]:
    """Person cells of the queue grid's accessible rows (what a screen reader gets)."""
    rows = queue_grid(page).locator("table [role=row]")
    rows.nth(1).locator("[role=gridcell]").first.wait_for(state="attached")
    names = set()
    for i in range(1, rows.count()):
        cells = rows.nth(i).locator("[role=gridcell]")
        if cells.count():
            names.add(cells.first.text_content().strip())
    return names - {""}


def no_errors(page: Any) -> None:
    assert page.get_by_test_id("stException").count() == 0
    alerts = page.get_by_test_id("stAlertContentError")
    assert alerts.count() == 0, alerts.first.text_content()


def store_rows(config: Config, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connect(config.store.path) as con:
        return con.execute(sql, params).fetchall()


def test_review_sign_off_isolation_close_and_auditor_download(browser: Any, tmp_path: Path) -> None:
    config = team_config(tmp_path)
    proc, url = serve(config, tmp_path)
    try:
        # --- manager 1: decide everything, change one decision, sign off
        maya = new_page(browser)
        sign_in(maya, url, MAYA)
        wait_text(maya, "72 shown")
        no_errors(maya)
        shot(maya, "01-manager-my-reviews")
        maya.get_by_text("Flagged", exact=True).click()
        wait_text(maya, "4 shown · 0 selected")
        shot(maya, "02-manager-flagged-filter")
        click_row(maya, None)
        wait_text(maya, "4 shown · 4 selected")
        maya.get_by_text("Revoke", exact=True).click()
        maya.get_by_label("Reason").fill("left the company / not needed for the role")
        maya.get_by_role("button", name="Apply to selected").click()
        maya.get_by_role("button", name=re.compile(r"^Confirm (keep|revoke) on")).click()
        wait_text(maya, "Recorded revoke on 4 item(s).")
        maya.get_by_text("Flagged", exact=True).click()
        wait_text(maya, "72 shown")
        maya.get_by_role("button", name="Keep all unflagged (68)").click()
        wait_text(maya, "Kept 68 unflagged item(s) in one bulk action.")
        click_row(maya, 0)  # changeable until sign-off: revoke the first one after all
        wait_text(maya, "72 shown · 1 selected")
        maya.get_by_text("Revoke", exact=True).click()
        maya.get_by_label("Reason").fill("moved to Support")
        maya.get_by_role("button", name="Apply to selected").click()
        maya.get_by_role("button", name=re.compile(r"^Confirm (keep|revoke) on")).click()
        wait_text(maya, "Recorded revoke on 1 item(s).")
        maya.get_by_text("I have reviewed every item").click()
        maya.get_by_role("button", name="Sign off").click()
        wait_text(maya, "Signed off: 72 item(s) certified.")
        no_errors(maya)
        shot(maya, "03-manager-signed-off")

        decided = store_rows(
            config,
            "SELECT d.actor, d.decision, count(*) FROM campaign_decision_current d"
            " WHERE campaign_id = 1 GROUP BY ALL ORDER BY 2",
            [],
        )
        assert decided == [(MAYA, "keep", 67), (MAYA, "revoke", 5)]
        assert store_rows(config, "SELECT reviewer_id FROM campaign_signoff", []) == [("M1",)]

        maya.context.close()  # one page at a time: background tabs do not paint their charts

        # --- manager 2: only their own people, and deciding touches only their own items
        omar = new_page(browser)
        sign_in(omar, url, OMAR)
        wait_text(omar, "48 shown")
        people = visible_people(omar)
        assert people and all(
            p.startswith(
                (
                    "Ana Khan",
                    "Ben Lopez",
                    "Cai Moss",
                    "Dee Nagy",
                    "Eli Ortiz",
                    "Fay Park",
                    "Gus Quinn",
                    "Hal Roy",
                )
            )
            for p in people
        ), people
        omar.get_by_label("Person").click()
        options = {o.text_content() for o in omar.get_by_role("option").all()}
        omar.keyboard.press("Escape")
        assert "Ana Ito0" not in options and "Ben Jansen1" not in options  # Maya's people
        assert len(options) == 9  # Everyone + his 8
        shot(omar, "04-second-manager-queue")
        omar.get_by_role("button", name=re.compile(r"^Keep all unflagged \(\d+\)")).click()
        wait_text(omar, "unflagged item(s) in one bulk action")
        assert store_rows(
            config,
            "SELECT DISTINCT d.actor FROM campaign_decision_current d JOIN campaign_item_reviewer r"
            " USING (campaign_id, item_id) WHERE r.reviewer_id = 'M1'",
            [],
        ) == [(MAYA,)]
        nav = omar.get_by_test_id("stSidebarNav")
        assert nav.get_by_text("Campaigns").count() == 0
        omar.goto(url + "campaigns")  # a manager typing another page's address
        omar.get_by_text("Page not found").wait_for()  # the session cookie kept him signed in
        assert omar.get_by_role("heading", name="Campaigns", exact=True).count() == 0
        shot(omar, "05-second-manager-forced-url")

        omar.context.close()

        # --- security: campaign progress, then close
        sasha = new_page(browser)
        sign_in(sasha, url, SASHA)
        go(sasha, "Campaigns")
        no_errors(sasha)
        shot(sasha, "06-security-campaigns")
        sasha.get_by_role("tab", name="Actions").click()
        sasha.get_by_text("I understand closing is final").click()
        sasha.get_by_role("button", name="Close campaign").click()
        wait_text(sasha, "Closed campaign 1")
        no_errors(sasha)

        sasha.context.close()

        # --- auditor: read-only everywhere; downloads the campaign evidence
        auditor = new_page(browser)
        sign_in(auditor, url, AUDITOR)
        auditor.get_by_role("heading", name="Campaigns", exact=True).wait_for()
        assert auditor.get_by_test_id("stSidebarNav").get_by_text("My reviews").count() == 0
        auditor.get_by_role("tab", name="Actions").click()
        wait_text(auditor, "Read-only")
        assert auditor.get_by_role("button", name="Close campaign").count() == 0
        shot(auditor, "07-auditor-campaigns")
        auditor.get_by_role("tab", name="Evidence").click()
        auditor.get_by_role("button", name="Prepare PDF (with the CSVs attached)").click()
        button = auditor.get_by_role("button", name="Download campaign-1.pdf")
        button.wait_for(timeout=120_000)
        with auditor.expect_download() as info:
            button.click()
        pdf = Path(info.value.path()).read_bytes()
        import pypdf

        reader = pypdf.PdfReader(io.BytesIO(pdf))
        assert pdf.startswith(b"%PDF") and "campaign-1-decisions.csv" in reader.attachments
        decisions_csv = reader.attachments["campaign-1-decisions.csv"][0].decode()
        assert decisions_csv.count("\n") == 1 + 121  # header + every item
        shot(auditor, "08-auditor-evidence-download")
        for title, name in (
            ("Findings", "09-auditor-findings"),
            ("Access explorer", "10-auditor-access-explorer"),
            ("Evidence", "11-auditor-evidence"),
            ("Collections", "12-auditor-collections"),
        ):
            go(auditor, title)
            no_errors(auditor)
            shot(auditor, name)
            if title == "Findings":  # drill into one account: link, evidence, history
                click_row(auditor, 1)
                auditor.get_by_text("Identity link").wait_for()
                no_errors(auditor)
                shot(auditor, name + "-account")
        assert verify_chain(config, 1).ok
    finally:
        stop(proc)


def _collect_loop(
    config: Config, token: str, stop_file: Path, log: Path
) -> subprocess.Popen[bytes]:
    """Another process collecting the ``chat`` app (real SCIM pulls) back to back until
    ``stop_file`` appears; exits non-zero if any collection is not complete."""
    script = (
        "import pathlib, sys\n"
        "from scimaudit.collect.scim.collector import collect_apps\n"
        "from scimaudit.config import load_config\n"
        f"config = load_config({str(config.source)!r})\n"
        f"stop, runs = pathlib.Path({str(stop_file)!r}), 0\n"
        "while not stop.exists() or runs == 0:\n"
        "    results = collect_apps(config, ['chat'], progress=False)\n"
        "    runs += 1\n"
        "    print(runs, [(r.status, r.error) for r in results], flush=True)\n"
        "    if any(r.status != 'complete' for r in results): sys.exit(1)\n"
    )
    env = {**os.environ, "T": token}
    return subprocess.Popen(
        [sys.executable, "-c", script], env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )


def test_decisions_while_a_collection_writes_to_the_same_store(
    browser: Any, tmp_path: Path
) -> None:
    with Scim2ServerProcess(["chat"]) as server:
        seed_from_sample_dir(server.base_url("chat"), server.token, ROOT / "sample_data/apps/chat")
        config = team_config(tmp_path, {"chat": {"url": server.base_url("chat")}})
        os.environ["T"] = server.token  # the dashboard process inherits it (config validation)
        stop_file, log = tmp_path / "stop", tmp_path / "collect.log"
        writer = _collect_loop(config, server.token, stop_file, log)
        proc, url = serve(config, tmp_path)
        try:
            maya = new_page(browser)
            sign_in(maya, url, MAYA)
            wait_text(maya, "72 shown")
            for choice in ("revoke", "keep", "revoke"):  # several writes during collection
                maya.get_by_text("Flagged", exact=True).click()
                wait_text(maya, "4 shown · 0 selected")
                click_row(maya, None)
                wait_text(maya, "4 shown · 4 selected")
                maya.get_by_text(choice.capitalize(), exact=True).click()
                maya.get_by_label("Reason").fill(f"{choice}: checked with HR")
                maya.get_by_role("button", name="Apply to selected").click()
                maya.get_by_role("button", name=re.compile(r"^Confirm (keep|revoke) on")).click()
                wait_text(maya, f"Recorded {choice} on 4 item(s).")
                maya.get_by_text("Flagged", exact=True).click()
                wait_text(maya, "72 shown")
            maya.get_by_role("button", name="Keep all unflagged (68)").click()
            wait_text(maya, "Kept 68 unflagged item(s) in one bulk action.")
            maya.get_by_text("I have reviewed every item").click()
            maya.get_by_role("button", name="Sign off").click()
            wait_text(maya, "Signed off: 72 item(s) certified.")
            no_errors(maya)
            maya.context.close()
            sasha = new_page(browser)
            sign_in(sasha, url, SASHA)
            go(sasha, "Collections")
            no_errors(sasha)
            shot(sasha, "13-security-collections-during-collect")
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:  # at least one collect finished meanwhile
                done = store_rows(
                    config,
                    "SELECT count(*) FROM snapshot WHERE source_name ="
                    " 'chat' AND status = 'complete'",
                    [],
                )[0][0]
                if done >= 1:
                    break
                time.sleep(0.5)
        finally:
            stop_file.write_text("stop")
            writer_code = writer.wait(300)
            stop(proc)
        collect_log = log.read_text()
        assert writer_code == 0, collect_log
        runs = store_rows(
            config,
            "SELECT status, count(*) FROM snapshot WHERE source_name = 'chat' GROUP BY ALL",
            [],
        )
        assert dict(runs).get("complete", 0) >= 1 and "failed" not in dict(runs), runs
        assert store_rows(
            config,
            "SELECT count(*), count(DISTINCT actor) FROM"
            " campaign_decision_current WHERE campaign_id = 1",
            [],
        ) == [(72, 1)]
        overlapping = store_rows(
            config,
            "SELECT count(*) FROM snapshot s, (SELECT min(recorded_at) AS a, max(recorded_at) AS b"
            " FROM review_log) w WHERE s.source_name = 'chat' AND s.started_at < w.b"
            " AND s.finished_at > w.a",
            [],
        )[0][0]
        assert overlapping >= 1, "no collection ran while the reviewer was deciding"
        assert verify_chain(config, 1).ok
        dashboard_log = (tmp_path / "dashboard.log").read_text()
        assert "lock" not in dashboard_log.lower() and "Traceback" not in dashboard_log


def test_real_pipeline_demo_sign_in_and_auditor_sox_pack(browser: Any, tmp_path: Path) -> None:
    """Sample HR + two apps on a real scim2-server → collect → analyze → campaign → demo users;
    the demo manager reviews, the auditor generates and downloads the SOX pack."""
    from scimaudit.analytics.runner import run_analysis
    from scimaudit.collect.hr.importer import import_hr
    from scimaudit.collect.scim.collector import collect_apps
    from scimaudit.config import load_config
    from scimaudit.demo import demo_config
    from scimaudit.demo.dashboard_users import (
        demo_dashboard_users,
        demo_users_config,
        sign_in_instructions,
        start_demo_campaign,
    )

    apps = ["chat", "code"]
    with Scim2ServerProcess(apps) as server:
        for app in apps:
            seed_from_sample_dir(
                server.base_url(app), server.token, ROOT / "sample_data/apps" / app
            )
        os.environ[demo_config.TOKEN_ENV] = server.token
        path = tmp_path / "scimaudit.toml"

        def write(users: list[dict[str, str]] | None) -> Config:
            raw = demo_config.build(
                data_dir=ROOT / "sample_data",
                store_path=tmp_path / "store.duckdb",
                app_urls={app: server.base_url(app) for app in apps},
                dashboard_users=users,
            )
            demo_config.write(path, raw)
            return load_config(path)

        config = write(None)
        import_hr(config)
        assert all(r.status == "complete" for r in collect_apps(config, progress=False))
        run_analysis(config)
        cid = start_demo_campaign(config)
        users = demo_dashboard_users(config, campaign_id=cid)
        assert [u.role for u in users] == ["manager", "manager", "security", "auditor"]
        config = write(demo_users_config(users))
        proc, url = serve(config, tmp_path)
        try:
            print(sign_in_instructions(users, url))
            manager = new_page(browser)
            manager.goto(url)
            manager.get_by_label("Work email").fill(users[0].email)
            manager.get_by_label("Password", exact=True).fill(users[0].password)
            manager.get_by_role("button", name="Sign in").click()
            wait_text(manager, " shown · 0 selected")
            no_errors(manager)
            shot(manager, "14-demo-manager-queue")
            manager.context.close()

            auditor = new_page(browser)
            auditor.goto(url)
            auditor.get_by_label("Work email").fill(users[3].email)
            auditor.get_by_label("Password", exact=True).fill(users[3].password)
            auditor.get_by_role("button", name="Sign in").click()
            auditor.get_by_role("button", name="Sign out").wait_for()
            go(auditor, "Evidence")
            auditor.get_by_role("button", name="Generate").click()
            button = auditor.get_by_role("button", name=re.compile(r"^Download .*\.pdf$"))
            button.wait_for(timeout=240_000)
            no_errors(auditor)
            with auditor.expect_download() as info:
                button.click()
            pdf = Path(info.value.path()).read_bytes()
            assert pdf.startswith(b"%PDF")
            import pypdf

            names = set(pypdf.PdfReader(io.BytesIO(pdf)).attachments)
            assert "manifest.json" in names, names
            shot(auditor, "15-auditor-sox-pack")
            manifest_button = auditor.get_by_role(
                "button", name=re.compile(r"^Download .*\.manifest\.json$")
            )
            with auditor.expect_download() as info:
                manifest_button.click()
            pdf_file = tmp_path / info.value.suggested_filename.replace(".manifest.json", ".pdf")
            pdf_file.write_bytes(pdf)
            manifest_file = tmp_path / info.value.suggested_filename
            info.value.save_as(manifest_file)
            # verify the downloaded pack from the dashboard (hashes + store consistency)
            auditor.get_by_role("tab", name="Verify a PDF").click()
            inputs = auditor.get_by_test_id("stFileUploaderDropzoneInput")
            inputs.nth(0).set_input_files(str(pdf_file))
            inputs.nth(1).set_input_files(str(manifest_file))
            auditor.get_by_role("button", name="Verify").click()
            wait_text(auditor, "Intact and consistent with the store.")
            shot(auditor, "16-auditor-verify-pack")
        finally:
            stop(proc)


def test_trusted_header_sign_in_behind_a_proxy(
    browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """auth = "header": the proxy's X-Forwarded-Email names the person, and only counts with the
    proxy's shared secret beside it; a forged header sent straight to the port gets nothing."""
    from review_support import password_hash

    secret = "proxy-shared-secret-e2e-5678"
    monkeypatch.setenv("SCIMAUDIT_E2E_PROXY_SECRET", secret)  # the dashboard inherits it
    config = make_config(
        tmp_path,
        apps=TEAM_APPS,
        extra={
            "dashboard": {
                "auth": "header",
                "proxy_secret": {"env": "SCIMAUDIT_E2E_PROXY_SECRET"},
                "users": [
                    {"email": AUDITOR, "role": "auditor", "password_hash": password_hash()},
                    {"email": SASHA, "role": "admin", "password_hash": password_hash()},
                ],
            }
        },
    )
    people, accounts, findings = team_org(12)
    build_store(config, people, accounts, findings)
    start_campaign(config, name="Q3", due=date.today() + timedelta(days=14), actor="cli:test")
    proxy = {"X-Scimaudit-Proxy-Secret": secret}
    refused = "did not come through the sign-in proxy"
    proc, url = serve(config, tmp_path)
    try:
        for headers, expect in (
            ({**proxy, "X-Forwarded-Email": OMAR}, "48 shown"),  # unlisted, in HR → manager
            ({**proxy, "X-Forwarded-Email": AUDITOR}, "Campaigns"),  # listed → auditor
            ({**proxy}, "no X-Forwarded-Email header"),  # the proxy sent nobody
            ({**proxy, "X-Forwarded-Email": "intruder@elsewhere.org"}, "not found in HR"),
            ({"X-Forwarded-Email": SASHA}, refused),  # forged admin, straight to the port
            ({"X-Forwarded-Email": OMAR}, refused),  # forged manager
            ({"X-Forwarded-Email": SASHA, "X-Scimaudit-Proxy-Secret": "guess"}, refused),
        ):
            context = browser.new_context(
                viewport={"width": 1400, "height": 1200}, extra_http_headers=headers
            )
            page = context.new_page()
            page.set_default_timeout(30_000)
            page.goto(url)
            page.get_by_text(expect).first.wait_for()
            if expect in (refused, "not found in HR", "no X-Forwarded-Email header"):
                settle(page)
                assert page.get_by_test_id("stDataFrame").count() == 0
                assert page.get_by_label("Password", exact=True).count() == 0
                assert page.get_by_test_id("stSidebarNav").count() == 0
                assert page.get_by_text("Close campaign").count() == 0
            context.close()
    finally:
        stop(proc)
