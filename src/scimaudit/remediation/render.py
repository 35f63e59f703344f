"""How a plan looks to a person: a Terraform-style list of changes, and its JSON form.

The plan view answers the reviewer's three questions before anything is sent: what exactly will
change (each operation with its request and body), why (the campaign decision or finding behind
it), and what was asked for but left out (break-glass, not final, already gone).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import orjson

from scimaudit.remediation.model import OperationSource, Plan

_SIGN = {"remove_member": "-", "deactivate": "~", "delete": "-"}


def printable(value: object) -> str:
    """Text safe for a terminal: control characters (escape sequences, newlines) become ``?``.

    User names, group names and reasons come from SCIM servers and reviewers; an ANSI escape or a
    newline in one must not be able to rewrite or forge lines of the plan a reviewer approves.
    """
    return "".join(ch if ch.isprintable() else "?" for ch in str(value))


def why(sources: tuple[OperationSource, ...]) -> str:
    """Short reasons: ``campaign 3 item 17 (left the team)``, ``finding terminated_active``."""
    parts = []
    for s in sources:
        if s.source_kind == "campaign":
            text = f"campaign {s.campaign_id} item {s.item_id}"
            if s.reason:
                text += f" ({s.reason})"
        else:
            text = f"finding {s.finding_kind}"
        parts.append(text)
    return "; ".join(parts)


def _body_line(body: dict[str, Any] | None) -> str | None:
    """A PATCH body's operations as one line of compact JSON (keys sorted) for the plan text."""
    if body is None:
        return None
    ops = body.get("Operations") or []
    return " ".join(orjson.dumps(o, option=orjson.OPT_SORT_KEYS).decode() for o in ops)


def plan_changes(plan: Plan) -> str:
    """The operations, one block each, grouped by app: what changes, the request, and why."""
    lines: list[str] = []
    for app in sorted({op.app for op in plan.operations}):
        ref = plan.snapshots[app]
        lines.append(f"{app} (from snapshot #{ref.snapshot_id}, policy: {plan.policy[app]}):")
        for op in (o for o in plan.operations if o.app == app):
            lines.append(f"  {op.seq:>3}  {_SIGN[op.action]} {printable(op.describe())}")
            guard = f"   If-Match {op.expected_etag}" if op.expected_etag else ""
            lines.append(printable(f"       {op.method} {op.path}{guard}"))
            body = _body_line(op.body)
            if body:
                lines.append(f"       body: {printable(body)}")
            lines.append(f"       why:  {printable(why(op.sources))}")
    return "\n".join(lines)


def plan_exclusions(plan: Plan) -> str:
    """The revocations asked for but left out, each with why and where the request came from."""
    lines = ["Asked for but left out:"] if plan.excluded else []
    for ex in plan.excluded:
        what = ex.user_name or ex.account_id
        where = f"{ex.app}, {ex.group_name}" if ex.group_name else ex.app
        lines.append(printable(f"    ! {what} ({where}): {ex.why} [{why(ex.sources)}]"))
    return "\n".join(lines)


def plan_header(plan: Plan) -> str:
    """The plan's identity for the reviewer: id, hash, author, sources and snapshots."""
    snaps = ", ".join(
        f"{app} #{ref.snapshot_id} (as of {ref.as_of[:16].replace('T', ' ')} UTC)"
        for app, ref in sorted(plan.snapshots.items())
    )
    src = plan.sources
    asked = []
    if src.get("campaign_id") is not None:
        asked.append(f"campaign {src['campaign_id']} revoke decisions")
    if src.get("finding_kinds"):
        asked.append(
            f"findings {', '.join(src['finding_kinds'])} (analysis run {src['analysis_run_id']})"
        )
    lines = (
        f"Remediation plan {plan.plan_id}",
        f"  sha256:    {plan.sha256}",
        f"  made by:   {plan.created_by} at {plan.created_at[:19].replace('T', ' ')} UTC",
        f"  from:      {'; '.join(asked) or '-'}",
        f"  snapshots: {snaps or '-'}",
    )
    return "\n".join(printable(line) for line in lines)


def plan_footer(plan: Plan, max_operations: int) -> str:
    """Totals, a note when ``--max-ops`` is needed, and the commands to rehearse and apply."""
    kinds = Counter(op.action for op in plan.operations)
    apps = len({op.app for op in plan.operations})
    counted = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "nothing to change"
    lines = [
        f"Plan: {len(plan.operations)} operation(s) ({counted}) in {apps} app(s); "
        f"{len(plan.excluded)} request(s) left out."
    ]
    if len(plan.operations) > max_operations:
        lines.append(
            f"Note: more than the per-run limit of {max_operations} operations; apply needs "
            f"--max-ops {len(plan.operations)}."
        )
    if plan.operations:
        lines.append(
            "Rehearse (reads only):  scimaudit remediate apply "
            f"{plan.plan_id} --sha256 {plan.sha256}"
        )
        lines.append(
            "Apply for real:         scimaudit remediate apply "
            f"{plan.plan_id} --sha256 {plan.sha256} --execute"
        )
    return "\n".join(lines)


def plan_text(plan: Plan, max_operations: int) -> str:
    """The whole plan as a reviewer reads it: header, changes, what was left out, how to apply."""
    parts = [plan_header(plan), plan_changes(plan), plan_exclusions(plan)]
    parts.append(plan_footer(plan, max_operations))
    return "\n\n".join(part for part in parts if part)


def plan_json(plan: Plan) -> dict[str, Any]:
    """``{"plan_id", "sha256", "plan"}``; ``sha256`` is over the canonical JSON of ``plan``."""
    return {"plan_id": plan.plan_id, "sha256": plan.sha256, "plan": plan.document()}
