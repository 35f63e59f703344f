"""A synthetic organisation at benchmark scale, generated inside DuckDB (INSERT ... SELECT only).

Default: 200,000 HR people (plus an HR export 60 days older with movers and renamed people),
20 apps with 100,000 accounts each (2,000,000) linked by externalId, enterprise employeeNumber or
email (case changes, +tags, an alias domain), ~3 group memberships per account (department group,
role group, some noise, a few admins, SoD pairs, one nested group per app), a sign-in export for 15
of the 20 apps, and a role policy for 5 apps. Every choice is a hash of the row number, so two runs
give the same data. Used by bench_analyze.py and pandas_baseline.py.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import duckdb

from scimaudit.config import Config, parse_config
from scimaudit.store.connect import connect

AS_OF = date(2026, 11, 30)
DEPARTMENTS = 10
TITLES = 3
ACTIVITY_APPS = 15
GOVERNED_APPS = 5


def _ts(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


def _snapshot(con: duckdb.DuckDBPyConnection, kind: str, name: str, as_of: datetime) -> int:
    row = con.execute(
        "INSERT INTO snapshot (source_kind, source_name, status, started_at, finished_at, as_of,"
        " tool_version) VALUES (?, ?, 'complete', ?, ?, ?, 'bench') RETURNING snapshot_id",
        [kind, name, as_of, as_of, as_of],
    ).fetchone()
    assert row is not None
    return int(row[0])


_PEOPLE = """
INSERT INTO employee
SELECT
    $sid,
    'E' || lpad(i::VARCHAR, 7, '0'),
    CASE WHEN $old AND hash(i, 'renamed') % 100 = 0
        THEN 'old.name' || i || '@example.com' ELSE 'first' || i || '.last' || i || '@example.com'
    END,
    'First' || (i % 4000),
    'Last' || (i % 7919),
    CASE WHEN $old AND hash(i, 'status') % 100 < 5 THEN 'active'
         WHEN hash(i, 'status') % 100 < 5 THEN 'terminated'
         WHEN hash(i, 'status') % 100 < 6 THEN 'leave' ELSE 'active' END,
    'raw',
    CASE WHEN hash(i, 'type') % 100 < 8 THEN 'contractor' ELSE 'employee' END,
    NULL,
    DATE '2015-01-01' + (hash(i, 'hire') % 4000)::INTEGER,
    CASE WHEN NOT $old AND hash(i, 'status') % 100 < 5
        THEN $as_of::DATE - (hash(i, 'left') % 300)::INTEGER END,
    CASE WHEN hash(i, 'type') % 100 < 8
        THEN $as_of::DATE + (hash(i, 'contract') % 400)::INTEGER - 20 END,
    'Dept' || ((hash(i, 'dept') + CASE WHEN $old AND hash(i, 'mover') % 100 < 2 THEN 1 ELSE 0 END)
        % $departments),
    'Title' || (hash(i, 'title') % $titles),
    NULL,
    i + 2
FROM range(1, $people + 1) AS t(i)
"""

# one row per (app, person) account: ~half of HR in each app, link style by app number
_ACCOUNTS = """
INSERT INTO account (snapshot_id, app, account_id, user_name, external_id, employee_number,
    display_name, given_name, family_name, emails, primary_email, active, created)
WITH pick AS (
    SELECT
        i, 'E' || lpad(i::VARCHAR, 7, '0') AS eid, 'first' || i || '.last' || i AS local,
        hash(i, 'status') % 100 < 5 AS gone, hash(i, $app, 'shape') % 100 AS shape
    FROM range(1, $people + 1) AS t(i)
    WHERE hash(i, $app) % 2 = 0
),
shaped AS (
    SELECT *,
        CASE
            WHEN shape < 2 THEN local || '+' || $app || '@example.com'
            WHEN shape < 4 THEN local || '@example-alias.org'
            WHEN shape < 9 THEN upper(local) || '@EXAMPLE.COM'
            ELSE local || '@example.com'
        END AS email
    FROM pick
)
SELECT
    $sid, $app, md5($app || '/' || i), CASE WHEN $style = 2 THEN email ELSE 'u' || i END,
    CASE WHEN $style = 0 THEN eid END, CASE WHEN $style = 1 THEN eid END,
    'First' || (i % 4000) || ' Last' || (i % 7919), 'First' || (i % 4000), 'Last' || (i % 7919),
    [email], email,
    CASE WHEN gone THEN hash(i, $app, 'kept') % 100 < 30
         WHEN hash(i, $app, 'off') % 100 < 2 THEN false END,
    $as_of::TIMESTAMPTZ - to_days((hash(i, $app, 'age') % 2000)::INTEGER)
FROM shaped
UNION ALL
SELECT $sid, $app, md5($app || '/orphan/' || j), 'contractor-' || j || '@partner.example', NULL,
    NULL, NULL, NULL, NULL, ['contractor-' || j || '@partner.example'], NULL, true,
    $as_of::TIMESTAMPTZ - to_days(400)
FROM range(1, 301) AS t(j)
"""

_GROUPS = """
INSERT INTO scim_group (snapshot_id, app, group_id, display_name, member_count)
SELECT $sid, $app, $app || '/' || name, name, 0
FROM (
    SELECT 'dept-Dept' || d AS name FROM range($departments) AS t(d)
    UNION ALL
    SELECT 'role-Dept' || d || '-Title' || t
    FROM range($departments) AS a(d), range($titles) AS b(t)
    UNION ALL
    SELECT unnest(['everyone', 'admins', 'super-admins', 'approvers', 'vendor-master',
        'auditors', 'reports', 'exports'])
)
"""

_MEMBERS = """
INSERT INTO membership
WITH acct AS (
    SELECT a.account_id, e.department, e.title, hash(a.account_id) AS h
    FROM account AS a
    LEFT JOIN employee AS e
        ON e.snapshot_id = $hr AND e.email = lower(a.primary_email)
    WHERE a.snapshot_id = $sid
)
SELECT $sid, $app, $app || '/dept-' || department, account_id, 'User' FROM acct
WHERE department IS NOT NULL
UNION ALL
SELECT $sid, $app, $app || '/role-' || department || '-' || title, account_id, 'User' FROM acct
WHERE department IS NOT NULL AND h % 10 < 9
UNION ALL
SELECT $sid, $app, $app || '/' || (['admins', 'approvers', 'vendor-master', 'auditors', 'reports',
    'exports', 'everyone'])[(h // 7 % 7)::INTEGER + 1], account_id, 'User'
FROM acct WHERE h % 100 < 5
UNION ALL
SELECT $sid, $app, $app || '/admins', $app || '/super-admins', 'Group'
"""

_ACTIVITY = """
INSERT INTO activity
SELECT $sid, a.app, a.user_name,
    $as_of::TIMESTAMPTZ - to_days((CASE WHEN hash(a.account_id, 'recent') % 100 < 92
        THEN hash(a.account_id, 'seen') % 30 ELSE hash(a.account_id, 'seen') % 300 END)::INTEGER),
    1
FROM account AS a
WHERE a.snapshot_id IN (SELECT unnest($apps)) AND hash(a.account_id, 'seen') % 100 < 95
"""


def build(
    path: Path, *, people: int = 200_000, apps: int = 20, seed_previous: bool = True
) -> dict[str, Any]:
    """Write the synthetic store at ``path`` (replaced); return its shape."""
    for suffix in ("", ".wal"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    base = {"people": people, "departments": DEPARTMENTS, "titles": TITLES, "as_of": AS_OF}
    with connect(path) as con:
        if seed_previous:
            old = _snapshot(con, "hr", "hr", _ts(date(2026, 10, 1)))
            con.execute(_PEOPLE, {**base, "sid": old, "old": True})
        hr = _snapshot(con, "hr", "hr", _ts(AS_OF))
        con.execute(_PEOPLE, {**base, "sid": hr, "old": False})
        app_sids = []
        for n in range(apps):
            app = f"app{n:02d}"
            sid = _snapshot(con, "app", app, _ts(AS_OF))
            app_sids.append(sid)
            con.execute(
                _ACCOUNTS,
                {"people": people, "sid": sid, "app": app, "style": n % 3, "as_of": AS_OF},
            )
            con.execute(
                _GROUPS, {"sid": sid, "app": app, "departments": DEPARTMENTS, "titles": TITLES}
            )
            con.execute(_MEMBERS, {"sid": sid, "app": app, "hr": hr})
        act = _snapshot(con, "activity", "signins", _ts(AS_OF))
        con.execute(_ACTIVITY, {"sid": act, "apps": app_sids[:ACTIVITY_APPS], "as_of": AS_OF})
        counts = {
            t: int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0])  # type: ignore[index]
            for t in ("employee", "account", "membership", "scim_group", "activity")
        }
    return counts


def bench_config(store: Path, *, apps: int = 20) -> Config:
    """The policy the benchmark analyses with: privileged patterns, SoD, role policy, aliases."""
    role_policy = [
        {
            "department": f"Dept{d}",
            "app": f"app{n:02d}",
            "groups": [
                "everyone",
                f"dept-Dept{d}",
                *[f"role-Dept{d}-Title{t}" for t in range(TITLES)],
            ],
        }
        for n in range(GOVERNED_APPS)
        for d in range(DEPARTMENTS)
    ]
    raw = {
        "store": {"path": str(store.resolve())},
        "apps": [
            {
                "name": f"app{n:02d}",
                "url": f"http://127.0.0.1:9/app{n:02d}/v2",
                "token": {"env": "UNUSED"},
                "privileged_groups": ["*admins"],
                "service_accounts": ["u17", "u42"],
            }
            for n in range(apps)
        ],
        "policy": {
            "sod": [
                {
                    "name": "approve-vs-vendor",
                    "app": "app01",
                    "groups": ["approvers", "vendor-master"],
                },
                {
                    "name": "approve-vs-admin",
                    "left": {"app": "app02", "group": "approvers"},
                    "right": {"app": "app03", "group": "admins"},
                },
            ],
            "role_policy": role_policy,
        },
        "correlation": {"domain_aliases": {"example-alias.org": "example.com"}},
    }
    return parse_config(raw, store.parent / "bench.toml")
