"""Execute a reviewed plan: read, decide, write conditionally, record; a dry run unless told.

For each resource the plan writes (a Group losing members, a User to deactivate or delete):

1. **Read** it (``GET``). 404 means the access is already gone. Operations whose effect is already
   visible (member absent, account inactive) are recorded ``already_done`` and not sent.
2. **Check it has not changed since the snapshot** the plan was computed from. With ETags
   (``etag.supported`` in ``/ServiceProviderConfig``, RFC 7644 §3.14) the resource's
   ``meta.version`` must equal the snapshot's, and the write carries ``If-Match`` so the server
   enforces it atomically (412 otherwise). Without ETags, ``meta.lastModified`` is compared
   instead (a best-effort check: not atomic). A changed resource is skipped and reported as
   ``conflict``, never overwritten. Servers that ignore ``If-Match`` (SCIMMY does) get none.
3. **Write** once per resource: all of a group's member removals in one PATCH (applied atomically,
   RFC 7644 §3.5.2), a deactivation PATCH, or a DELETE (§3.6).
4. **Record** each operation's outcome in the append-only log at once, with the request (method,
   URL, body, If-Match), the response status and ETag, attempts, time and actor.

Re-running is idempotent: operations an earlier executed run recorded as ``applied`` or
``already_done`` are not sent again. A dry run (the default) performs only the reads and records
what it *would* do.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from typing import Any

from scimaudit.config import AppConfig, Config
from scimaudit.errors import RemediationError, ScimauditError
from scimaudit.remediation import ledger, safety
from scimaudit.remediation.http import (
    AppSession,
    AppUnreachable,
    ReadFailed,
    log_url,
)
from scimaudit.remediation.ledger import LogEntry, Mode
from scimaudit.remediation.model import Plan, PlanOperation
from scimaudit.remediation.plan import default_actor
from scimaudit.remediation.plan_store import load_verified_plan
from scimaudit.remediation.precondition import decide_precondition
from scimaudit.remediation.scim_ops import access_gone, is_no_target, merge_patch_bodies
from scimaudit.scim.client import TransportFactory
from scimaudit.store.connect import connect


@dataclass(frozen=True)
class OperationResult:
    """One operation's outcome as printed after an apply run (``detail`` may quote the server)."""

    seq: int
    app: str
    description: str
    outcome: str
    detail: str | None
    response_status: int | None


@dataclass
class ApplySummary:
    """What an apply run did. ``ok`` is False when any operation failed or was not attempted."""

    plan_id: str
    run_id: int
    mode: Mode
    counts: dict[str, int]
    settled_before: int  # operations done by earlier runs, not sent again
    results: list[OperationResult] = field(default_factory=list)
    not_attempted: list[int] = field(default_factory=list)
    requests: int = 0
    retries: int = 0

    @property
    def ok(self) -> bool:
        """True when nothing failed or was left unattempted; else the CLI exits non-zero."""
        return not self.not_attempted and self.counts.get("failed", 0) == 0


def _entry(op: PlanOperation, outcome: ledger.Outcome, **kw: Any) -> LogEntry:
    return LogEntry(seq=op.seq, app=op.app, outcome=outcome, **kw)


async def _etag_supported(session: AppSession) -> bool:
    """``etag.supported`` from ``/ServiceProviderConfig`` (RFC 7643 §5); unreadable means no."""
    try:
        config = await session.read("/ServiceProviderConfig")
    except ReadFailed:
        return False
    etag = (config or {}).get("etag")
    return bool(isinstance(etag, dict) and etag.get("supported") is True)


async def _apply_resource(
    session: AppSession, ops: list[PlanOperation], etag_supported: bool, mode: Mode
) -> list[LogEntry]:
    """Read, decide, (write), and return one log entry per operation on one resource."""
    app = session.app
    first = ops[0]
    try:
        resource = await session.read(first.path)
    except ReadFailed as exc:
        return [_entry(op, "failed", detail=str(exc)) for op in ops]
    status = 404 if resource is None else 200
    entries: list[LogEntry] = []
    todo: list[PlanOperation] = []
    for op in ops:
        if access_gone(op.action, resource, op.account_id):
            why = "resource not found (404)" if resource is None else "access already absent"
            entries.append(_entry(op, "already_done", response_status=status, detail=why))
        else:
            todo.append(op)
    if not todo or resource is None:
        return entries
    pre = decide_precondition(first, resource, etag_supported)
    if pre.changed:
        entries += [_entry(op, "conflict", precondition=pre.kind, detail=pre.detail) for op in todo]
        return entries
    if_match = pre.if_match
    if first.method == "DELETE":
        body = None
    elif len(todo) == 1:
        body = todo[0].body
    else:
        body = merge_patch_bodies([op.body or {} for op in todo])
    request = {
        "precondition": pre.kind,
        "method": first.method,
        "url": log_url(app, first.path),
        "request_body": body,
        "if_match": if_match,
    }
    if mode == "dry_run":
        return entries + [_entry(op, "would_apply", detail=pre.detail, **request) for op in todo]
    reply = await session.write(first.method, first.path, body=body, if_match=if_match)
    outcome_kw = {**request, "response_status": reply.status, "attempts": reply.attempts}
    if reply.status in (200, 204):
        etag = reply.etag if etag_supported else None
        return entries + [
            _entry(op, "applied", response_etag=etag, detail=pre.detail, **outcome_kw)
            for op in todo
        ]
    if reply.status in (404, 412) or is_no_target(reply.status, reply.content):
        # Ambiguous: gone, changed by someone else, or (after a lost response) changed by us.
        try:
            after = await session.read(first.path)
        except ReadFailed as exc:
            return entries + [_entry(op, "failed", detail=str(exc), **outcome_kw) for op in todo]
        for op in todo:
            if access_gone(op.action, after, op.account_id):
                ours = reply.attempts > 1
                entries.append(
                    _entry(
                        op,
                        "applied" if ours else "already_done",
                        detail=(
                            f"{reply.status} on attempt {reply.attempts}: an earlier attempt's "
                            "response was lost; access is gone"
                            if ours
                            else f"{reply.status}: access already absent when re-read"
                        ),
                        **outcome_kw,
                    )
                )
            else:
                entries.append(
                    _entry(
                        op,
                        "conflict" if reply.status == 412 else "failed",
                        detail=f"{reply.status}: {reply.detail}",
                        **outcome_kw,
                    )
                )
        return entries
    detail = f"{reply.status}: {reply.detail}"
    return entries + [_entry(op, "failed", detail=detail, **outcome_kw) for op in todo]


async def _apply_app(
    cfg: Config,
    app: AppConfig,
    ops: list[PlanOperation],
    *,
    run_id: int,
    plan_id: str,
    mode: Mode,
    actor: str,
    transport_factory: TransportFactory | None,
    summary: ApplySummary,
) -> None:
    """Apply one app's operations resource by resource, logging each batch as soon as it is done.

    ETag support is read once per app. If the app becomes unreachable, the operations not yet sent
    are reported ``not_attempted`` (never guessed as failed or applied), and the other apps go on.
    """
    async with AppSession(app, transport_factory=transport_factory) as session:
        done: set[int] = set()
        try:
            etag_supported = await _etag_supported(session)
            for batch in _by_resource(ops):
                entries = await _apply_resource(session, batch, etag_supported, mode)
                ledger.append(cfg, run_id, plan_id, mode, actor, entries)
                _collect(summary, batch, entries)
                done.update(op.seq for op in batch)
        except AppUnreachable as exc:
            summary.not_attempted += [op.seq for op in ops if op.seq not in done]
            summary.results += [
                OperationResult(op.seq, op.app, op.describe(), "not_attempted", str(exc), None)
                for op in ops
                if op.seq not in done
            ]
        finally:
            summary.requests += session.requests_sent
            summary.retries += session.retries


def _by_resource(ops: list[PlanOperation]) -> list[list[PlanOperation]]:
    """Operations grouped by the resource they write, in plan order of first appearance."""
    batches: dict[tuple[str, str], list[PlanOperation]] = {}
    for op in ops:
        batches.setdefault((op.resource_type, op.resource_id), []).append(op)
    return list(batches.values())


def _collect(summary: ApplySummary, ops: list[PlanOperation], entries: list[LogEntry]) -> None:
    """Add logged outcomes to the run's counts and printed results."""
    described = {op.seq: op.describe() for op in ops}
    for entry in entries:
        summary.counts[entry.outcome] = summary.counts.get(entry.outcome, 0) + 1
        summary.results.append(
            OperationResult(
                entry.seq,
                entry.app,
                described[entry.seq],
                entry.outcome,
                entry.detail,
                entry.response_status,
            )
        )


def _run_coroutine(make: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run to completion from sync code, also when this thread already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(make())
        return
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="remediate") as pool:
        pool.submit(asyncio.run, make()).result()


def _check_safety(
    cfg: Config,
    plan: Plan,
    pending: Sequence[PlanOperation],
    max_ops: int | None,
    now: datetime | None,
) -> None:
    """Refuse the run before any request: break-glass accounts, stale snapshots, too many ops."""
    for op in pending:
        safety.check_break_glass(cfg, op.app, op.user_name, op.account_id)
    for app_name in sorted({op.app for op in pending}):
        ref = plan.snapshots[app_name]
        safety.check_snapshot_age(cfg, app_name, ref.snapshot_id, ref.as_of, now=now)
    safety.check_operation_count(len(pending), cfg, max_ops)


def apply_plan(
    cfg: Config,
    plan_id: str,
    sha256: str,
    *,
    execute: bool = False,
    max_ops: int | None = None,
    actor: str | None = None,
    transport_factory: TransportFactory | None = None,
    now: datetime | None = None,
) -> ApplySummary:
    """Apply plan ``plan_id`` if its SHA-256 is ``sha256``; a dry run unless ``execute``.

    :raises RemediationError: the plan was changed or the hash is not its own, a safety rule refuses
        the run (too many operations, break-glass account, snapshot too old), or the plan is being
        applied by another process. Refusals are recorded as a ``refused`` run.
    """
    actor = actor or default_actor()
    mode: Mode = "execute" if execute else "dry_run"
    with connect(cfg.store.path, lock_timeout=cfg.store.lock_timeout_seconds) as con:
        plan = load_verified_plan(con, plan_id, sha256)
        settled = ledger.settled_operations(con, plan_id)
    pending = [op for op in plan.operations if op.seq not in settled]
    run_id = ledger.start_run(cfg, plan_id, "apply", mode, actor)
    try:
        for op in pending:
            cfg.app(op.app)
        _check_safety(cfg, plan, pending, max_ops, now)
    except ScimauditError as exc:
        ledger.finish_run(cfg, run_id, "refused", {"reason": str(exc)})
        raise RemediationError(str(exc)) from None
    summary = ApplySummary(plan_id, run_id, mode, {}, settled_before=len(settled))

    async def run_all() -> None:
        """Apply app after app (operations are in app order), all in one event loop."""
        for app_name, group in groupby(pending, key=lambda o: o.app):
            await _apply_app(
                cfg,
                cfg.app(app_name),
                list(group),
                run_id=run_id,
                plan_id=plan_id,
                mode=mode,
                actor=actor,
                transport_factory=transport_factory,
                summary=summary,
            )

    try:
        _run_coroutine(run_all)
    except BaseException as exc:
        ledger.finish_run(cfg, run_id, "failed", {"reason": f"{type(exc).__name__}: {exc}"})
        raise
    summary.results.sort(key=lambda r: r.seq)
    ledger.finish_run(
        cfg,
        run_id,
        "complete" if summary.ok else "failed",
        {
            "counts": dict(summary.counts),
            "settled_before": summary.settled_before,
            "not_attempted": summary.not_attempted,
            "requests": summary.requests,
            "retries": summary.retries,
        },
    )
    return summary
