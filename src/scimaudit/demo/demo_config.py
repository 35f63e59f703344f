"""The demo's scimaudit.toml: the sample organisation's apps on loopback servers.

Written as a real config file (and validated by the same loader users go through) so the demo
exercises exactly what a user configures. The bearer token is referenced by environment variable,
never written.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomli_w

TOKEN_ENV = "SCIMAUDIT_DEMO_TOKEN"  # noqa: S105 (a variable name, not a secret)

APP_SETTINGS: dict[str, dict[str, Any]] = {
    "chat": {"frameworks": ["SOX", "HIPAA"], "privileged_groups": ["admins"]},
    "code": {"frameworks": ["SOX"], "privileged_groups": ["admins"]},
    "erp": {"frameworks": ["SOX"], "privileged_groups": ["Finance-Admins"]},
    "ehr": {
        "frameworks": ["HIPAA"],
        "privileged_groups": ["records-admin", "break-glass"],
        "break_glass_accounts": ["breakglass-ed01"],
    },
    "crm": {"frameworks": ["SOX"], "privileged_groups": ["crm-admins"]},
}

HR_COLUMNS = {
    "employee_id": "Employee_ID",
    "email": "Work_Email",
    "first_name": "First_Name",
    "last_name": "Last_Name",
    "status": "Worker_Status",
    "worker_type": "Worker_Type",
    "hire_date": "Hire_Date",
    "termination_date": "Termination_Date",
    "contract_end_date": "Contract_End_Date",
    "department": "Department",
    "title": "Job_Title",
    "manager_id": "Manager_ID",
}


def service_accounts(overrides_csv: Path) -> dict[str, list[str]]:
    """Service accounts declared in the sample overrides, per app."""
    import csv

    found: dict[str, list[str]] = {}
    with overrides_csv.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["action"] == "service":
                found.setdefault(row["app"], []).append(row["account"])
    return found


def build(
    *,
    data_dir: Path,
    store_path: Path,
    app_urls: Mapping[str, str],
    dashboard_users: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """The demo config as a TOML-ready mapping."""
    policy = tomllib.loads((data_dir / "policy.toml").read_text(encoding="utf-8"))
    # The seeded servers stamp meta.created at seed time, so "never used" must be judged from the
    # HR hire date, as the sample data documents.
    policy["never_used_since"] = "hire_date"
    services = service_accounts(data_dir / "overrides.csv")
    apps = []
    for name, url in app_urls.items():
        app: dict[str, Any] = {"name": name, "url": url, "token": {"env": TOKEN_ENV}}
        app.update(APP_SETTINGS.get(name, {}))
        app["service_accounts"] = services.get(name, [])
        apps.append(app)
    cfg: dict[str, Any] = {
        "store": {"path": str(store_path)},
        "hr": {
            "path": str(data_dir / "hr.csv"),
            "columns": HR_COLUMNS,
            "status": {
                "active": ["Active"],
                "leave": ["Leave of Absence"],
                "terminated": ["Terminated"],
            },
            "worker_type": {"contractor": ["Contingent Worker"]},
        },
        "apps": apps,
        "activity": [
            {
                "path": str(data_dir / "signins.csv"),
                "app_column": "application",
                "user_column": "login",
                "last_seen_column": "last_sign_in",
            }
        ],
        "policy": policy,
        "correlation": {
            "domain_aliases": {"example-health.org": "example.com"},
            "overrides": str(data_dir / "overrides.csv"),
        },
        "report": {
            "entity": "Example Corp (demo data)",
            "out_dir": str(store_path.parent / "reports"),
        },
    }
    if dashboard_users:
        cfg["dashboard"] = {"auth": "users", "users": dashboard_users}
    return cfg


def write(path: Path, cfg: Mapping[str, Any]) -> Path:
    """Write the demo config as TOML, headed by where it came from and where its token is."""
    header = (
        "# Written by `scimaudit demo`: the sample organisation on loopback SCIM servers.\n"
        f"# The bearer token is read from ${TOKEN_ENV}; it is never stored.\n\n"
    )
    path.write_text(header + tomli_w.dumps(dict(cfg)), encoding="utf-8")
    return path
