"""Evidence pack at scale: a SOX pack over 2,000,000 accounts, then ``verify`` of it.

The store is synthesised in SQL (not timed): 200,000 HR people, 20 apps × 100,000 accounts, two
complete snapshots per app (June 1 and June 30, so the leaver test has brackets to work with), two
analysis runs with identity links for every account, and about 180,000 findings of the current run
(privileged 2 %, terminated-but-active, orphaned, stale 5 %) with their history and populations.

Then, timed: ``build_report(config, "sox", ...)`` (store read + CSV attachments, charts, weasyprint
render, manifest) and ``verify_pack`` with the store (which recomputes the population and the
exceptions). Printed: seconds per stage, pages, PDF and attachment sizes, peak RSS of this process.
Target (issue 5): the pack in at most 60 s on a 2-core machine.

Run: ``.venv/bin/python bench/bench_report.py [--apps 20] [--accounts-per-app 100000]``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

import orjson

from scimaudit.config import Config, parse_config
from scimaudit.reporting.build import build_report
from scimaudit.reporting.verify import verify_pack
from scimaudit.store.connect import connect

OLD, NEW = "2024-06-01 06:00:00+00", "2024-06-30 06:00:00+00"
PARAMS = orjson.dumps(
    {"policy": {"deprovision_sla_hours": 24, "stale_after_days": 90}}, option=orjson.OPT_SORT_KEYS
)


def app_record(name: str, users: int) -> str:
    """A completeness record shaped like the collector's (collect/scim/completeness.py)."""
    res = {
        "pagination": "index",
        "page_size": 200,
        "expected": users,
        "recount": users,
        "received": users,
        "unique": users,
        "loaded": users,
        "pages": users // 200,
        "retries": 0,
        "end": "total_reached",
        "errors": [],
    }
    return orjson.dumps(
        {
            "app": name,
            "complete": True,
            "shortfalls": [],
            "pages": users // 200 + 1,
            "resources": {
                "User": res,
                "Group": {
                    **res,
                    "expected": 50,
                    "recount": 50,
                    "received": 50,
                    "unique": 50,
                    "loaded": 50,
                    "pages": 1,
                },
            },
        }
    ).decode()


def synthesise(path: Path, apps: int, per_app: int, people: int) -> None:
    """Write the store with INSERT … SELECT only (row-by-row inserts would take hours)."""
    with connect(path) as con:
        con.execute(
            "INSERT INTO snapshot (snapshot_id, source_kind, source_name, status, started_at,"
            " finished_at, as_of, location, counts, sha256, completeness, tool_version) VALUES"
            " (1, 'hr', 'hr', 'complete', ?, ?, ?, '/exports/hr.csv', '{}', ?, ?, '0.1.0')",
            [
                NEW,
                NEW,
                NEW,
                "a" * 64,
                orjson.dumps({"rows_read": people, "imported": people, "rejected": 0}).decode(),
            ],
        )
        for a in range(apps):
            for offset, at in ((0, OLD), (1, NEW)):
                con.execute(
                    "INSERT INTO snapshot (snapshot_id, source_kind, source_name, status,"
                    " started_at, finished_at, as_of, location, counts, sha256, completeness,"
                    " tool_version) VALUES (?, 'app', ?, 'complete', ?, ?, ?, ?, '{}', ?, ?,"
                    " '0.1.0')",
                    [
                        2 + 2 * a + offset,
                        f"app{a:02d}",
                        at,
                        at,
                        at,
                        f"https://app{a:02d}.example.com/scim/v2",
                        f"{a:02d}{offset}".ljust(64, "0"),
                        app_record(f"app{a:02d}", per_app),
                    ],
                )
        con.execute(
            "INSERT INTO raw_hr_row"
            " SELECT 1, i + 1, json_object('id', 'E' || i) FROM range(?) t(i)",
            [people],
        )
        con.execute(
            """INSERT INTO employee (snapshot_id, employee_id, email, first_name, last_name, status,
                 status_raw, worker_type, termination_date, line_no, department)
               SELECT 1, 'E' || i, 'p' || i || '@example.com', 'First' || i, 'Last' || i,
                 CASE WHEN i % 50 = 0 THEN 'terminated' ELSE 'active' END, 'x',
                 CASE WHEN i % 23 = 0 THEN 'contractor' ELSE 'employee' END,
                 CASE WHEN i % 50 = 0 THEN DATE '2024-04-05' + CAST(i % 85 AS INTEGER) END,
                 i + 1, 'Dept' || (i % 40)
               FROM range(?) t(i)""",
            [people],
        )
        # account i of app a belongs to person (a * per_app + i) % people; leavers (person % 50 = 0)
        # were active on June 1; by June 30 half of them were deactivated (lastModified in between)
        con.execute(
            """INSERT INTO account (snapshot_id, app, account_id, user_name, active, last_modified)
               SELECT 2 + 2 * a + s, printf('app%02d', a), 'u' || i, 'user' || i || '@example.com',
                 CASE WHEN s = 1 AND ((a * ? + i) % ?) % 50 = 0 THEN ((a * ? + i) % ?) % 100 <> 0
                      ELSE true END,
                 CASE WHEN s = 1 AND ((a * ? + i) % ?) % 100 = 0
                      THEN TIMESTAMPTZ '2024-06-10 09:00:00+00' END
               FROM range(?) ta(a), range(2) ts(s), range(?) ti(i)""",
            [per_app, people, per_app, people, per_app, people, apps, per_app],
        )
        con.execute(
            """INSERT INTO raw_scim_page (snapshot_id, seq, resource_type, request_url,
                 request_params, status_code, received_at, body_sha256, body)
               SELECT sid, p, 'User', 'https://x/Users', '{"count": 200}', 200,
                 TIMESTAMPTZ '2024-06-30', 'h', '{}'
               FROM range(2, ?) s(sid), range(?) pg(p)""",
            [2 + 2 * apps, per_app // 200],
        )
        con.execute(
            """INSERT INTO scim_group (snapshot_id, app, group_id, display_name, member_count)
               SELECT 2 + 2 * a + s, printf('app%02d', a), 'g' || g, 'group' || g, 0
               FROM range(?) ta(a), range(2) ts(s), range(50) tg(g)""",
            [apps],
        )
        for run, sfx, as_of in ((1, 0, "2024-06-01"), (2, 1, "2024-06-30")):
            ids = {f"app:app{a:02d}": 2 + 2 * a + sfx for a in range(apps)} | {"hr:hr": 1}
            con.execute(
                "INSERT INTO analysis_run (run_id, as_of, started_at, finished_at, status,"
                " hr_snapshot_id, snapshot_ids, params, params_sha256, tool_version)"
                " VALUES (?, ?, ?, ?, 'complete', 1, ?, ?, ?, '0.1.0')",
                [
                    run,
                    as_of,
                    NEW,
                    NEW,
                    orjson.dumps(ids).decode(),
                    PARAMS.decode(),
                    hashlib.sha256(PARAMS).hexdigest(),
                ],
            )
            con.execute(
                """INSERT INTO identity_link (run_id, snapshot_id, app, account_id, user_name,
                     active, employee_id, rule, confidence, account_type)
                   SELECT ?, a.snapshot_id, a.app, a.account_id, a.user_name,
                     coalesce(a.active, true),
                     CASE WHEN hash(a.account_id, a.app) % 100 = 0 THEN NULL
                          ELSE 'E' || ((CAST(substr(a.app, 4) AS INTEGER) * ?
                                        + CAST(substr(a.account_id, 2) AS INTEGER)) % ?) END,
                     CASE WHEN hash(a.account_id, a.app) % 100 = 0 THEN NULL ELSE 'email' END,
                     'high',
                     CASE WHEN hash(a.account_id, a.app) % 100 = 0 THEN 'unmatched' ELSE 'human' END
                   FROM account a JOIN snapshot s ON s.snapshot_id = a.snapshot_id
                   WHERE s.as_of = CAST(? AS TIMESTAMPTZ)""",
                [run, per_app, people, OLD if run == 1 else NEW],
            )
        con.execute(
            """INSERT INTO finding (run_id, finding_key, kind, app, account_id, user_name,
                 employee_id, group_name, severity, reason, evidence, snapshot_ids, status)
               SELECT 2, sha256(kind || app || account_id), kind, app, account_id, user_name,
                 employee_id, CASE WHEN kind = 'privileged_account' THEN 'admins' END,
                 CASE kind WHEN 'terminated_active' THEN 'critical' WHEN 'orphaned_account'
                   THEN 'high' ELSE 'medium' END,
                 kind || ' on ' || user_name, json_object('k', kind), [snapshot_id, 1], 'open'
               FROM (
                 SELECT l.*, CASE
                   WHEN l.account_type = 'unmatched' AND l.active THEN 'orphaned_account'
                   WHEN e.status = 'terminated' AND l.active THEN 'terminated_active'
                   WHEN hash(l.account_id, l.app, 'p') % 50 = 0 THEN 'privileged_account'
                   WHEN hash(l.account_id, l.app, 's') % 20 = 0 THEN 'stale_access'
                 END AS kind
                 FROM identity_link l
                 LEFT JOIN employee e ON e.snapshot_id = 1 AND e.employee_id = l.employee_id
                 WHERE l.run_id = 2
               ) WHERE kind IS NOT NULL"""
        )
        con.execute(
            """INSERT INTO finding_history (finding_key, kind, app, account_id, first_seen,
                 last_seen, resolved_on, first_run_id, last_run_id)
               SELECT finding_key, kind, app, account_id, DATE '2024-06-30', DATE '2024-06-30',
                 NULL, 2, 2 FROM finding WHERE run_id = 2"""
        )
        con.execute(
            """INSERT INTO finding_population (run_id, kind, app, tested, failed, not_assessable,
                 unit)
               SELECT 2, k.kind, l.app, count(*), count(f.finding_key), 0, 'account'
               FROM identity_link l
               CROSS JOIN (SELECT unnest(['orphaned_account', 'terminated_active',
                 'privileged_account', 'stale_access', 'sod_conflict', 'duplicate_account',
                 'role_drift', 'contractor_expired', 'ambiguous_identity',
                 'service_owner_left']) AS kind) k
               LEFT JOIN finding f ON f.run_id = 2 AND f.kind = k.kind AND f.app = l.app
                 AND f.account_id = l.account_id
               WHERE l.run_id = 2
               GROUP BY k.kind, l.app"""
        )
        con.execute("CHECKPOINT")  # as a finished `analyze` leaves it: no WAL to replay on open


def config_for(tmp: Path, apps: int) -> Config:
    raw = {
        "store": {"path": str(tmp / "bench.duckdb")},
        "apps": [
            {
                "name": f"app{a:02d}",
                "url": f"https://app{a:02d}.example.com/scim/v2",
                "token": {"env": "BENCH_TOKEN"},
                "frameworks": ["SOX"],
                "privileged_groups": ["admins"],
            }
            for a in range(apps)
        ],
        "report": {"entity": "Bench Corp"},
    }
    return parse_config(raw, tmp / "scimaudit.toml")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=20)
    parser.add_argument("--accounts-per-app", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--kind", default="sox")
    parser.add_argument("--keep", type=Path, default=None, help="copy the pack to this folder")
    args = parser.parse_args()
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1719792000")
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp_name:
        tmp = Path(tmp_name)
        config = config_for(tmp, args.apps)
        started = time.perf_counter()
        synthesise(config.store.path, args.apps, args.accounts_per_app, args.people)
        total = args.apps * args.accounts_per_app
        print(
            f"store synthesised: {total:,} accounts x 2 snapshots, {args.people:,} people "
            f"in {time.perf_counter() - started:.1f} s (setup, not part of the figure)"
        )
        started = time.perf_counter()
        result = build_report(
            config, args.kind, as_of=None, period_start=None, period_end=None, out_dir=tmp / "out"
        )
        pack_s = time.perf_counter() - started
        stages = ", ".join(f"{k} {v:.1f} s" for k, v in result.timings.items())
        pdf_mb = result.pdf_path.stat().st_size / 1e6
        print(
            f"{args.kind} pack: {pack_s:.1f} s total ({stages}); {result.pages} pages, "
            f"{pdf_mb:.1f} MB PDF; population {result.population_rows:,} rows, "
            f"{result.exceptions:,} exceptions"
        )
        print(f"target <= 60 s: {'met' if pack_s <= 60 else 'NOT met'}")
        started = time.perf_counter()
        report = verify_pack(result.pdf_path, store_path=config.store.path)
        print(
            f"verify with store recomputation: {time.perf_counter() - started:.1f} s, "
            f"{'intact' if report.ok else 'FAILED'} ({len(report.checks)} checks)"
        )
        for check in report.failures:
            print(f"  failed: {check.name}: {check.detail}")
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for produced in (result.pdf_path, result.manifest_path):
                shutil.copy(produced, args.keep / produced.name)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS of this process: {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
