"""Build a store from sample_data/ without servers: HR and sign-ins through their importers, apps as
SCIM ListResponse pages written to the page archive and loaded by the collector's own SQL.

The sample users have no ``id`` (a server assigns it) and group members name users by userName
(sample_data/README.md); here each user gets the id ``<app>-u<n>`` and members are translated to it,
which is what a server would have done. Pages are shaped like RFC 7644 §3.4.2 list responses, 100
resources a page, so the same staging path as a real collection is exercised.
"""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import orjson

from scimaudit.collect.activity import import_activity
from scimaudit.collect.hr.importer import import_hr
from scimaudit.collect.scim.loader import load_pages
from scimaudit.collect.scim.page_archive import PageWriter
from scimaudit.collect.scim.vendors import Quirks
from scimaudit.config import Config, load_config
from scimaudit.scim.fetch import Fetched
from scimaudit.scim.head import read_head
from scimaudit.store import snapshots
from scimaudit.store.connect import connect

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
APPS = ("chat", "code", "erp", "ehr", "crm")
PRIVILEGED = {
    "chat": ["admins"],
    "code": ["admins"],
    "erp": ["Finance-Admins"],
    "ehr": ["records-admin", "break-glass"],
    "crm": ["crm-admins"],
}
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PAGE = 100
UNUSED_TOKEN_ENV = "SAMPLE_UNUSED_TOKEN"  # apps are never contacted when built from files


def generate_sample(out_dir: Path, as_of: date) -> Path:
    """Run sample_data/generate.py (a script, loaded from its path) for another date."""
    spec = importlib.util.spec_from_file_location("sample_data_generate", SAMPLE / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("sample_data_generate", module)
    spec.loader.exec_module(module)
    module.generate(out_dir, as_of)
    return out_dir


def manifest(sample_dir: Path = SAMPLE) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads((sample_dir / "manifest.json").read_bytes())
    return data


def sample_toml(
    tmp_path: Path,
    sample_dir: Path = SAMPLE,
    *,
    urls: dict[str, str] | None = None,
    token_env: str = UNUSED_TOKEN_ENV,
) -> str:
    """The text of a scimaudit.toml for the sample organisation; policy.toml is pasted under
    [policy] (its top-level keys become [policy] keys, its tables [[policy.*]]). ``urls`` are
    the apps' SCIM bases when real servers serve them."""
    policy_text = (sample_dir / "policy.toml").read_text(encoding="utf-8")
    policy_lines = []
    for line in policy_text.splitlines():
        if line.startswith("[["):
            line = "[[policy." + line[2:]
        policy_lines.append(line)
    apps = "\n".join(
        f"""[[apps]]
name = "{app}"
url = "{(urls or {}).get(app, f"http://127.0.0.1:9/{app}/v2")}"
token = {{ env = "{token_env}" }}
privileged_groups = {orjson.dumps(PRIVILEGED[app]).decode()}
"""
        for app in APPS
    )
    return f"""[store]
path = "{tmp_path / "sample.duckdb"}"

[hr]
path = "{sample_dir / "hr.csv"}"
[hr.columns]
employee_id = "Employee_ID"
email = "Work_Email"
first_name = "First_Name"
last_name = "Last_Name"
status = "Worker_Status"
worker_type = "Worker_Type"
hire_date = "Hire_Date"
termination_date = "Termination_Date"
contract_end_date = "Contract_End_Date"
department = "Department"
title = "Job_Title"
manager_id = "Manager_ID"
[hr.status]
active = ["Active"]
leave = ["Leave of Absence"]
terminated = ["Terminated"]
[hr.worker_type]
contractor = ["Contingent Worker"]

{apps}
[[activity]]
path = "{sample_dir / "signins.csv"}"
app_column = "application"
user_column = "login"
last_seen_column = "last_sign_in"

[correlation]
domain_aliases = {{ "example-health.org" = "example.com" }}
overrides = "{sample_dir / "overrides.csv"}"

[policy]
never_used_since = "hire_date"
{chr(10).join(policy_lines)}
"""


def sample_config(
    tmp_path: Path,
    sample_dir: Path = SAMPLE,
    *,
    urls: dict[str, str] | None = None,
    token_env: str = UNUSED_TOKEN_ENV,
) -> Config:
    """Write ``tmp_path/scimaudit.toml`` for the sample organisation and load it."""
    path = tmp_path / "scimaudit.toml"
    text = sample_toml(tmp_path, sample_dir, urls=urls, token_env=token_env)
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def _pages(resources: list[dict[str, Any]]) -> list[bytes]:
    pages = []
    for start in range(0, max(len(resources), 1), PAGE):
        chunk = resources[start : start + PAGE]
        body = {
            "schemas": [LIST_RESPONSE],
            "totalResults": len(resources),
            "startIndex": start + 1,
            "itemsPerPage": len(chunk),
            "Resources": chunk,
        }
        pages.append(orjson.dumps(body))
    return pages


def _fetched(url: str, body: bytes, received_at: datetime) -> Fetched:
    return Fetched(
        url=url,
        params={},
        status=200,
        content=body,
        head=read_head(body),
        received_at=received_at,
        elapsed_ms=1.0,
        attempt=1,
    )


def app_resources(app_dir: Path, app: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Users with ids assigned, and groups whose members carry those ids, as a server has them."""
    users = orjson.loads((app_dir / "users.json").read_bytes())
    groups = orjson.loads((app_dir / "groups.json").read_bytes())
    ids: dict[str, str] = {}
    out_users = []
    for n, user in enumerate(users, start=1):
        uid = f"{app}-u{n:05d}"
        ids[user["userName"]] = uid
        out_users.append({**user, "id": uid, "meta": {"resourceType": "User"}})
    out_groups = []
    for n, group in enumerate(groups, start=1):
        members = [
            {"value": ids[m["value"]], "type": "User", "display": m["value"]}
            for m in group.get("members", [])
        ]
        out_groups.append(
            {
                **group,
                "id": f"{app}-g{n:03d}",
                "members": members,
                "meta": {"resourceType": "Group"},
            }
        )
    return out_users, out_groups


def land_app(
    config: Config, app: str, app_dir: Path, as_of: datetime, *, status: str = "complete"
) -> int:
    """One app snapshot from sample files: pages archived and loaded as a real pull lands them."""
    users, groups = app_resources(app_dir, app)
    quirks = Quirks("index", PAGE, "inline", False, None)
    with connect(config.store.path) as con:
        sid = snapshots.begin(con, "app", app, location=f"sample:{app_dir}", as_of=as_of)
        writer = PageWriter(config.store.path, sid)
        for rtype, resources in (("User", users), ("Group", groups)):
            for body in _pages(resources):
                writer.add(rtype, _fetched(f"sample://{app}/{rtype}s", body, as_of))
            chunk = writer.flush()
            assert chunk is not None
            load_pages(con, snapshot_id=sid, app=app, quirks=quirks, chunk=chunk)
        snapshots.finish(
            con,
            sid,
            "complete" if status == "complete" else "failed",
            counts={"users": len(users), "groups": len(groups)},
            error=None if status == "complete" else "sample: simulated partial pull",
        )
    return sid


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


def build_sample_store(config: Config, sample_dir: Path = SAMPLE) -> dict[str, int]:
    """HR (previous and current), every app and the sign-ins; returns ``{source: snapshot_id}``."""
    facts = manifest(sample_dir)
    as_of = noon(date.fromisoformat(facts["as_of"]))
    previous = noon(date.fromisoformat(facts["previous_as_of"]))
    ids = {}
    ids["hr_previous"] = import_hr(
        config, path=sample_dir / "hr_previous.csv", as_of=previous
    ).snapshot_id
    ids["hr"] = import_hr(config, as_of=as_of).snapshot_id
    for app in APPS:
        ids[app] = land_app(config, app, sample_dir / "apps" / app, as_of)
    ids["signins"] = import_activity(config, config.activity[0], as_of=as_of).snapshot_id
    return ids
