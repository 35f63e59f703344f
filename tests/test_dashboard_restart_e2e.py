"""Sign-in state outlives the dashboard process, in a real headless Chromium against a real
``streamlit run`` (how the dashboard is started and driven: test_dashboard_e2e).

Before: sessions and failed-sign-in counts lived in the dashboard's memory, so a restart signed
everyone out and gave a password guesser a fresh count. Now both are in the review store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from scimaudit.dashboard_process import start_dashboard
from scimaudit.webauth.failed_signins import throttle_for
from test_dashboard_e2e import (
    AUDITOR,
    MAYA,
    new_page,
    no_errors,
    serve,
    settle,
    sign_in,
    stop,
    team_config,
    wait_text,
)
from test_dashboard_e2e import browser as browser  # the module-scoped Chromium fixture

pytestmark = pytest.mark.slow


def wrong_password(page: Any, url: str, email: str) -> None:
    page.goto(url)
    page.get_by_label("Work email").fill(email)
    page.get_by_label("Password", exact=True).fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    settle(page)


def test_sessions_and_failed_sign_in_counts_survive_a_restart(browser: Any, tmp_path: Path) -> None:
    config = team_config(tmp_path)
    proc, url = serve(config, tmp_path)
    port = int(url.rstrip("/").rsplit(":", 1)[1])
    try:
        maya = new_page(browser)
        sign_in(maya, url, MAYA)
        wait_text(maya, "72 shown")
        guesser = new_page(browser)
        free = throttle_for(config).free_failures
        for _ in range(free):
            wrong_password(guesser, url, AUDITOR)
            wait_text(guesser, "wrong email or password")
        assert throttle_for(config).failures(AUDITOR) == free

        stop(proc)  # the dashboard process ends; a new one starts on the same store and port
        proc = start_dashboard(config, port=port, log=tmp_path / "dashboard-2.log")

        maya.goto(url)  # the browser still holds its cookie: still signed in, no password asked
        maya.get_by_role("button", name="Sign out").wait_for(timeout=60_000)
        wait_text(maya, "72 shown")
        no_errors(maya)
        wrong_password(guesser, url, AUDITOR)  # the count goes on from where it was ...
        wait_text(guesser, "wrong email or password")
        assert throttle_for(config).failures(AUDITOR) == free + 1
        wrong_password(guesser, url, AUDITOR)  # ... so the account is now locked
        wait_text(guesser, "too many failed sign-ins")

        maya.get_by_role("button", name="Sign out").click()  # ends the session in the store
        maya.get_by_label("Work email").wait_for()
        maya.goto(url)
        maya.get_by_label("Work email").wait_for()
        assert maya.get_by_role("button", name="Sign out").count() == 0
    finally:
        stop(proc)
