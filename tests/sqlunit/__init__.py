"""sqlunit: SQL unit tests on tiny tables. Tables in, the real analysis SQL run, expected rows out.

A :class:`World` is an in-memory DuckDB store with the real schema. Put rows in with :meth:`hr`,
:meth:`app` and :meth:`activity` (each makes a snapshot, complete unless told otherwise), run the
real runner with :meth:`analyze`, and compare what came out with :func:`rows` on the columns a test
cares about::

    w = World()
    w.hr([person("E1", status="terminated", termination_date="2026-01-10")])
    w.app("chat", [account("a1", "jo@example.com", external_id="E1")])
    w.analyze(as_of="2026-02-01")
    assert rows(w.findings(), "kind", "user_name") == {("terminated_active", "jo@example.com")}

Defaults keep cases short: a person is an active Sales employee hired 2020-01-01 with email
``<first>.<last>@example.com``; an account is active with no groups; an app's config has no
privileged groups; the policy is the config's default unless a case passes ``policy=``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson

from scimaudit.analytics.overrides import parse_overrides
from scimaudit.analytics.results import RunSummary, latest_findings
from scimaudit.analytics.runner import analyze
from scimaudit.config import Config, parse_config
from scimaudit.store.migrations import migrate

DAY = date(2026, 6, 1)


def _d(value: str | date | None) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _ts(value: str | date | datetime | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def person(
    employee_id: str, first: str = "Pat", last: str | None = None, **kw: Any
) -> dict[str, Any]:
    """One HR row; ``last`` defaults to the id so names never collide by accident."""
    last = last if last is not None else employee_id.lower()
    row: dict[str, Any] = {
        "employee_id": employee_id,
        "email": f"{first.lower()}.{last.lower()}@example.com",
        "first_name": first,
        "last_name": last,
        "status": "active",
        "worker_type": "employee",
        "hire_date": "2020-01-01",
        "termination_date": None,
        "contract_end_date": None,
        "department": "Sales",
        "title": "Account Executive",
        "manager_id": None,
        "previous_employee_id": None,
    }
    row.update(kw)
    return row


def account(account_id: str, user_name: str | None = None, **kw: Any) -> dict[str, Any]:
    """One SCIM account; ``groups`` (names) go to membership, the rest to the account table."""
    row: dict[str, Any] = {
        "account_id": account_id,
        "user_name": user_name if user_name is not None else account_id,
        "external_id": None,
        "employee_number": None,
        "display_name": None,
        "given_name": None,
        "family_name": None,
        "emails": [],
        "primary_email": None,
        "active": True,
        "created": None,
        "last_activity": None,
        "groups": [],
    }
    row.update(kw)
    return row


def rows(items: Iterable[Mapping[str, Any]], *columns: str) -> set[tuple[Any, ...]]:
    """The set of ``columns`` tuples of ``items``: what a case compares (order-free)."""
    return {tuple(item[c] for c in columns) for item in items}


class World:
    """A tiny in-memory store with snapshots made from Python rows."""

    def __init__(self) -> None:
        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")
        migrate(self.con)
        self.apps: dict[str, dict[str, Any]] = {}
        self.summary: RunSummary | None = None

    def _snapshot(self, kind: str, name: str, as_of: str | date, status: str) -> int:
        row = self.con.execute(
            "INSERT INTO snapshot (source_kind, source_name, status, started_at, finished_at,"
            " as_of, tool_version, error) VALUES (?, ?, ?, ?, ?, ?, 'test', ?)"
            " RETURNING snapshot_id",
            [
                kind,
                name,
                status,
                _ts(as_of),
                _ts(as_of),
                _ts(as_of),
                None if status == "complete" else "test: partial pull",
            ],
        ).fetchone()
        assert row is not None
        return int(row[0])

    def hr(
        self,
        people: Sequence[Mapping[str, Any]],
        *,
        as_of: str | date = "2026-05-31",
        status: str = "complete",
    ) -> int:
        sid = self._snapshot("hr", "hr", as_of, status)
        for line, p in enumerate(people, start=2):
            self.con.execute(
                "INSERT INTO employee (snapshot_id, employee_id, email, first_name, last_name,"
                " status, status_raw, worker_type, worker_type_raw, hire_date, termination_date,"
                " contract_end_date, department, title, manager_id, line_no, previous_employee_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    sid,
                    p["employee_id"],
                    p["email"],
                    p["first_name"],
                    p["last_name"],
                    p["status"],
                    p["status"],
                    p["worker_type"],
                    p["worker_type"],
                    _d(p["hire_date"]),
                    _d(p["termination_date"]),
                    _d(p["contract_end_date"]),
                    p["department"],
                    p["title"],
                    p["manager_id"],
                    line,
                    p.get("previous_employee_id"),
                ],
            )
        return sid

    def app(
        self,
        name: str,
        accounts: Sequence[Mapping[str, Any]],
        *,
        as_of: str | date = "2026-05-31",
        status: str = "complete",
        nested: Mapping[str, Sequence[str]] | None = None,
        **app_config: Any,
    ) -> int:
        """An app snapshot; ``nested`` maps a group name to the group names it contains."""
        self.apps[name] = app_config
        sid = self._snapshot("app", name, as_of, status)
        groups: dict[str, str] = {}

        def group_id(gname: str) -> str:
            return groups.setdefault(gname, f"g-{name}-{len(groups) + 1}")

        for a in accounts:
            emails = list(a["emails"])
            self.con.execute(
                "INSERT INTO account (snapshot_id, app, account_id, user_name, external_id,"
                " employee_number, display_name, given_name, family_name, emails, primary_email,"
                " active, created, last_activity)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    sid,
                    name,
                    a["account_id"],
                    a["user_name"],
                    a["external_id"],
                    a["employee_number"],
                    a["display_name"],
                    a["given_name"],
                    a["family_name"],
                    emails,
                    a["primary_email"],
                    a["active"],
                    _ts(a["created"]),
                    _ts(a["last_activity"]),
                ],
            )
            for gname in a["groups"]:
                self.con.execute(
                    "INSERT INTO membership VALUES (?, ?, ?, ?, 'User')",
                    [sid, name, group_id(gname), a["account_id"]],
                )
        for outer, inners in (nested or {}).items():
            for inner in inners:
                self.con.execute(
                    "INSERT INTO membership VALUES (?, ?, ?, ?, 'Group')",
                    [sid, name, group_id(outer), group_id(inner)],
                )
        for gname, gid in groups.items():
            self.con.execute(
                "INSERT INTO scim_group (snapshot_id, app, group_id, display_name, member_count)"
                " VALUES (?, ?, ?, ?, 0)",
                [sid, name, gid, gname],
            )
        return sid

    def activity(
        self,
        entries: Sequence[tuple[str, str, str | None]],
        *,
        name: str = "signins",
        as_of: str | date = "2026-05-31",
        status: str = "complete",
    ) -> int:
        """Sign-in rows ``(app, login, last_seen or None)``."""
        sid = self._snapshot("activity", name, as_of, status)
        for line, (app, login, seen) in enumerate(entries, start=2):
            self.con.execute(
                "INSERT INTO activity VALUES (?, ?, ?, ?, ?)", [sid, app, login, _ts(seen), line]
            )
        return sid

    def config(
        self,
        *,
        policy: Mapping[str, Any] | None = None,
        correlation: Mapping[str, Any] | None = None,
    ) -> Config:
        apps = [
            {"name": n, "url": f"http://127.0.0.1:9/{n}/v2", "token": {"env": "UNUSED"}, **cfg}
            for n, cfg in self.apps.items()
        ]
        raw = {"apps": apps, "policy": dict(policy or {}), "correlation": dict(correlation or {})}
        return parse_config(raw, Path("/nonexistent/scimaudit.toml"))

    def analyze(
        self,
        *,
        as_of: str | date = DAY,
        policy: Mapping[str, Any] | None = None,
        correlation: Mapping[str, Any] | None = None,
        overrides: str | None = None,
    ) -> RunSummary:
        """Run the real analysis; ``overrides`` is the CSV text (header included)."""
        cfg = self.config(policy=policy, correlation=correlation)
        parsed = parse_overrides(overrides, "overrides.csv") if overrides is not None else []
        self.summary = analyze(self.con, cfg, as_of=_d(as_of), overrides=parsed)
        return self.summary

    def findings(self, kind: str | None = None, **kw: Any) -> list[dict[str, Any]]:
        return latest_findings(self.con, kind=kind, **kw)

    def links(self) -> dict[tuple[str, str], dict[str, Any]]:
        """``{(app, user_name): identity_link row}`` of the latest run."""
        assert self.summary is not None
        cur = self.con.execute(
            "SELECT * FROM identity_link WHERE run_id = ?", [self.summary.run_id]
        )
        names = [d[0] for d in cur.description]
        out = {}
        for r in cur.fetchall():
            item = dict(zip(names, r, strict=True))
            out[(item["app"], item["user_name"])] = item
        return out

    def pending(self) -> dict[str, dict[str, Any]]:
        """``{user_name: deprovision_pending row}`` of the latest run (leavers inside the SLA)."""
        assert self.summary is not None
        cur = self.con.execute(
            "SELECT * FROM deprovision_pending WHERE run_id = ?", [self.summary.run_id]
        )
        names = [d[0] for d in cur.description]
        return {
            r[names.index("user_name")]: dict(zip(names, r, strict=True)) for r in cur.fetchall()
        }

    def population(self, kind: str) -> dict[str, dict[str, Any]]:
        assert self.summary is not None
        cur = self.con.execute(
            "SELECT * FROM finding_population WHERE run_id = ? AND kind = ?",
            [self.summary.run_id, kind],
        )
        names = [d[0] for d in cur.description]
        return {r[2]: dict(zip(names, r, strict=True)) for r in cur.fetchall()}


def evidence(finding: Mapping[str, Any]) -> dict[str, Any]:
    value = finding["evidence"]
    return value if isinstance(value, dict) else orjson.loads(value)
