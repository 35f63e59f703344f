"""``scimaudit remediate plan|show|apply|verify|status``: revocations to the apps, then proof."""

from __future__ import annotations

import dataclasses

import click
import orjson

from scimaudit.cmd.common import FORMAT_OPTION, config_from
from scimaudit.collect.scim import recollect
from scimaudit.errors import RemediationError
from scimaudit.output import print_rows, to_json
from scimaudit.remediation import render
from scimaudit.remediation.apply import ApplySummary, apply_plan
from scimaudit.remediation.model import Plan
from scimaudit.remediation.plan import make_plan
from scimaudit.remediation.plan_store import list_plans, load_plan
from scimaudit.remediation.status import OperationStatus, operation_status
from scimaudit.remediation.verify import verify_plan
from scimaudit.store.connect import connect

_ACTOR = click.option(
    "--actor", default=None, help="Who is acting, for the record (default: cli:<login>)."
)
_PLAN_FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)


@click.group("remediate")
def command() -> None:
    """Remove revoked access in the apps through SCIM, then prove it is gone.

    plan → review → apply (dry run) → apply --execute → verify.
    """


def _show_plan(plan: Plan, fmt: str, max_operations: int) -> None:
    if fmt == "json":
        click.echo(orjson.dumps(render.plan_json(plan), option=orjson.OPT_INDENT_2).decode())
        return
    click.echo(render.plan_text(plan, max_operations))


@command.command("plan")
@click.option(
    "--campaign", "campaign_id", type=int, help="Plan a campaign's final revoke decisions."
)
@click.option(
    "--from-findings",
    "finding_kinds",
    default="",
    help="Also plan open findings of these kinds, comma-separated "
    "(e.g. terminated_active,orphaned_account).",
)
@click.option("--app", "apps", multiple=True, help="Only these apps (repeatable).")
@click.option(
    "--analysis-run", type=int, default=None, help="Findings from this run (default: latest)."
)
@_ACTOR
@_PLAN_FORMAT
@click.pass_context
def plan_cmd(
    ctx: click.Context,
    campaign_id: int | None,
    finding_kinds: str,
    apps: tuple[str, ...],
    analysis_run: int | None,
    actor: str | None,
    fmt: str,
) -> None:
    """Compute and store a plan of SCIM operations; print it with its id and SHA-256."""
    cfg = config_from(ctx)
    kinds = [k.strip() for k in finding_kinds.split(",") if k.strip()]
    plan = make_plan(
        cfg,
        campaign_id=campaign_id,
        finding_kinds=kinds,
        apps=apps,
        actor=actor,
        analysis_run_id=analysis_run,
    )
    _show_plan(plan, fmt, cfg.remediation.max_operations)


@command.command("show")
@click.argument("plan_id")
@_PLAN_FORMAT
@click.pass_context
def show_cmd(ctx: click.Context, plan_id: str, fmt: str) -> None:
    """Print a stored plan exactly as it was made."""
    cfg = config_from(ctx)
    with connect(cfg.store.path, lock_timeout=cfg.store.lock_timeout_seconds) as con:
        plan = load_plan(con, plan_id)
    _show_plan(plan, fmt, cfg.remediation.max_operations)


def _result_rows(summary: ApplySummary) -> list[dict[str, object]]:
    """The apply results as table rows, with server-supplied text made printable."""
    return [
        {
            "seq": r.seq,
            "app": r.app,
            "operation": render.printable(r.description),
            "outcome": r.outcome,
            "status": r.response_status,
            "detail": render.printable(r.detail or ""),
        }
        for r in summary.results
    ]


@command.command("apply")
@click.argument("plan_id")
@click.option("--sha256", "sha256", required=True, help="The plan's SHA-256, as printed by plan.")
@click.option(
    "--execute", is_flag=True, help="Really send the changes (default: dry run, reads only)."
)
@click.option("--max-ops", type=int, default=None, help="Raise the per-run operation limit.")
@_ACTOR
@_PLAN_FORMAT
@click.pass_context
def apply_cmd(
    ctx: click.Context,
    plan_id: str,
    sha256: str,
    execute: bool,
    max_ops: int | None,
    actor: str | None,
    fmt: str,
) -> None:
    """Apply a reviewed plan (by id and SHA-256). A dry run unless --execute."""
    cfg = config_from(ctx)
    summary = apply_plan(cfg, plan_id, sha256, execute=execute, max_ops=max_ops, actor=actor)
    if fmt == "json":
        click.echo(to_json([dataclasses.asdict(summary) | {"ok": summary.ok}]))
    else:
        label = "DRY RUN (nothing changed)" if not execute else "EXECUTED"
        click.echo(f"{label}: plan {plan_id}, run {summary.run_id}")
        if summary.results:
            print_rows(_result_rows(summary), "table")
        counts = ", ".join(f"{n} {k}" for k, n in sorted(summary.counts.items())) or "none"
        click.echo(
            f"outcomes: {counts}; done by earlier runs: {summary.settled_before}; "
            f"requests: {summary.requests} ({summary.retries} retried)"
        )
        if not execute and summary.counts.get("would_apply"):
            click.echo(f"To apply: scimaudit remediate apply {plan_id} --sha256 {sha256} --execute")
    if not summary.ok:
        raise RemediationError(
            f"plan {plan_id}: {summary.counts.get('failed', 0)} operation(s) failed and "
            f"{len(summary.not_attempted)} not attempted; fix the cause and re-run apply "
            "(operations already done are not repeated)"
        )


@command.command("verify")
@click.argument("plan_id")
@click.option(
    "--no-collect",
    is_flag=True,
    help="Use the apps' current snapshots (taken after the apply) instead of collecting now.",
)
@_ACTOR
@_PLAN_FORMAT
@click.pass_context
def verify_cmd(
    ctx: click.Context, plan_id: str, no_collect: bool, actor: str | None, fmt: str
) -> None:
    """Re-collect the changed apps and mark each applied operation verified or still present."""
    cfg = config_from(ctx)
    summary = verify_plan(cfg, plan_id, recollect=None if no_collect else recollect, actor=actor)
    if fmt == "json":
        click.echo(to_json([dataclasses.asdict(summary) | {"ok": summary.ok}]))
    else:
        rows = [dataclasses.asdict(r) for r in summary.results]
        if rows:
            print_rows(rows, "table", columns=["seq", "app", "description", "outcome", "detail"])
        counts = ", ".join(f"{n} {k}" for k, n in sorted(summary.counts.items())) or "none"
        click.echo(f"plan {plan_id}: {counts}")
        for app, problem in sorted(summary.collection_errors.items()):
            click.echo(f"  {app}: {problem}", err=True)
    if not summary.ok:
        raise RemediationError(
            f"plan {plan_id}: not every applied operation is verified gone "
            f"({summary.counts.get('still_present', 0)} still present, "
            f"{summary.counts.get('not_checked', 0)} not checked)"
        )


@command.command("status")
@click.argument("plan_id", required=False)
@click.option("--campaign", "campaign_id", type=int, default=None, help="Only this campaign.")
@click.option("--app", default=None, help="Only this app.")
@FORMAT_OPTION
@click.pass_context
def status_cmd(
    ctx: click.Context, plan_id: str | None, campaign_id: int | None, app: str | None, fmt: str
) -> None:
    """Where each requested revocation stands: requested → applied → verified.

    Without PLAN_ID, --campaign or --app: the list of plans.
    """
    cfg = config_from(ctx)
    with connect(cfg.store.path, lock_timeout=cfg.store.lock_timeout_seconds) as con:
        if plan_id is None and campaign_id is None and app is None:
            plans = [dataclasses.asdict(p) for p in list_plans(con)]
            print_rows(
                plans,
                fmt,
                columns=["plan_id", "created_at", "created_by", "op_count", "excluded_count"],
            )
            return
        rows = operation_status(con, plan_id=plan_id, campaign_id=campaign_id, app=app)
    if fmt != "table":
        print_rows([r.as_dict() for r in rows], fmt)
        return
    table = [_status_row(r) for r in rows]
    if plan_id is not None:  # one plan: its id is known, give the room to the detail
        table = [{k: v for k, v in row.items() if k != "plan"} for row in table]
    print_rows(table, "table")


def _status_row(r: OperationStatus) -> dict[str, object]:
    """The narrow terminal view of one status row (json/csv carry every field)."""
    who = r.user_name or r.account_id
    access = f"{who} in {r.group_name}" if r.group_name else f"{who} (account)"
    asked = (
        f"campaign {r.campaign_id} item {r.item_id}"
        if r.source_kind == "campaign"
        else f"finding {r.finding_kind}"
    )
    return {
        "plan": r.plan_id,
        "seq": r.seq,
        "app": r.app,
        "access": render.printable(access),
        "asked by": asked,
        "state": r.state,
        "since": r.verified_at or r.applied_at or r.requested_at,
        "detail": render.printable(r.detail or ""),
    }
