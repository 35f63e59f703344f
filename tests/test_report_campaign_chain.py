"""Evidence packs and campaign evidence show the review campaign and the verified removal.

The real chain: HR import, collection from scim2-server, analysis, a campaign decided and signed
off, plan → apply → verify; then the SOX pack (sign-off chosen automatically: the latest signed
campaign in the period) and the campaign evidence are built and read back with pdftotext.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import orjson
import pytest

from report_support import epoch_after_data
from scimaudit.analytics.runner import run_analysis
from scimaudit.collect.hr.importer import import_hr
from scimaudit.collect.scim import recollect
from scimaudit.collect.scim.collector import collect_apps
from scimaudit.config import parse_config
from scimaudit.demo.scim2_server import Scim2ServerProcess
from scimaudit.demo.seed import seed
from scimaudit.remediation import apply_plan, make_plan, verify_plan
from scimaudit.reporting.build import build_report
from scimaudit.reporting.campaign_close import write_campaign_evidence
from scimaudit.reporting.verify import verify_pack
from scimaudit.review.campaigns import start_campaign
from scimaudit.review.decisions import decide, keep_all_unflagged, sign_off
from test_remediation_campaign import HR, MIA, PEOPLE
from test_report_pdf import flat

pytestmark = pytest.mark.slow

COLUMNS = {
    "employee_id": "Employee_ID",
    "email": "Work_Email",
    "first_name": "First_Name",
    "last_name": "Last_Name",
    "status": "Worker_Status",
    "worker_type": "Worker_Type",
    "manager_id": "Manager_ID",
    "department": "Department",
    "title": "Job_Title",
}


def test_pack_and_campaign_evidence_show_signoff_and_verified_removal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "hr.csv").write_text(HR, encoding="utf-8")
    with Scim2ServerProcess(["crm"]) as server:
        users = [{"userName": e, "emails": [{"value": e, "primary": True}]} for e in PEOPLE]
        seed(
            server.base_url("crm"),
            server.token,
            users,
            [{"displayName": "crm-admins", "members": [{"value": e} for e in PEOPLE[1:]]}],
        )
        monkeypatch.setenv("CRM_TOKEN", server.token)
        cfg = parse_config(
            {
                "store": {"path": str(tmp_path / "store.duckdb")},
                "hr": {"path": "hr.csv", "columns": COLUMNS},
                "apps": [
                    {
                        "name": "crm",
                        "url": server.base_url("crm"),
                        "token": {"env": "CRM_TOKEN"},
                        "frameworks": ["SOX"],
                    }
                ],
                "report": {"entity": "Example Corp", "out_dir": str(tmp_path / "out")},
            },
            tmp_path / "scimaudit.toml",
        )
        import_hr(cfg)
        assert [r.status for r in collect_apps(cfg, progress=False)] == ["complete"]
        run_analysis(cfg)
        cid = start_campaign(cfg, name="Q3 CRM", due=date.today() + timedelta(days=7), actor="t")
        from scimaudit.store.connect import connect

        with connect(cfg.store.path) as con:
            (sam,) = con.execute(
                "SELECT item_id FROM campaign_item WHERE campaign_id = ? AND user_name = ?"
                " AND entitlement = 'crm-admins'",
                [cid, PEOPLE[1]],
            ).fetchall()[0]
        decide(cfg, MIA, cid, [sam], "revoke", "moved to a role without CRM admin")
        keep_all_unflagged(cfg, MIA, cid)
        sign_off(cfg, MIA, cid)
        plan = make_plan(cfg, campaign_id=cid, actor="cli:test")
        assert apply_plan(cfg, plan.plan_id, plan.sha256, execute=True).counts == {"applied": 1}
        assert verify_plan(cfg, plan.plan_id, recollect=recollect).counts == {"verified": 1}
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch_after_data(cfg.store.path))

    def pack() -> Path:
        result = build_report(
            cfg, "sox", as_of=None, period_start=None, period_end=None, out_dir=tmp_path / "out"
        )
        return result.pdf_path

    first = pack()
    text = flat(first)
    assert f"Review campaign {cid} (Q3 CRM), chosen automatically" in text
    assert f"Access review: not yet evidenced: campaign {cid} is open" in text
    assert "Mia Manager" in text and f"campaign {cid}, reviewer E1" in text
    assert "5.3 Remediation" in text and plan.plan_id in text
    assert "verified" in text.split("5.3 Remediation", 1)[1]
    first_side = first.with_name(first.stem + ".manifest.json").read_bytes()
    again = pack()  # deterministic, sign-offs and remediation included (up to the signature)
    unsigned = orjson.loads(first_side)["pdf"]["unsigned_bytes"]
    assert again.read_bytes()[:unsigned] == first.read_bytes()[:unsigned]
    report = verify_pack(first, store_path=cfg.store.path)
    assert report.ok, report.failures
    assert {c.name for c in report.checks} >= {"store: sign-offs", "store: remediation"}

    paths = write_campaign_evidence(cfg, cid, out_dir=tmp_path / "campaign")
    campaign_text = flat(paths[-1])
    assert "Removal: requested → applied → verified" in campaign_text
    assert "verified" in campaign_text.split("Revocations requested", 1)[1]
    decisions = next(p for p in paths if p.name.endswith("-decisions.csv"))
    with decisions.open(newline="", encoding="utf-8") as fh:
        rows = {int(r["item_id"]): r for r in csv.DictReader(fh)}
    assert rows[sam]["remediation_state"] == "verified"
    assert rows[sam]["remediation_plan_id"] == plan.plan_id
    assert all(r["remediation_state"] == "" for i, r in rows.items() if i != sam)
