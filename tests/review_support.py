"""Tiny review stores built by direct inserts: HR people, app accounts with groups, one analysis
run.

Used by the review and dashboard tests and by bench/bench_dashboard.py, so campaigns can be tested
without the collector or the analytics being run. Rows go in as pandas frames (one INSERT each).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
import pandas as pd

from scimaudit.config import Config, parse_config
from scimaudit.review.actors import Actor
from scimaudit.store.connect import connect

PASSWORD = "correct horse battery"
_HASH_CACHE: dict[str, str] = {}


@dataclass
class P:
    """An HR person."""

    id: str
    first: str
    last: str
    dept: str | None = "Sales"
    manager: str | None = None
    status: str = "active"
    title: str | None = "Account Executive"
    worker_type: str = "employee"

    @property
    def email(self) -> str:
        return f"{self.first.lower()}.{self.last.lower()}@example.com"


@dataclass
class A:
    """An app account with its direct groups; ``person`` links it (None = unmatched)."""

    app: str
    account_id: str
    person: str | None
    groups: list[str] = field(default_factory=list)
    user_name: str | None = None
    active: bool = True
    account_type: str | None = None
    service_owner: str | None = None
    last_activity: datetime | None = None


@dataclass
class F:
    """A finding on an account (optionally on one of its groups)."""

    kind: str
    app: str
    account_id: str
    group: str | None = None
    severity: str = "high"
    status: str = "open"
    reason: str = "planted for a test"


def password_hash() -> str:
    """argon2id with low cost parameters (verifying reads them from the hash): fast tests."""
    from argon2 import PasswordHasher

    if PASSWORD not in _HASH_CACHE:
        _HASH_CACHE[PASSWORD] = PasswordHasher(time_cost=1, memory_cost=1024).hash(PASSWORD)
    return _HASH_CACHE[PASSWORD]


def make_config(
    tmp: Path,
    *,
    apps: dict[str, dict[str, Any]] | None = None,
    users: list[tuple[str, str]] | None = None,
    extra: dict[str, Any] | None = None,
) -> Config:
    """A config with a store in ``tmp``, the given apps (name → options) and dashboard users."""
    raw: dict[str, Any] = {
        "store": {"path": str(tmp / "store.duckdb"), "lock_timeout_seconds": 60},
        "apps": [
            {"name": name, "url": f"http://127.0.0.1:9/{name}/v2", "token": {"env": "T"}, **opts}
            for name, opts in (apps or {}).items()
        ],
        "dashboard": {
            "users": [
                {"email": e, "role": r, "password_hash": password_hash()} for e, r in users or []
            ]
        },
        "report": {"out_dir": str(tmp / "out")},
        **(extra or {}),
    }
    tmp.mkdir(parents=True, exist_ok=True)
    source = tmp / "scimaudit.toml"
    source.write_text(_toml(raw), encoding="utf-8")
    return parse_config(raw, source)


def _toml(raw: dict[str, Any]) -> str:
    """Just enough TOML for these configs: tables, arrays of tables, scalars, lists, dicts."""

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)
        if isinstance(v, str):
            return orjson.dumps(v).decode()
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + " }"
        raise TypeError(v)

    def is_table(v: Any) -> bool:
        return isinstance(v, dict) or (isinstance(v, list) and bool(v) and isinstance(v[0], dict))

    lines: list[str] = [f"{k} = {value(v)}" for k, v in raw.items() if not is_table(v)]
    for key, section in ((k, v) for k, v in raw.items() if is_table(v)):
        if isinstance(section, list) and section and isinstance(section[0], dict):
            for entry in section:
                lines.append(f"[[{key}]]")
                lines += [f"{k} = {value(v)}" for k, v in entry.items()]
        elif isinstance(section, dict):
            lines.append(f"[{key}]")
            for k, v in section.items():
                if isinstance(v, list) and v and isinstance(v[0], dict):
                    continue
                lines.append(f"{k} = {value(v)}")
            for k, v in section.items():
                if isinstance(v, list) and v and isinstance(v[0], dict):
                    for entry in v:
                        lines.append(f"[[{key}.{k}]]")
                        lines += [f"{kk} = {value(vv)}" for kk, vv in entry.items()]
    return "\n".join(lines) + "\n"


def _insert(con: Any, table: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    frame = pd.DataFrame(rows)
    con.register("_rows", frame)
    try:
        con.execute(f"INSERT INTO {table} ({', '.join(frame.columns)}) SELECT * FROM _rows")
    finally:
        con.unregister("_rows")


def _snapshot(con: Any, kind: str, name: str, status: str = "complete") -> int:
    row = con.execute(
        "INSERT INTO snapshot (source_kind, source_name, status, started_at, finished_at, as_of,"
        " tool_version) VALUES (?, ?, ?, current_timestamp, current_timestamp, current_timestamp,"
        " 'test') RETURNING snapshot_id",
        [kind, name, status],
    ).fetchone()
    return int(row[0])


def build_store(
    config: Config,
    people: list[P],
    accounts: list[A],
    findings: list[F] | None = None,
    *,
    signins: list[tuple[str, str, datetime]] | None = None,
    as_of: date | None = None,
) -> int:
    """Write one complete HR snapshot, one snapshot per app, an activity snapshot and one complete
    analysis run with links and findings; return the run id."""
    with connect(config.store.path) as con:
        con.execute("BEGIN TRANSACTION")
        hr = _snapshot(con, "hr", "hr")
        _insert(
            con,
            "employee",
            [
                {
                    "snapshot_id": hr,
                    "employee_id": p.id,
                    "email": p.email,
                    "first_name": p.first,
                    "last_name": p.last,
                    "status": p.status,
                    "status_raw": p.status.title(),
                    "worker_type": p.worker_type,
                    "department": p.dept,
                    "title": p.title,
                    "manager_id": p.manager,
                    "line_no": n,
                }
                for n, p in enumerate(people, start=2)
            ],
        )
        snaps: dict[str, int] = {"hr:hr": hr}
        for app in sorted({a.app for a in accounts}):
            snaps[f"app:{app}"] = _snapshot(con, "app", app)
        if signins:
            snaps["activity:signins"] = act = _snapshot(con, "activity", "signins")
            _insert(
                con,
                "activity",
                [
                    {
                        "snapshot_id": act,
                        "app": app,
                        "login": login,
                        "last_seen": seen,
                        "line_no": n,
                    }
                    for n, (app, login, seen) in enumerate(signins, start=2)
                ],
            )
        by_id = {p.id: p for p in people}
        acct_rows, group_rows, member_rows, link_rows = [], [], [], []
        groups: dict[tuple[str, str], str] = {}
        for a in accounts:
            sid = snaps[f"app:{a.app}"]
            person = by_id.get(a.person) if a.person else None
            user = a.user_name or (person.email if person else f"{a.account_id}@example.com")
            acct_rows.append(
                {
                    "snapshot_id": sid,
                    "app": a.app,
                    "account_id": a.account_id,
                    "user_name": user,
                    "external_id": a.person,
                    "active": a.active,
                    "last_activity": a.last_activity,
                }
            )
            kind = a.account_type or ("human" if a.person else "unmatched")
            link_rows.append(
                {
                    "run_id": 0,
                    "snapshot_id": sid,
                    "app": a.app,
                    "account_id": a.account_id,
                    "user_name": user,
                    "active": a.active,
                    "employee_id": a.person if kind == "human" else None,
                    "rule": "email" if a.person else None,
                    "confidence": "high" if a.person else None,
                    "account_type": kind,
                    "service_owner": a.service_owner,
                }
            )
            for g in a.groups:
                gid = groups.setdefault((a.app, g), f"g-{a.app}-{len(groups) + 1}")
                member_rows.append(
                    {
                        "snapshot_id": sid,
                        "app": a.app,
                        "group_id": gid,
                        "account_id": a.account_id,
                        "member_type": "User",
                    }
                )
        for (app, g), gid in groups.items():
            group_rows.append(
                {
                    "snapshot_id": snaps[f"app:{app}"],
                    "app": app,
                    "group_id": gid,
                    "display_name": g,
                    "member_count": sum(1 for m in member_rows if m["group_id"] == gid),
                }
            )
        _insert(con, "account", acct_rows)
        _insert(con, "scim_group", group_rows)
        _insert(con, "membership", member_rows)
        row = con.execute(
            "INSERT INTO analysis_run (as_of, started_at, finished_at, status, hr_snapshot_id,"
            " snapshot_ids, params, params_sha256, tool_version) VALUES (?, current_timestamp,"
            " current_timestamp, 'complete', ?, ?, '{}', 'x', 'test') RETURNING run_id",
            [as_of or date.today(), hr, orjson.dumps(snaps).decode()],
        ).fetchone()
        run_id = int(row[0])
        for link in link_rows:
            link["run_id"] = run_id
        _insert(con, "identity_link", link_rows)
        accounts_by_key = {(a.app, a.account_id): a for a in accounts}
        _insert(
            con,
            "finding",
            [
                {
                    "run_id": run_id,
                    "finding_key": f"{f.kind}|{f.app}|{f.account_id}|{f.group or ''}",
                    "kind": f.kind,
                    "app": f.app,
                    "account_id": f.account_id,
                    "employee_id": accounts_by_key[(f.app, f.account_id)].person,
                    "user_name": accounts_by_key[(f.app, f.account_id)].user_name,
                    "group_name": f.group,
                    "severity": f.severity,
                    "reason": f.reason,
                    "evidence": "{}",
                    "snapshot_ids": [snaps[f"app:{f.app}"]],
                    "status": f.status,
                }
                for f in findings or []
            ],
        )
        con.execute("COMMIT")
    return run_id


def actor(person: P, role: str = "manager") -> Actor:
    """An authenticated actor for a person (as the dashboard would build after sign-in)."""
    return Actor(
        email=person.email,
        role=role,  # type: ignore[arg-type]
        method="password",
        employee_id=person.id,
        name=f"{person.first} {person.last}",
    )


def now() -> datetime:
    return datetime.now(UTC)


# A small org: CEO → two managers (Sales, Engineering); a security analyst; an auditor outside HR.
CEO = P("E1", "Cora", "Chief", dept="Executive", title="CEO")
MIA = P("E2", "Mia", "Manager", dept="Sales", manager="E1", title="Sales Manager")
OLE = P("E3", "Ole", "Owner", dept="Engineering", manager="E1", title="Engineering Manager")
SAM = P("E4", "Sam", "Seller", manager="E2")
SUE = P("E5", "Sue", "Seller", manager="E2")
LEO = P("E6", "Leo", "Leaver", manager="E2", status="terminated")
DEV = P("E7", "Dev", "Eloper", dept="Engineering", manager="E3", title="Engineer")
SEC = P("E8", "Sec", "Analyst", dept="Security", manager="E1", title="Security Analyst")
ORG = [CEO, MIA, OLE, SAM, SUE, LEO, DEV, SEC]


def team_org(reports: int = 72, *, seed: int = 7) -> tuple[list[P], list[A], list[F]]:
    """Two managers under a CEO; the first has ``reports`` people, the second eight, each with
    accounts in crm, code and erp and a few groups (about 7 items a person), some findings planted.
    With 72 reports the first manager's queue is ~500 items."""
    import random

    rng = random.Random(seed)
    people = [
        P("M0", "Cleo", "Chief", dept="Executive", title="CEO"),
        P("M1", "Maya", "Lead", dept="Sales", manager="M0", title="Sales Director"),
        P("M2", "Omar", "Head", dept="Engineering", manager="M0", title="Engineering Manager"),
        P("S1", "Sasha", "Guard", dept="Security", manager="M0", title="Security Analyst"),
    ]
    first = ["Ana", "Ben", "Cai", "Dee", "Eli", "Fay", "Gus", "Hal", "Ivy", "Jon", "Kim", "Lou"]
    last = ["Ito", "Jansen", "Khan", "Lopez", "Moss", "Nagy", "Ortiz", "Park", "Quinn", "Roy"]
    for n in range(reports + 8):
        boss, dept, title = (
            ("M1", "Sales", rng.choice(["Account Executive", "Sales Engineer"]))
            if n < reports
            else ("M2", "Engineering", "Engineer")
        )
        status = "terminated" if n % 23 == 5 else "active"
        people.append(
            P(
                f"U{n:03d}",
                first[n % len(first)],
                f"{last[n % len(last)]}{n}",
                dept=dept,
                manager=boss,
                title=title,
                status=status,
            )
        )
    accounts: list[A] = []
    findings: list[F] = []
    for person in people[4:]:
        pid = person.id
        sales = person.dept == "Sales"
        accounts.append(A("crm", f"crm-{pid}", pid, ["Sales-Users"] if sales else ["Readers"]))
        groups = ["developers"] + (["admins"] if rng.random() < 0.08 else [])
        if sales and rng.random() < 0.3:
            groups = ["readers"]
        accounts.append(A("code", f"code-{pid}", pid, groups))
        accounts.append(A("erp", f"erp-{pid}", pid, [rng.choice(["AP-Clerk", "GL-Viewer"])]))
        if person.status == "terminated":
            findings += [F("terminated_active", app, f"{app}-{pid}") for app in ("crm", "code")]
        if "admins" in groups:
            findings.append(
                F("privileged_account", "code", f"code-{pid}", group="admins", severity="medium")
            )
        if rng.random() < 0.05:
            findings.append(
                F(
                    "stale_access",
                    "erp",
                    f"erp-{pid}",
                    severity="medium",
                    reason="no sign-in for 140 days (threshold 90)",
                )
            )
    accounts.append(A("crm", "crm-orphan", None, [], user_name="old.contractor@example.com"))
    findings.append(F("orphaned_account", "crm", "crm-orphan", reason="no HR person matches"))
    return people, accounts, findings


TEAM_APPS: dict[str, dict[str, Any]] = {
    "crm": {"fallback_reviewer": "S1", "frameworks": ["SOX"]},
    "code": {"fallback_reviewer": "M2", "privileged_groups": ["admin*"]},
    "erp": {"fallback_reviewer": "M1", "frameworks": ["SOX"]},
}
