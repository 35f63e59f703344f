"""Demo sign-ins: a few dashboard users with known passwords, chosen from the collected HR data.

For ``scimaudit demo`` only: two managers who have items to review (the busiest reviewers of the
given campaign, else the managers with most reports), a security analyst and an auditor (HR people
whose title says so, else made-up addresses at the HR email domain: the auditor is usually
external). Their passwords are printed by the demo; never use these users outside a demo.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import orjson

from scimaudit.config import Config
from scimaudit.errors import SnapshotNotFoundError
from scimaudit.review.actors import current_hr_snapshot_id
from scimaudit.review.campaigns import start_campaign
from scimaudit.review.db import open_store
from scimaudit.webauth.passwords import hash_password


@dataclass(frozen=True)
class DemoUser:
    """A demo sign-in: the password is printed for the visitor; only its hash goes in the config."""

    email: str
    role: str
    password: str
    password_hash: str
    description: str


def _pick_managers(config: Config, campaign_id: int | None) -> list[tuple[str, str, str]]:
    """Two managers with work to review: the campaign's busiest reviewers, else the largest teams.

    Returns (email, name, why chosen) for the sign-in instructions.
    """
    with open_store(config) as con:
        snap = current_hr_snapshot_id(con)
        if snap is None:
            raise SnapshotNotFoundError("no HR snapshot yet: collect the HR export first")
        if campaign_id is not None:
            rows = con.execute(
                "SELECT e.email, concat_ws(' ', e.first_name, e.last_name), count(*) AS n"
                " FROM campaign_item_reviewer r JOIN employee e ON e.employee_id = r.reviewer_id"
                " AND e.snapshot_id = ? WHERE r.campaign_id = ? AND e.email IS NOT NULL"
                " GROUP BY ALL ORDER BY n DESC, 1 LIMIT 2",
                [snap, campaign_id],
            ).fetchall()
            if len(rows) == 2:
                return [(str(e), str(n), f"reviews {c} item(s)") for e, n, c in rows]
        rows = con.execute(
            "SELECT m.email, concat_ws(' ', m.first_name, m.last_name), count(*) AS n"
            " FROM employee e JOIN employee m ON m.snapshot_id = e.snapshot_id"
            " AND m.employee_id = e.manager_id WHERE e.snapshot_id = ? AND e.status <> 'terminated'"
            " AND m.status <> 'terminated' AND m.email IS NOT NULL"
            " GROUP BY ALL ORDER BY n DESC, 1 LIMIT 2",
            [snap],
        ).fetchall()
    return [(str(e), str(n), f"manages {c} people") for e, n, c in rows]


def _by_title(config: Config, words: tuple[str, ...]) -> tuple[str, str] | None:
    """The first active HR person whose title contains one of ``words`` (email, "name (title)")."""
    with open_store(config) as con:
        snap = current_hr_snapshot_id(con)
        rows = con.execute(
            "SELECT email, concat_ws(' ', first_name, last_name), title FROM employee"
            " WHERE snapshot_id = ? AND status = 'active' AND email IS NOT NULL"
            " ORDER BY employee_id",
            [snap],
        ).fetchall()
    for email, name, title in rows:
        if title and any(w in str(title).lower() for w in words):
            return str(email), f"{name} ({title})"
    return None


def demo_dashboard_users(config: Config, *, campaign_id: int | None = None) -> list[DemoUser]:
    """Four demo users: manager, second manager, security analyst, auditor (known passwords)."""
    managers = _pick_managers(config, campaign_id)
    domain = managers[0][0].rpartition("@")[2] if managers else "example.com"
    users = [
        DemoUser(email, "manager", f"demo-manager-{n}", "", f"{name}, {what}")
        for n, (email, name, what) in enumerate(managers, start=1)
    ]
    security = _by_title(config, ("security",)) or (f"security@{domain}", "security analyst")
    auditor = _by_title(config, ("audit",)) or (f"auditor@{domain}", "external auditor")
    users.append(DemoUser(security[0], "security", "demo-security", "", security[1]))
    users.append(DemoUser(auditor[0], "auditor", "demo-auditor", "", auditor[1]))
    return [
        DemoUser(u.email, u.role, u.password, hash_password(u.password), u.description)
        for u in users
    ]


def demo_users_config(users: list[DemoUser]) -> list[dict[str, str]]:
    """``[[dashboard.users]]`` entries as mappings (for a config written with tomli-w)."""
    return [{"email": u.email, "role": u.role, "password_hash": u.password_hash} for u in users]


def demo_users_toml(users: list[DemoUser]) -> str:
    """``[[dashboard.users]]`` entries to append to a demo config (no ``[dashboard]`` header)."""
    lines = []
    for u in users:
        lines += [
            "[[dashboard.users]]",
            f"email = {orjson.dumps(u.email).decode()}",
            f'role = "{u.role}"',
            f"password_hash = {orjson.dumps(u.password_hash).decode()}",
            "",
        ]
    return "\n".join(lines)


def sign_in_instructions(users: list[DemoUser], url: str) -> str:
    """What the demo prints: where to go and who to sign in as."""
    width = max(len(u.email) for u in users) if users else 10
    rows = [
        f"  {u.role:<9} {u.email:<{width}}  password: {u.password:<16} {u.description}"
        for u in users
    ]
    return f"Dashboard: {url}\nSign in as (demo passwords):\n" + "\n".join(rows)


def start_demo_campaign(
    config: Config, *, name: str = "Demo access review", due_in_days: int = 14
) -> int:
    """A campaign over every app of the latest complete analysis, due in two weeks."""
    return start_campaign(
        config, name=name, due=date.today() + timedelta(days=due_in_days), actor="demo"
    )
