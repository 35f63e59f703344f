"""The store's side of ``scimaudit verify``: was this file issued here, and does it still agree?

* *Issued pack*: the register of issued packs (migration 009) must hold this exact file's SHA-256,
  under the report id and signer the manifest names; any edited byte, with or without a sidecar,
  fails here.
* *Analysis run, snapshots*: the run's parameters hash and every snapshot hash are as recorded.
* *Population, exceptions, remediation*: recomputed now, they hash to the recorded values.
* *Sign-offs*: the review campaign behind section 8 still has the recorded sign-offs.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from scimaudit.errors import ReportError, ScimauditError
from scimaudit.reporting.campaign_signoff import read_campaign_signoffs, signoffs_sha256
from scimaudit.reporting.population import build_population
from scimaudit.reporting.registry import lookup_issued
from scimaudit.reporting.remediation import gather_remediation
from scimaudit.reporting.report_sql import install_macros
from scimaudit.reporting.results import gather_exceptions
from scimaudit.reporting.scope import Scope, app_snapshots, get_run
from scimaudit.reporting.spec import ReportSpec
from scimaudit.reporting.verify_checks import Check
from scimaudit.store import snapshots
from scimaudit.store.connect import connect


def issued_check(
    con: duckdb.DuckDBPyConnection, pdf_sha256: str, body: dict[str, Any] | None
) -> Check:
    """This exact file in the store's register, under the manifest's report id and signer."""
    report_id = str(((body or {}).get("report") or {}).get("id", ""))
    signer = (body or {}).get("signer") or {}
    try:
        rows = lookup_issued(con, pdf_sha256=pdf_sha256, report_id=report_id)
    except duckdb.CatalogException:
        return Check("store: issued pack", False, "the store has no register of issued packs")
    exact = [r for r in rows if r["pdf_sha256"] == pdf_sha256]
    if not exact:
        others = [r for r in rows if r["report_id"] == report_id]
        if others:
            return Check(
                "store: issued pack",
                False,
                f"the store issued {report_id} as SHA-256 "
                + ", ".join(r["pdf_sha256"][:16] + "…" for r in others)
                + f"; this file is {pdf_sha256[:16]}…: it was altered after issue",
            )
        return Check(
            "store: issued pack",
            False,
            f"the store never issued this file (SHA-256 {pdf_sha256[:16]}…) nor a pack "
            f"{report_id or '(no report id)'}",
        )
    row = exact[0]
    problems = []
    if body is not None and row["report_id"] != report_id:
        problems.append(f"issued as {row['report_id']}, but its manifest says {report_id}")
    if body is not None and row["signer_sha256"] != (signer.get("certificate_sha256") or None):
        problems.append("the signer recorded at issue differs from the manifest's")
    if problems:
        return Check("store: issued pack", False, "; ".join(problems))
    return Check(
        "store: issued pack",
        True,
        f"this exact file was issued as {row['report_id']} at {row['issued_at']:%Y-%m-%d %H:%M} "
        f"UTC by {row['issued_by']}",
    )


def _scope_from_manifest(con: duckdb.DuckDBPyConnection, body: dict[str, Any]) -> Scope:
    run = get_run(con, int(body["analysis_run"]["run_id"]))
    apps = tuple(body["scope"]["apps"])
    in_run = app_snapshots(run)
    return Scope(
        run=run,
        apps=apps,
        app_snapshot_ids={a: in_run[a] for a in apps if a in in_run},
        missing_apps=tuple(a for a in apps if a not in in_run),
        scope_note="",
        period_start=date.fromisoformat(body["scope"]["period_start"]),
        period_end=date.fromisoformat(body["scope"]["period_end"]),
    )


def _signoff_check(
    con: duckdb.DuckDBPyConnection, scope: Scope, body: dict[str, Any], checks: list[Check]
) -> None:
    """Section 8's sign-offs, re-read from the review campaign the manifest names."""
    entry = body.get("signoff")
    if not entry or entry.get("campaign_id") is None:
        return
    cid = int(entry["campaign_id"])
    try:
        _name, signoffs = read_campaign_signoffs(con, cid)
    except ScimauditError as exc:
        checks.append(Check("store: sign-offs", False, f"campaign {cid}: {exc}"))
        return
    got = signoffs_sha256(signoffs)
    ok = got == entry.get("sha256") and len(signoffs) == entry.get("signoffs")
    checks.append(
        Check(
            "store: sign-offs",
            ok,
            f"campaign {cid}: {len(signoffs)} sign-off(s), SHA-256 {got[:16]}… equals the manifest"
            if ok
            else f"campaign {cid} now has {len(signoffs)} sign-off(s) with SHA-256 {got} but the "
            f"manifest records {entry.get('signoffs')}, {entry.get('sha256')}",
        )
    )


def store_checks(
    store: Path,
    lock_timeout: float,
    pdf_sha256: str,
    body: dict[str, Any] | None,
    checks: list[Check],
) -> None:
    """Append the store's checks; without a usable manifest only the register can be asked."""
    with connect(store, read_only=True, lock_timeout=lock_timeout) as con:
        checks.append(issued_check(con, pdf_sha256, body))
        if body is None:
            return
        install_macros(con)
        try:
            scope = _scope_from_manifest(con, body)
        except (ReportError, KeyError, ValueError) as exc:
            checks.append(Check("store: analysis run", False, str(exc)))
            return
        recorded = body["analysis_run"]["params_sha256"]
        checks.append(
            Check(
                "store: analysis run",
                scope.run.params_sha256 == recorded
                and str(scope.run.as_of) == body["scope"]["as_of"],
                f"run #{scope.run.run_id} as of {scope.run.as_of}, parameters hash "
                f"{scope.run.params_sha256[:16]}… (manifest {recorded[:16]}…)",
            )
        )
        bad = []
        for snap in body.get("snapshots", []):
            try:
                current = snapshots.get(con, int(snap["snapshot_id"]))
            except Exception:
                bad.append(f"{snap['label']} (#{snap['snapshot_id']} missing)")
                continue
            if current.sha256 != snap.get("sha256") or current.status != snap.get("status"):
                bad.append(f"{snap['label']} (#{snap['snapshot_id']})")
        checks.append(
            Check(
                "store: snapshots",
                not bad,
                f"{len(body.get('snapshots', []))} snapshot hashes as recorded"
                if not bad
                else "changed since the pack was made: " + ", ".join(bad),
            )
        )
        spec = ReportSpec(
            kind=body["report"]["kind"],
            title="",
            framework="",
            objective="",
            exception_kinds=tuple(body["scope"]["exception_kinds"]),
            tests=(),
            privileged_only=bool(body["scope"]["privileged_only"]),
            controls=(),
            source_file="",
            source_sha256="",
        )
        with tempfile.TemporaryDirectory(prefix="scimaudit-verify-") as tmp:
            population = build_population(con, scope, Path(tmp))
            exceptions = gather_exceptions(con, scope, spec, Path(tmp), cap=0)
            remediation = gather_remediation(con, Path(tmp), cap=0)
        _signoff_check(con, scope, body, checks)
    recomputed = [
        ("population", "population", population.sha256, population.rows),
        ("exceptions", "exceptions", exceptions.sha256, exceptions.total),
    ]
    if "remediation" in body:  # packs made before remediation was reported have no entry
        recomputed.append(("remediation", "remediation", remediation.sha256, remediation.total))
    for label, key, got, rows in recomputed:
        want = body[key]["sha256"]
        ok = got == want and rows == body[key]["rows"]
        checks.append(
            Check(
                f"store: {label}",
                ok,
                f"recomputed {rows:,} rows, SHA-256 {got[:16]}… equals the manifest"
                if ok
                else f"recomputed {rows:,} rows with SHA-256 {got} but the manifest records "
                f"{body[key]['rows']:,} rows, {want}",
            )
        )
