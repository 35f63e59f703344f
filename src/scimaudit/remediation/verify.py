"""Prove the access is gone: re-collect the affected apps and check each applied operation.

"Applied" only means the app answered 2xx. An app may accept a PATCH and ignore it, or a
provisioning job may put the member back a minute later. Verification reads the app again through
the normal collector (a new complete snapshot, with its completeness record and raw pages as
evidence) and marks each operation ``verified`` (the membership or active account is no longer
there) or ``still_present``, citing the snapshot that shows it.

The collector is handed in by the caller as ``recollect``, so remediation never depends on
collection: both sit on ``scimaudit.scim``, and the CLI wires them together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from scimaudit.config import Config
from scimaudit.errors import CollectionError, RemediationError
from scimaudit.remediation import ledger
from scimaudit.remediation.ledger import LogEntry
from scimaudit.remediation.model import PlanOperation
from scimaudit.remediation.plan import AppFacts, app_facts, default_actor
from scimaudit.remediation.plan_store import load_verified_plan
from scimaudit.store import snapshots
from scimaudit.store.connect import connect

Collector = Callable[[Config, Sequence[str]], object]
"""Collects the named apps into new snapshots (the SCIM collector's entry point)."""


@dataclass(frozen=True)
class VerifyResult:
    """One applied operation's verification: ``verified``, ``still_present``, or why not checked."""

    seq: int
    app: str
    description: str
    outcome: str  # verified | still_present | not_applied | not_checked
    detail: str


@dataclass
class VerifySummary:
    """A verify run: per-operation results, counts, and the snapshots that show them."""

    plan_id: str
    run_id: int | None
    snapshot_ids: dict[str, int]
    counts: dict[str, int]
    results: list[VerifyResult] = field(default_factory=list)
    collection_errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every applied operation was verified gone."""
        return (
            not self.collection_errors
            and self.counts.get("still_present", 0) == 0
            and self.counts.get("not_checked", 0) == 0
        )


def _apply_outcomes(
    con: duckdb.DuckDBPyConnection, plan_id: str
) -> dict[int, tuple[str, datetime]]:
    """Latest executed apply outcome per operation: seq -> (outcome, when)."""
    rows = con.execute(
        "SELECT seq, outcome, logged_at FROM remediation_operation_log"
        " WHERE plan_id = ? AND mode = 'execute'"
        " AND outcome IN ('applied', 'already_done', 'conflict', 'failed', 'refused')"
        " QUALIFY row_number() OVER (PARTITION BY seq ORDER BY log_id DESC) = 1",
        [plan_id],
    ).fetchall()
    return {int(seq): (str(outcome), at) for seq, outcome, at in rows}


def check_operation(op: PlanOperation, facts: AppFacts) -> tuple[bool, str]:
    """(access gone?, evidence) for one operation against one snapshot."""
    snap = facts.snapshot_id
    account = facts.accounts.get(op.account_id)
    if op.action == "remove_member":
        assert op.group_id is not None
        if op.group_id not in facts.groups:
            return True, f"group {op.group_name} no longer exists in snapshot {snap}"
        if (op.group_id, op.account_id) in facts.members:
            return False, f'still a member of "{op.group_name}" in snapshot {snap}'
        return True, f'not a member of "{op.group_name}" in snapshot {snap}'
    if account is None:
        return True, f"account not in snapshot {snap}"
    if op.action == "delete":
        return False, f"account still exists in snapshot {snap}"
    active = account[1]
    if active is False:
        return True, f"account inactive (active=false) in snapshot {snap}"
    return False, f"account still active in snapshot {snap}"


def _snapshots_after(
    cfg: Config, apps: Sequence[str], after: dict[str, datetime], collector: Collector | None
) -> tuple[dict[str, int], dict[str, str]]:
    """A complete snapshot of each app taken after its last apply: (app -> id, app -> problem)."""
    errors: dict[str, str] = {}
    failed: dict[str, str] = {}
    if collector is not None:
        try:
            results = collector(cfg, apps)
        except CollectionError as exc:
            errors["*"] = str(exc)
        else:
            for result in results if isinstance(results, list) else []:
                if getattr(result, "status", None) == "failed":
                    failed[str(result.app)] = str(getattr(result, "error", "") or "failed")
    found: dict[str, int] = {}
    with connect(cfg.store.path, lock_timeout=cfg.store.lock_timeout_seconds) as con:
        for app in apps:
            snap = snapshots.current(con, "app", app)
            if snap is None or snap.as_of < after[app]:
                why = failed.get(app) or (
                    "its collection failed" if collector else "run `scimaudit collect` first"
                )
                errors[app] = f"no complete snapshot of {app} taken after the apply ({why})"
            else:
                found[app] = snap.snapshot_id
    if found:
        errors.pop("*", None)
    return found, errors


def verify_plan(
    cfg: Config,
    plan_id: str,
    *,
    recollect: Collector | None,
    actor: str | None = None,
) -> VerifySummary:
    """Re-collect the apps a plan changed; record each applied operation verified or still present.

    ``recollect`` is the collector (:func:`scimaudit.collect.scim.recollect`); ``None`` uses the
    apps' current snapshots instead, which must have been taken after the apply. It is a required
    keyword so no caller verifies against old snapshots by accident. Operations never applied
    (conflict, failed, not yet run) are reported ``not_applied``.
    """
    actor = actor or default_actor()
    with connect(cfg.store.path, lock_timeout=cfg.store.lock_timeout_seconds) as con:
        row = con.execute(
            "SELECT sha256 FROM remediation_plan WHERE plan_id = ?", [plan_id]
        ).fetchone()
        if row is None:
            raise RemediationError(f"no remediation plan {plan_id}")
        plan = load_verified_plan(con, plan_id, str(row[0]))
        outcomes = _apply_outcomes(con, plan_id)
    done = [
        op
        for op in plan.operations
        if outcomes.get(op.seq, ("", None))[0] in ("applied", "already_done")
    ]
    summary = VerifySummary(plan_id, None, {}, {})
    for op in plan.operations:
        if op not in done:
            state = outcomes.get(op.seq, ("not yet applied", None))[0]
            summary.results.append(
                VerifyResult(
                    op.seq, op.app, op.describe(), "not_applied", f"apply outcome: {state}"
                )
            )
    if not done:
        summary.counts["not_applied"] = len(summary.results)
        return summary
    apps = sorted({op.app for op in done})
    after = {app: max(outcomes[op.seq][1] for op in done if op.app == app) for app in apps}
    found, errors = _snapshots_after(cfg, apps, after, recollect)
    summary.snapshot_ids, summary.collection_errors = found, errors
    run_id = ledger.start_run(cfg, plan_id, "verify", "execute", actor)
    summary.run_id = run_id
    entries: list[LogEntry] = []
    with connect(cfg.store.path, lock_timeout=cfg.store.lock_timeout_seconds) as con:
        facts = {
            app: app_facts(
                con, sid, [op.account_id for op in done if op.app == app], with_last_modified=False
            )
            for app, sid in found.items()
        }
    for op in done:
        if op.app not in facts:
            summary.results.append(
                VerifyResult(op.seq, op.app, op.describe(), "not_checked", errors.get(op.app, ""))
            )
            continue
        gone, evidence = check_operation(op, facts[op.app])
        outcome: ledger.Outcome = "verified" if gone else "still_present"
        entries.append(
            LogEntry(
                seq=op.seq,
                app=op.app,
                outcome=outcome,
                detail=evidence,
                snapshot_id=facts[op.app].snapshot_id,
            )
        )
        summary.results.append(VerifyResult(op.seq, op.app, op.describe(), outcome, evidence))
    ledger.append(cfg, run_id, plan_id, "execute", actor, entries)
    summary.results.sort(key=lambda r: r.seq)
    for result in summary.results:
        summary.counts[result.outcome] = summary.counts.get(result.outcome, 0) + 1
    ledger.finish_run(
        cfg,
        run_id,
        "complete" if summary.ok else "failed",
        {"counts": summary.counts, "snapshot_ids": found, "collection_errors": errors},
    )
    return summary
