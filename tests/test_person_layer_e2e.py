"""End to end through real SCIM servers (scim2-server on 127.0.0.1, the real collector): the sample
organisation plus a rehire whose erp account still carries the old employeeNumber, a leaver on the
SLA day and one from the day before; and the one access answer: ``scimaudit access``, the
dashboard's Access explorer and campaign items agree on who holds what (slow)."""

from __future__ import annotations

import csv
import secrets
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from sample_store import APPS, generate_sample, manifest, noon, sample_config
from scimaudit.analytics import access_reads
from scimaudit.analytics.access import who_has_access
from scimaudit.analytics.results import latest_findings
from scimaudit.analytics.runner import run_analysis, today_utc
from scimaudit.cli import main
from scimaudit.collect.activity import import_activity
from scimaudit.collect.hr.importer import import_hr
from scimaudit.collect.scim.collector import collect_apps
from scimaudit.demo.scim2_server import Scim2ServerProcess
from scimaudit.demo.seed import seed_from_sample_dir
from scimaudit.review.campaigns import start_campaign
from scimaudit.store.connect import connect

pytestmark = pytest.mark.slow

TOKEN_ENV = "SCIMAUDIT_E2E_PERSON_TOKEN"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def _erp_user(user_name: str, first: str, last: str, number: str) -> dict[str, Any]:
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "userName": user_name,
        "active": True,
        "name": {"givenName": first, "familyName": last},
        "emails": [{"value": f"{first}.{last}@example.com".lower(), "primary": True}],
        ENTERPRISE: {"employeeNumber": number},
    }


def plant_people(data: Path, today: date) -> None:
    """Add a rehire (old Terminated row + new Active row, same email), a leaver whose termination
    date is today and one who left yesterday, each with an active erp account."""
    with (data / "hr.csv").open("a", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        old = (today - timedelta(days=700)).isoformat()
        left = (today - timedelta(days=604)).isoformat()
        back = (today - timedelta(days=30)).isoformat()
        w.writerow(["E90041", "ann.rehire@example.com", "Ann", "Rehire", "Terminated",
                    "Employee", old, left, "", "Finance", "Analyst", ""])  # fmt: skip
        w.writerow(["E90402", " Ann.Rehire@Example.com", "Ann", "Rehire", "Active",
                    "Employee", back, "", "", "Finance", "Analyst", ""])  # fmt: skip
        w.writerow(["E90501", "lea.today@example.com", "Lea", "Today", "Terminated",
                    "Employee", old, today.isoformat(), "", "Finance", "Analyst", ""])  # fmt: skip
        w.writerow(["E90502", "leo.yesterday@example.com", "Leo", "Yesterday", "Terminated",
                    "Employee", old, (today - timedelta(days=1)).isoformat(), "", "Finance",
                    "Analyst", ""])  # fmt: skip
    users_path = data / "apps" / "erp" / "users.json"
    users = orjson.loads(users_path.read_bytes())
    users += [
        _erp_user("AREHIRE", "Ann", "Rehire", "E90041"),
        _erp_user("LTODAY", "Lea", "Today", "E90501"),
        _erp_user("LYESTERDAY", "Leo", "Yesterday", "E90502"),
    ]
    users_path.write_bytes(orjson.dumps(users))


def test_rehire_sla_boundary_and_one_access_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    today = today_utc()
    data = generate_sample(tmp_path / "sample", today)
    facts = manifest(data)
    plant_people(data, today)
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
    assert {r.status for r in results} == {"complete"}
    summary = run_analysis(config, as_of=today)
    with connect(config.store.path, read_only=True) as con:
        findings = latest_findings(con)
        pending = con.execute(
            "SELECT user_name, employee_id, deadline FROM deprovision_pending WHERE run_id = ?",
            [summary.run_id],
        ).fetchall()
        note = con.execute(
            "SELECT employee_id, note FROM identity_link WHERE run_id = ? AND user_name = ?",
            [summary.run_id, "AREHIRE"],
        ).fetchone()
    found = {(f["kind"], f["app"], f["user_name"]) for f in findings}
    planted = {(p["kind"], p["app"], p["user_name"]) for p in facts["planted"]}
    mine = {
        ("stale_identifier", "erp", "AREHIRE"),
        ("terminated_active", "erp", "LYESTERDAY"),
        # never signed in and hired long ago (the rehire is judged by its hire date: not stale)
        ("stale_access", "erp", "LTODAY"),
        ("stale_access", "erp", "LYESTERDAY"),
    }
    assert found - planted == mine  # the rehire is no leaver, today's leaver no exception
    assert planted - found == set()
    assert note == (
        "E90402",
        f"linked by employeeNumber E90041 → rehired as E90402 on {today - timedelta(days=30)}",
    )
    assert [(u, e) for u, e, _ in pending] == [("LTODAY", "E90501")]
    assert pending[0][2].date() == today + timedelta(days=1)  # 24 h SLA from 00:00 UTC today
    with pytest.raises(SystemExit) as done:
        main(["--config", str(config.source), "findings", "--pending", "--format", "json"])
    assert done.value.code in (0, None)
    listed = orjson.loads(capsys.readouterr().out)
    assert [(r["user_name"], r["employee_id"]) for r in listed] == [("LTODAY", "E90501")]
    assert summary.pending_deprovisioning == 1
    with pytest.raises(SystemExit) as done:
        main(["--config", str(config.source), "analyze", "--as-of", today.isoformat()])
    assert done.value.code in (0, None)
    assert "1 leaver account(s) pending deprovisioning" in capsys.readouterr().out
    assert summary.open_findings == len(found) - sum(
        1 for f in findings if f["status"] == "exempted"
    )

    # one access answer: the CLI's library call, the dashboard's explorer, campaign items
    with connect(config.store.path, read_only=True) as con:
        cli = who_has_access(con, config, as_of=today, app="erp")
    cli_rows = {(r["account_id"], r["group_name"]) for r in cli.rows}
    view = access_reads.access_as_of(config, today, app="erp")
    dash_rows = {
        (a, None if g is None or g != g else g)  # NaN from pandas is None here
        for a, g in zip(view.rows["account_id"], view.rows["access"], strict=True)
    }
    cid = start_campaign(
        config, name="erp", due=today + timedelta(days=30), actor="cli", apps=["erp"], today=today
    )
    with connect(config.store.path, read_only=True) as con:
        items = con.execute(
            "SELECT account_id, entitlement FROM campaign_item WHERE campaign_id = ?", [cid]
        ).fetchall()
    item_accounts = {a for a, _ in items}
    item_groups = {(a, g) for a, g in items if g is not None}
    assert cli_rows == dash_rows
    assert {a for a, _ in cli_rows} == item_accounts
    assert {(a, g) for a, g in cli_rows if g is not None} == item_groups
    rehire = [r for r in cli.rows if r["user_name"] == "AREHIRE"]
    assert rehire and {r["employee_id"] for r in rehire} == {"E90402"}
