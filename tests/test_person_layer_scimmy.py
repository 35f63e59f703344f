"""The person layer through the second, independent SCIM implementation (SCIMMY, node, on
127.0.0.1) and a messy HR export: a rehire whose account keeps the old externalId, a leaver on the
SLA day (pending) and one from the day before (terminated_active), a notice period, a converted
contractor, an HR email with spaces and capitals, the work email as a secondary SCIM email, and
name twins; then the one access answer read three ways (slow: starts node)."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from scimaudit.analytics import access_reads
from scimaudit.analytics.access import who_has_access
from scimaudit.analytics.results import latest_findings, pending_deprovisioning
from scimaudit.analytics.runner import run_analysis, today_utc
from scimaudit.collect.hr.importer import import_hr
from scimaudit.collect.scim.collector import collect_apps
from scimaudit.config import Config, parse_config
from scimaudit.demo.seed import seed
from scimaudit.review.campaigns import start_campaign
from scimaudit.store.connect import connect
from scimmy_peer import ScimmyProcess

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("node") is None, reason="SCIMMY needs node"),
]


def hr_csv(today: date) -> str:
    d = lambda n: (today + timedelta(days=n)).isoformat()  # noqa: E731
    rows = [
        "id,email,first,last,status,type,hired,left,contract_end,dept",
        f"E1,ann.rehire@example.com,Ann,Rehire,Terminated,Employee,{d(-900)},{d(-604)},,Ops",
        f"E2,  Ann.Rehire@Example.COM ,Ann,Rehire,Active,Employee,{d(-30)},,,Ops",
        f"E3,lea.today@example.com,Lea,Today,Terminated,Employee,{d(-900)},{d(0)},,Ops",
        f"E4,leo.gone@example.com,Leo,Gone,Terminated,Employee,{d(-900)},{d(-1)},,Ops",
        f"E5,nora.notice@example.com,Nora,Notice,Active,Employee,{d(-900)},{d(20)},,Ops",
        f"E6,carl.convert@example.com,Carl,Convert,Active,Employee,{d(-900)},,{d(-200)},Ops",
        f"E7,  Mia.MESSY@example.com,Mia,Messy,Active,Employee,{d(-900)},,,Ops",
        f"E8,sid.second@example.com,Sid,Second,Active,Employee,{d(-900)},,,Ops",
        f"E9,tom.twin@example.com,Tom,Twin,Active,Employee,{d(-900)},,,Ops",
        f"E10,t.twin@example.com,Tom,Twin,Active,Employee,{d(-900)},,,Ops",
    ]
    return "\n".join(rows) + "\n"


def user(user_name: str, **extra: Any) -> dict[str, Any]:
    return {"userName": user_name, "active": True, **extra}


USERS = [
    user("arehire", externalId="E1"),  # the old id, never updated
    user("lea.today@example.com"),
    user("leo.gone@example.com"),
    user("nora.notice@example.com"),
    user("carl.convert@example.com"),
    user("mia.messy@example.com"),
    user(
        "sid",
        emails=[
            {"value": "sid@home.example.net", "primary": True},
            {"value": "Sid.Second@example.com"},
        ],
    ),
    user("ttwin", name={"givenName": "Tom", "familyName": "Twin"}),
]
GROUPS = [{"displayName": "ops", "members": [{"value": u["userName"]} for u in USERS]}]


def make_config(tmp_path: Path, url: str) -> Config:
    raw: dict[str, Any] = {
        "store": {"path": str(tmp_path / "store.duckdb")},
        "hr": {
            "path": str(tmp_path / "hr.csv"),
            "columns": {
                "employee_id": "id",
                "email": "email",
                "first_name": "first",
                "last_name": "last",
                "status": "status",
                "worker_type": "type",
                "hire_date": "hired",
                "termination_date": "left",
                "contract_end_date": "contract_end",
                "department": "dept",
            },
            "date_formats": ["%Y-%m-%d"],
        },
        "apps": [{"name": "hub", "url": url, "token": {"env": "SCIMMY_PERSON_TOKEN"}}],
        "policy": {"deprovision_sla_hours": 24},
        "correlation": {"rules": ["external_id", "employee_number", "email", "name"]},
    }
    return parse_config(raw, tmp_path / "scimaudit.toml")


def test_person_layer_through_scimmy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    today = today_utc()
    (tmp_path / "hr.csv").write_text(hr_csv(today), encoding="utf-8")
    with ScimmyProcess() as server:
        seed(server.base_url(), server.token, USERS, GROUPS)
        monkeypatch.setenv("SCIMMY_PERSON_TOKEN", server.token)
        config = make_config(tmp_path, server.base_url())
        import_hr(config)
        [result] = collect_apps(config, progress=False)
    assert result.status == "complete", result.error
    summary = run_analysis(config, as_of=today)
    with connect(config.store.path, read_only=True) as con:
        found = {(f["kind"], f["user_name"]) for f in latest_findings(con)}
        pending = pending_deprovisioning(con)
        links = dict(
            con.execute(
                "SELECT user_name, employee_id FROM identity_link WHERE run_id = ?",
                [summary.run_id],
            ).fetchall()
        )
    assert found == {
        ("stale_identifier", "arehire"),
        ("terminated_active", "leo.gone@example.com"),
        ("orphaned_account", "ttwin"),  # name twins: a name alone never links
    }
    assert [(p["user_name"], p["employee_id"]) for p in pending] == [
        ("lea.today@example.com", "E3")
    ]
    assert links["arehire"] == "E2"
    assert links["mia.messy@example.com"] == "E7"
    assert links["sid"] == "E8"
    assert links["ttwin"] is None

    with connect(config.store.path, read_only=True) as con:
        cli = {(r["account_id"], r["group_name"]) for r in who_has_access(
            con, config, as_of=today, app="hub").rows}  # fmt: skip
    view = access_reads.access_as_of(config, today)
    dash = set(zip(view.rows["account_id"], view.rows["access"], strict=True))
    cid = start_campaign(
        config, name="hub", due=today + timedelta(days=30), actor="cli", today=today
    )
    with connect(config.store.path, read_only=True) as con:
        items = con.execute(
            "SELECT account_id, entitlement, recommendation_reason FROM campaign_item"
            " WHERE campaign_id = ?",
            [cid],
        ).fetchall()
    assert cli == dash == {(a, g) for a, g, _ in items if g is not None}
    assert len(cli) == len(USERS)
    reasons = {r for _, g, r in items if g is None and r and r.startswith("pending")}
    assert len(reasons) == 1  # the leaver inside the SLA: due, not a revoke yet
