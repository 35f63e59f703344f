"""Tiny evidence-pack stores built by direct inserts: reports tested without collector/analytics.

The story (period 2024-04-02 .. 2024-06-30, two analysis runs: June 1 and June 30):

* chat (SOX, HIPAA) and ehr (HIPAA) are collected on June 1 (snapshots 2, 3) and June 30 (4, 5).
* Bob (E2) was terminated June 10 and his chat account is still active on June 30: SLA breached.
* Dan (E4) left June 20; his ehr account was deactivated by June 30 with meta.lastModified June 21
  10:00 UTC: an *exact* removal lag of 34 h (SLA 24 h: breached).
* Carol (E3), a contractor whose contract ended June 5, lost her ehr account between June 1 and June
  30: a *bracketed* removal (indeterminate against the SLA).
* Two unmatched chat accounts have hostile userNames: ``<script>…`` and ``=HYPERLINK(…)``.
* Alice (E1) is an ehr admin (privileged) with a risk-accepted SoD conflict.
* A stale_access finding on Alice's chat account from the June 1 run was remediated by June 30.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson

from scimaudit.config import Config, parse_config
from scimaudit.store.connect import connect

XSS = "<script>alert('pwned')</script>"
FORMULA = '=HYPERLINK("http://evil.example/x","click")'
AS_OF = date(2024, 6, 30)
RUN1_AS_OF = date(2024, 6, 1)


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass(frozen=True)
class Expected:
    """Figures the report must show for the tiny store (per app, in scope of a SOX/HIPAA pack)."""

    population: int = 7
    population_chat: int = 5
    population_ehr: int = 2
    open_exceptions: int = 3
    leaver_cases: int = 3


SNAPSHOTS = [
    # id, kind, name, status, started, as_of, location, users, sha
    (
        1,
        "hr",
        "hr",
        "complete",
        "2024-06-30 05:00:00",
        "2024-06-30 00:00:00",
        "/exports/hr.csv",
        5,
        "a1" * 32,
    ),
    (
        2,
        "app",
        "chat",
        "complete",
        "2024-06-01 06:00:00",
        "2024-06-01 06:00:00",
        "http://127.0.0.1:9/chat/v2",
        4,
        "b2" * 32,
    ),
    (
        3,
        "app",
        "ehr",
        "complete",
        "2024-06-01 06:00:00",
        "2024-06-01 06:00:00",
        "http://127.0.0.1:9/ehr/v2",
        3,
        "c3" * 32,
    ),
    (
        4,
        "app",
        "chat",
        "complete",
        "2024-06-30 06:00:00",
        "2024-06-30 06:00:00",
        "http://127.0.0.1:9/chat/v2",
        5,
        "d4" * 32,
    ),
    (
        5,
        "app",
        "ehr",
        "complete",
        "2024-06-30 06:00:00",
        "2024-06-30 06:00:00",
        "http://127.0.0.1:9/ehr/v2",
        2,
        "e5" * 32,
    ),
]

PEOPLE = [
    # id, first, last, status, type, termination, contract_end
    ("E1", "Alice", "Admin", "active", "employee", None, None),
    ("E2", "Bob", "Gone", "terminated", "employee", date(2024, 6, 10), None),
    ("E3", "Carol", "Temp", "active", "contractor", None, date(2024, 6, 5)),
    ("E4", "Dan", "Left", "terminated", "employee", date(2024, 6, 20), None),
    ("E5", "Eve", "<b>Bold</b>", "active", "employee", None, None),
]

# snapshot, app, account_id, user_name, active, last_modified
ACCOUNTS = [
    (2, "chat", "c-alice", "alice@example.com", True, None),
    (2, "chat", "c-bob", "bob@example.com", True, None),
    (2, "chat", "c-xss", XSS, True, None),
    (2, "chat", "c-bot", "svc-bot", True, None),
    (3, "ehr", "e-alice", "alice", True, None),
    (3, "ehr", "e-carol", "carol", True, None),
    (3, "ehr", "e-dan", "dan", True, None),
    (4, "chat", "c-alice", "alice@example.com", True, None),
    (4, "chat", "c-bob", "bob@example.com", True, None),
    (4, "chat", "c-xss", XSS, True, None),
    (4, "chat", "c-bot", "svc-bot", True, None),
    (4, "chat", "c-formula", FORMULA, True, None),
    (5, "ehr", "e-alice", "alice", True, None),
    (5, "ehr", "e-dan", "dan", False, "2024-06-21 10:00:00"),
]

# run, app, account, user, active, employee, rule, type
LINKS = [
    (1, "chat", "c-alice", "alice@example.com", True, "E1", "email", "human"),
    (1, "chat", "c-bob", "bob@example.com", True, "E2", "email", "human"),
    (1, "chat", "c-xss", XSS, True, None, None, "unmatched"),
    (1, "chat", "c-bot", "svc-bot", True, None, "override", "service"),
    (1, "ehr", "e-alice", "alice", True, "E1", "external_id", "human"),
    (1, "ehr", "e-carol", "carol", True, "E3", "external_id", "human"),
    (1, "ehr", "e-dan", "dan", True, "E4", "external_id", "human"),
    (2, "chat", "c-alice", "alice@example.com", True, "E1", "email", "human"),
    (2, "chat", "c-bob", "bob@example.com", True, "E2", "email", "human"),
    (2, "chat", "c-xss", XSS, True, None, None, "unmatched"),
    (2, "chat", "c-bot", "svc-bot", True, None, "override", "service"),
    (2, "chat", "c-formula", FORMULA, True, None, None, "unmatched"),
    (2, "ehr", "e-alice", "alice", True, "E1", "external_id", "human"),
    (2, "ehr", "e-dan", "dan", False, "E4", "external_id", "human"),
]

PARAMS = {
    "deprovision_sla_hours": 24,
    "stale_after_days": 90,
    "sod": [{"app": "ehr", "groups": ["ehr-admins", "billing"], "severity": "high"}],
}


def _finding(
    run: int,
    key: str,
    kind: str,
    app: str | None,
    account: str | None,
    user: str | None,
    emp: str | None,
    group: str | None,
    sev: str,
    reason: str,
    evidence: dict[str, Any],
    snaps: list[int],
    status: str = "open",
    exemption: dict[str, str] | None = None,
) -> tuple[Any, ...]:
    return (
        run,
        key,
        kind,
        app,
        account,
        user,
        emp,
        group,
        sev,
        reason,
        orjson.dumps(evidence).decode(),
        snaps,
        status,
        orjson.dumps(exemption).decode() if exemption else None,
    )


FINDINGS = [
    _finding(
        1,
        "k-stale",
        "stale_access",
        "chat",
        "c-alice",
        "alice@example.com",
        "E1",
        None,
        "medium",
        "no sign-in for 120 days",
        {"last_seen": "2024-02-01"},
        [2],
    ),
    _finding(
        1,
        "k-orph-xss",
        "orphaned_account",
        "chat",
        "c-xss",
        XSS,
        None,
        None,
        "high",
        "active account linked to no person",
        {"userName": XSS},
        [2, 1],
    ),
    _finding(
        2,
        "k-term-bob",
        "terminated_active",
        "chat",
        "c-bob",
        "bob@example.com",
        "E2",
        None,
        "critical",
        "Bob Gone terminated 2024-06-10, chat account still active (SLA 24 h breached)",
        {"termination_date": "2024-06-10", "days_since": 20, "sla_breached": True},
        [4, 1],
    ),
    _finding(
        2,
        "k-orph-xss",
        "orphaned_account",
        "chat",
        "c-xss",
        XSS,
        None,
        None,
        "high",
        "active account linked to no person",
        {"userName": XSS},
        [4, 1],
    ),
    _finding(
        2,
        "k-orph-formula",
        "orphaned_account",
        "chat",
        "c-formula",
        FORMULA,
        None,
        None,
        "high",
        "active account linked to no person",
        {"userName": FORMULA},
        [4, 1],
    ),
    _finding(
        2,
        "k-priv-alice",
        "privileged_account",
        "ehr",
        "e-alice",
        "alice",
        "E1",
        "ehr-admins",
        "medium",
        "member of privileged group ehr-admins",
        {"group": "ehr-admins"},
        [5],
    ),
    _finding(
        2,
        "k-sod-alice",
        "sod_conflict",
        "ehr",
        "e-alice",
        "alice",
        "E1",
        "billing",
        "high",
        "holds both ehr-admins and billing",
        {"groups": ["ehr-admins", "billing"]},
        [5, 1],
        status="exempted",
        exemption={"owner": "ciso@example.com", "reason": "sole admin", "expires": "2024-12-31"},
    ),
]

HISTORY = [
    ("k-stale", "stale_access", "chat", "c-alice", RUN1_AS_OF, RUN1_AS_OF, AS_OF, 1),
    ("k-orph-xss", "orphaned_account", "chat", "c-xss", RUN1_AS_OF, AS_OF, None, 2),
    ("k-term-bob", "terminated_active", "chat", "c-bob", AS_OF, AS_OF, None, 2),
    ("k-orph-formula", "orphaned_account", "chat", "c-formula", AS_OF, AS_OF, None, 2),
    ("k-priv-alice", "privileged_account", "ehr", "e-alice", AS_OF, AS_OF, None, 2),
    ("k-sod-alice", "sod_conflict", "ehr", "e-alice", AS_OF, AS_OF, None, 2),
]

POPULATIONS = [
    (2, "orphaned_account", "chat", 5, 2, 0, None),
    (2, "orphaned_account", "ehr", 2, 0, 0, None),
    (2, "terminated_active", "chat", 2, 1, 0, None),
    (2, "terminated_active", "ehr", 1, 0, 0, None),
    (2, "privileged_account", "ehr", 2, 1, 0, None),
    (2, "sod_conflict", "ehr", 2, 1, 0, None),
    (2, "stale_access", "chat", 5, 0, 0, None),
    (2, "stale_access", "ehr", 2, 0, 2, "no activity signal for ehr"),
]


def make_config(
    tmp: Path,
    *,
    entity: str = "Example Health <Corp>",
    extra_apps: tuple[str, ...] = (),
    chat: dict[str, Any] | None = None,
) -> Config:
    """The tiny store's config; ``chat`` adds keys to the chat app (privileged_groups, ...)."""
    raw = {
        "store": {"path": str(tmp / "store.duckdb"), "lock_timeout_seconds": 5},
        "apps": [
            {
                "name": "chat",
                "url": "http://127.0.0.1:9/chat/v2",
                "token": {"env": "T"},
                "frameworks": ["SOX", "HIPAA"],
                **(chat or {}),
            },
            {
                "name": "ehr",
                "url": "http://127.0.0.1:9/ehr/v2",
                "token": {"env": "T"},
                "frameworks": ["HIPAA"],
                "privileged_groups": ["ehr-admins"],
            },
            *[
                {
                    "name": n,
                    "url": f"http://127.0.0.1:9/{n}/v2",
                    "token": {"env": "T"},
                    "frameworks": ["SOX"],
                }
                for n in extra_apps
            ],
        ],
        "report": {"entity": entity, "classification": "Confidential", "sample_size": 4},
    }
    return parse_config(raw, tmp / "scimaudit.toml")


def _app_record(name: str, url: str, sid: int, users: int) -> dict[str, Any]:
    """An app completeness record shaped like scimaudit.collect.scim.completeness.AppRecord."""

    def res(rtype: str, n: int) -> dict[str, Any]:
        return {
            "resource_type": rtype,
            "pagination": "index",
            "page_size": 200,
            "expected": n,
            "recount": n,
            "received": n,
            "unique": n,
            "loaded": n,
            "pages": 1,
            "requests": 1,
            "retries": 0,
            "errors": [],
            "end": "total_reached",
        }

    return {
        "app": name,
        "url": url,
        "snapshot_id": sid,
        "complete": True,
        "shortfalls": [],
        "resources": {"User": res("User", users), "Group": res("Group", 1 if sid == 5 else 0)},
        "pages": 2,
        "hash_method": "sha256 over each page's body_sha256 + newline, in seq order",
    }


def build_store(path: Path, *, hr_rejected: int = 0) -> None:
    """Write the tiny store; ``hr_rejected`` > 0 records HR rows rejected at import (incomplete)."""
    with connect(path) as con:
        for sid, kind, name, status, started, as_of, loc, users, sha in SNAPSHOTS:
            completeness = (
                {
                    "file": loc,
                    "rows_read": users + hr_rejected,
                    "imported": users,
                    "rejected": hr_rejected,
                    "problems": hr_rejected,
                }
                if kind == "hr"
                else _app_record(name, loc, sid, users)
            )
            con.execute(
                "INSERT INTO snapshot (snapshot_id, source_kind, source_name, status, started_at,"
                " finished_at, as_of, location, counts, sha256, completeness, tool_version)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '0.1.0')",
                [
                    sid,
                    kind,
                    name,
                    status,
                    ts(started),
                    ts(started),
                    ts(as_of),
                    loc,
                    orjson.dumps({"users": users}).decode(),
                    sha,
                    orjson.dumps(completeness).decode(),
                ],
            )
            if kind == "app":
                con.execute(
                    "INSERT INTO raw_scim_page (snapshot_id, seq, resource_type, request_url,"
                    " request_params, status_code, received_at, body_sha256, body) VALUES"
                    " (?, 1, 'User', ?, ?, 200, ?, ?, '{}')",
                    [sid, loc + "/Users", '{"startIndex": 1, "count": 200}', ts(started), sha],
                )
        for extra in range(hr_rejected):
            con.execute("INSERT INTO raw_hr_row VALUES (1, ?, '{}')", [100 + extra])
        for i, (eid, first, last, status, wtype, term, cend) in enumerate(PEOPLE, start=1):
            con.execute(
                "INSERT INTO raw_hr_row VALUES (1, ?, ?)", [i, orjson.dumps({"id": eid}).decode()]
            )
            con.execute(
                "INSERT INTO employee (snapshot_id, employee_id, email, first_name, last_name,"
                " status, status_raw, worker_type, termination_date, contract_end_date, line_no)"
                " VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    eid,
                    f"{first.lower()}@example.com",
                    first,
                    last,
                    status,
                    status.title(),
                    wtype,
                    term,
                    cend,
                    i,
                ],
            )
        for sid, app, acc, user, active, modified in ACCOUNTS:
            con.execute(
                "INSERT INTO account (snapshot_id, app, account_id, user_name, active,"
                " last_modified) VALUES (?, ?, ?, ?, ?, ?)",
                [sid, app, acc, user, active, ts(modified) if modified else None],
            )
        con.execute(
            "INSERT INTO scim_group (snapshot_id, app, group_id, display_name, member_count)"
            " VALUES (5, 'ehr', 'g-adm', 'ehr-admins', 1)"
        )
        con.execute(
            "INSERT INTO membership (snapshot_id, app, group_id, account_id, member_type)"
            " VALUES (5, 'ehr', 'g-adm', 'e-alice', 'User')"
        )
        for run, as_of, snaps in (
            (1, RUN1_AS_OF, {"app:chat": 2, "app:ehr": 3, "hr:hr": 1}),
            (2, AS_OF, {"app:chat": 4, "app:ehr": 5, "hr:hr": 1}),
        ):
            con.execute(
                "INSERT INTO analysis_run (run_id, as_of, started_at, finished_at, status,"
                " hr_snapshot_id, snapshot_ids, params, params_sha256, tool_version)"
                " VALUES (?, ?, ?, ?, 'complete', 1, ?, ?, ?, '0.1.0')",
                [
                    run,
                    as_of,
                    ts(f"{as_of} 07:00:00"),
                    ts(f"{as_of} 07:01:00"),
                    orjson.dumps(snaps).decode(),
                    orjson.dumps(PARAMS, option=orjson.OPT_SORT_KEYS).decode(),
                    hashlib.sha256(orjson.dumps(PARAMS, option=orjson.OPT_SORT_KEYS)).hexdigest(),
                ],
            )
        for run, app, acc, user, active, emp, rule, atype in LINKS:
            snap = {(1, "chat"): 2, (1, "ehr"): 3, (2, "chat"): 4, (2, "ehr"): 5}[(run, app)]
            con.execute(
                "INSERT INTO identity_link (run_id, snapshot_id, app, account_id, user_name,"
                " active, employee_id, rule, confidence, account_type)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [run, snap, app, acc, user, active, emp, rule, "high" if rule else None, atype],
            )
        con.executemany(
            "INSERT INTO finding (run_id, finding_key, kind, app, account_id, user_name,"
            " employee_id, group_name, severity, reason, evidence, snapshot_ids, status, exemption)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            FINDINGS,
        )
        con.executemany(
            "INSERT INTO finding_history (finding_key, kind, app, account_id, first_seen,"
            " last_seen, resolved_on, first_run_id, last_run_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)",
            HISTORY,
        )
        con.executemany(
            "INSERT INTO finding_population (run_id, kind, app, tested, failed, not_assessable,"
            " unit, note) VALUES (?, ?, ?, ?, ?, ?, 'account', ?)",
            POPULATIONS,
        )


def epoch_after_data(store: Path) -> str:
    """A ``SOURCE_DATE_EPOCH`` one hour after the store's latest snapshot and analysis run.

    Tests over data collected *now* from real servers pin the pack's clock to the data itself: a
    fixed epoch could precede the collection, and a pack dated before its data is refused.
    """
    with connect(store, read_only=True) as con:
        row = con.execute(
            "SELECT greatest((SELECT max(finished_at) FROM snapshot),"
            " (SELECT max(finished_at) FROM analysis_run))"
        ).fetchone()
    assert row is not None and row[0] is not None
    return str(int(row[0].timestamp()) + 3600)
