"""A reviewer's revoke decision flows through to a verified removal in a real SCIM server.

The whole pipeline runs for real: HR import, collection from scim2-server, analysis, a campaign
started and decided through the review library (as the dashboard calls it), then plan → apply →
verify, and the campaign item's status read back as requested → applied → verified.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from scimaudit.analytics.runner import run_analysis
from scimaudit.collect.hr.importer import import_hr
from scimaudit.collect.scim import recollect
from scimaudit.collect.scim.collector import collect_apps
from scimaudit.config import parse_config
from scimaudit.demo.scim2_server import Scim2ServerProcess
from scimaudit.demo.seed import seed
from scimaudit.remediation import apply_plan, make_plan, operation_status, verify_plan
from scimaudit.review.actors import Actor
from scimaudit.review.campaigns import start_campaign
from scimaudit.review.decisions import decide, keep_all_unflagged, sign_off
from scimaudit.store.connect import connect

pytestmark = pytest.mark.slow

HR = (
    "Employee_ID,Work_Email,First_Name,Last_Name,Worker_Status,Worker_Type,Manager_ID,Department,"
    "Job_Title\n"
    """E1,mia.manager@example.com,Mia,Manager,Active,Employee,,Sales,Sales Manager
E2,sam.seller@example.com,Sam,Seller,Active,Employee,E1,Sales,Account Executive
E3,sue.seller@example.com,Sue,Seller,Active,Employee,E1,Sales,Account Executive
"""
)
PEOPLE = ["mia.manager@example.com", "sam.seller@example.com", "sue.seller@example.com"]
MIA = Actor(email=PEOPLE[0], role="manager", method="password", employee_id="E1", name="Mia")


def test_revoke_decision_reaches_the_app_and_is_verified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "hr.csv").write_text(HR, encoding="utf-8")
    with Scim2ServerProcess(["crm"]) as server:
        users = [{"userName": e, "emails": [{"value": e, "primary": True}]} for e in PEOPLE]
        ids = seed(
            server.base_url("crm"),
            server.token,
            users,
            [{"displayName": "crm-admins", "members": [{"value": e} for e in PEOPLE[1:]]}],
        )
        monkeypatch.setenv("CRM_TOKEN", server.token)
        cfg = parse_config(
            {
                "store": {"path": str(tmp_path / "store.duckdb")},
                "hr": {
                    "path": "hr.csv",
                    "columns": {
                        "employee_id": "Employee_ID",
                        "email": "Work_Email",
                        "first_name": "First_Name",
                        "last_name": "Last_Name",
                        "status": "Worker_Status",
                        "worker_type": "Worker_Type",
                        "manager_id": "Manager_ID",
                        "department": "Department",
                        "title": "Job_Title",
                    },
                },
                "apps": [
                    {"name": "crm", "url": server.base_url("crm"), "token": {"env": "CRM_TOKEN"}}
                ],
            },
            tmp_path / "scimaudit.toml",
        )
        import_hr(cfg)
        assert [r.status for r in collect_apps(cfg, progress=False)] == ["complete"]
        run_analysis(cfg)
        cid = start_campaign(
            cfg, name="Q3 CRM", due=date.today() + timedelta(days=7), actor="cli:test"
        )
        with connect(cfg.store.path) as con:
            items = dict(
                con.execute(
                    "SELECT user_name, item_id FROM campaign_item WHERE campaign_id = ?"
                    " AND entitlement = 'crm-admins'",
                    [cid],
                ).fetchall()
            )
        sam, sue = items["sam.seller@example.com"], items["sue.seller@example.com"]
        decide(cfg, MIA, cid, [sam], "revoke", "moved to a role without CRM admin")
        decide(cfg, MIA, cid, [sue], "keep", "still administers the CRM")

        early = make_plan(cfg, campaign_id=cid, actor="cli:test")
        assert early.operations == ()  # not signed off yet: the decision may still change
        assert [e.why.split(":")[0] for e in early.excluded] == ["decision not final"]

        keep_all_unflagged(cfg, MIA, cid)  # the rest of Mia's queue (the accounts themselves)
        sign_off(cfg, MIA, cid)
        plan = make_plan(cfg, campaign_id=cid, actor="cli:test")
        (op,) = plan.operations
        assert (op.action, op.user_name, op.group_name) == (
            "remove_member",
            "sam.seller@example.com",
            "crm-admins",
        )
        assert (op.sources[0].campaign_id, op.sources[0].item_id) == (cid, sam)

        assert apply_plan(cfg, plan.plan_id, plan.sha256, execute=True).counts == {"applied": 1}
        assert verify_plan(cfg, plan.plan_id, recollect=recollect).counts == {"verified": 1}

        group = httpx.get(
            f"{server.base_url('crm')}/Groups",
            headers={"Authorization": f"Bearer {server.token}"},
        ).json()["Resources"][0]
        assert {m["value"] for m in group["members"]} == {ids["sue.seller@example.com"]}

        with connect(cfg.store.path) as con:
            status = {s.item_id: s for s in operation_status(con, campaign_id=cid)}
        assert list(status) == [sam]  # the kept item was never requested
        assert status[sam].state == "verified"
        assert status[sam].requested_at <= status[sam].applied_at <= status[sam].verified_at  # type: ignore[operator]
