"""canaille 0.3.6, a real and less compliant SCIM server, collected completely and coherently.

Issue 13's items 1 and 3 on the real thing: canaille answers ``count`` with HTTP 500 (the
collector falls back to its default page size, once) and names Group members by userName (with
``member_ref = "userName"`` every membership resolves to an account id; without it the snapshot
fails, naming the group). The privileged finding on its ``admins`` group then appears.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from canaille_peer import CanailleProcess
from scimaudit.analytics.results import latest_findings
from scimaudit.analytics.runner import run_analysis
from scimaudit.collect.hr import import_hr
from scimaudit.collect.scim import collect_apps
from scimaudit.config import Config, parse_config
from scimaudit.store import connect

pytestmark = pytest.mark.slow

TOKEN = "canaille-test-token"  # a throwaway token for a loopback test server


def seed() -> dict[str, Any]:
    users = [
        {
            "user_name": f"user{i:02d}",
            "emails": [f"user{i:02d}@example.com"],
            "given_name": f"Given{i}",
            "family_name": f"Family{i}",
        }
        for i in range(30)
    ]
    groups = [
        {"display_name": "admins", "members": ["user00", "user01", "user02"]},
        {"display_name": "staff", "members": [f"user{i:02d}" for i in range(3, 15)]},
        {"display_name": "support", "members": [f"user{i:02d}" for i in range(15, 20)]},
    ]
    return {"token": TOKEN, "users": users, "groups": groups}


def config_for(tmp_path: Path, url: str, **app: Any) -> Config:
    hr = tmp_path / "hr.csv"
    hr.write_text(
        "id,email,first,last,status,type\n"
        + "".join(
            f"E{i:02d},user{i:02d}@example.com,Given{i},Family{i},Active,Employee\n"
            for i in range(30)
        ),
        encoding="utf-8",
    )
    table = {
        "name": "canaille",
        "url": url,
        "token": {"env": "CANAILLE_TOKEN"},
        "privileged_groups": ["admins"],
        "max_retries": 2,
        "retry_base_seconds": 0.01,
        **app,
    }
    return parse_config(
        {
            "store": {"path": str(tmp_path / "store.duckdb")},
            "hr": {
                "path": str(hr),
                "columns": {
                    "employee_id": "id",
                    "email": "email",
                    "first_name": "first",
                    "last_name": "last",
                    "status": "status",
                    "worker_type": "type",
                },
                "status": {"active": ["Active"], "terminated": ["Terminated"]},
            },
            "apps": [table],
        },
        tmp_path / "scimaudit.toml",
    )


@pytest.fixture(scope="module")
def canaille() -> Any:
    with CanailleProcess(seed()) as peer:
        yield peer


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANAILLE_TOKEN", TOKEN)


def test_canaille_members_by_user_name_fail_without_member_ref(
    tmp_path: Path, canaille: CanailleProcess
) -> None:
    config = config_for(tmp_path, canaille.base_url)
    [result] = collect_apps(config, progress=False)
    assert result.status == "failed"
    assert "20 of 20 memberships name no account or group" in (result.error or "")
    assert "group 'admins'" in (result.error or "") and "'user00'" in (result.error or "")


def test_canaille_collects_complete_and_coherent_and_the_privileged_finding_appears(
    tmp_path: Path, canaille: CanailleProcess
) -> None:
    config = config_for(tmp_path, canaille.base_url, member_ref="userName")
    [result] = collect_apps(config, progress=False)
    assert result.status == "complete", result.error
    assert result.counts == {"users": 30, "groups": 3, "memberships": 20}
    record = result.completeness
    assert record["count_refused"] is True
    assert record["membership"]["resolved_by_userName"] == 20
    assert record["membership"]["unresolved"] == 0
    assert "HTTP 500" in record["resources"]["User"]["notes"][0]
    with connect(config.store.path) as con:
        admins = con.execute(
            "SELECT a.user_name FROM membership m JOIN scim_group g USING (snapshot_id, group_id)"
            " JOIN account a ON a.snapshot_id = m.snapshot_id AND a.account_id = m.account_id"
            " WHERE m.snapshot_id = ? AND g.display_name = 'admins' ORDER BY 1",
            [result.snapshot_id],
        ).fetchall()
    assert [a[0] for a in admins] == ["user00", "user01", "user02"]
    import_hr(config)
    run_analysis(config, as_of=date(2100, 1, 1))  # after any wall-clock snapshot, fixed
    with connect(config.store.path, read_only=True) as con:
        privileged = latest_findings(con, kind="privileged_account")
    assert sorted(f["user_name"] for f in privileged) == ["user00", "user01", "user02"]
