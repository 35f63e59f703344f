"""End to end through real SCIM servers: the sample organisation, generated for today, seeded into
scim2-server on 127.0.0.1, collected by the real collector, analysed: every planted case found,
nothing else, no clean look-alike flagged (slow: starts a server and seeds ~900 users)."""

from __future__ import annotations

import secrets
from datetime import date
from pathlib import Path

import pytest

from sample_store import APPS, generate_sample, manifest, noon, sample_config
from scimaudit.analytics.results import latest_findings
from scimaudit.analytics.runner import run_analysis, today_utc
from scimaudit.collect.activity import import_activity
from scimaudit.collect.hr.importer import import_hr
from scimaudit.collect.scim.collector import collect_apps
from scimaudit.demo.scim2_server import Scim2ServerProcess
from scimaudit.demo.seed import seed_from_sample_dir
from scimaudit.store.connect import connect

pytestmark = pytest.mark.slow

TOKEN_ENV = "SCIMAUDIT_E2E_ANALYTICS_TOKEN"


def test_sample_organisation_through_real_scim_servers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = today_utc()
    data = generate_sample(tmp_path / "sample", today)
    facts = manifest(data)
    token = secrets.token_urlsafe(16)
    monkeypatch.setenv(TOKEN_ENV, token)
    with Scim2ServerProcess(list(APPS), token=token) as server:
        for app in APPS:
            seed_from_sample_dir(server.base_url(app), token, data / "apps" / app)
        config = sample_config(
            tmp_path, data, urls={app: server.base_url(app) for app in APPS}, token_env=TOKEN_ENV
        )
        previous = date.fromisoformat(facts["previous_as_of"])
        import_hr(config, path=data / "hr_previous.csv", as_of=noon(previous))
        import_hr(config)
        import_activity(config, config.activity[0])
        results = collect_apps(config, progress=False)
    assert sorted((r.app, r.status) for r in results) == [(app, "complete") for app in sorted(APPS)]
    summary = run_analysis(config, as_of=today)
    assert summary.notes == ()
    with connect(config.store.path, read_only=True) as con:
        findings = latest_findings(con)
    found = {(f["kind"], f["app"], f["user_name"]) for f in findings}
    planted = {(p["kind"], p["app"], p["user_name"]) for p in facts["planted"]}
    assert planted - found == set()
    assert found - planted == set()
    clean = {(c["app"], c["user_name"]) for c in facts["clean"]}
    assert {(f["app"], f["user_name"]) for f in findings} & clean == set()
