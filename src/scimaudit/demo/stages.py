"""The demo's stages after the servers are up: each calls the same library function a user's
command would, and prints one line of outcome."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from rich.table import Table

from scimaudit.analytics.runner import run_analysis
from scimaudit.collect.activity import import_activity
from scimaudit.collect.hr import import_hr
from scimaudit.collect.scim import collect_apps, recollect
from scimaudit.config import Config
from scimaudit.dashboard_process import start_dashboard
from scimaudit.demo.dashboard_users import demo_dashboard_users, start_demo_campaign
from scimaudit.demo.loopback import find_free_port
from scimaudit.demo.run import DemoRun, previous_hr_as_of
from scimaudit.demo.scim2_server import Scim2ServerProcess
from scimaudit.errors import CollectionError, RemediationError
from scimaudit.remediation import apply_plan, make_plan, verify_plan
from scimaudit.reporting.build import build_report
from scimaudit.reporting.verify import require_ok, verify_pack
from scimaudit.review.decisions import decide, keep_all_unflagged, sign_off
from scimaudit.review.queries import my_queue
from scimaudit.webauth.signin import authenticate_password


def import_hr_history(run: DemoRun, config: Config, today: date) -> None:
    """HR as it was 60 days ago (for movers), then today's export, then the sign-in export."""
    with run.step("Import the HR export (60 days ago and today) and the sign-in export") as notes:
        before = import_hr(
            config, path=run.data_dir / "hr_previous.csv", as_of=previous_hr_as_of(today)
        )
        now = import_hr(config, as_of=datetime.now(UTC))
        notes.append(f"HR snapshots {before.snapshot_id} ({before.imported} people, 60 days ago)")
        notes.append(f"{now.snapshot_id} ({now.imported} people, today)")
        for activity in config.activity:
            result = import_activity(config, activity)
            notes.append(f"sign-ins snapshot {result.snapshot_id} ({result.imported} rows)")
        run.result.outputs["hr_snapshot"] = now.snapshot_id


def collect_apps_stage(run: DemoRun, config: Config, today: date) -> None:
    """Pull every app through the real collector; a failed app stops the demo with its reason."""
    with run.step("Collect Users and Groups from every app over SCIM") as notes:
        results = collect_apps(config, progress=False)
        failed = [r for r in results if r.status != "complete"]
        for r in results:
            notes.append(
                f"{r.app} {r.counts.get('users', 0)} users/{r.counts.get('groups', 0)} groups"
            )
        if failed:
            raise CollectionError(
                "demo collection failed: " + "; ".join(f"{r.app}: {r.error}" for r in failed)
            )


def analyze_stage(run: DemoRun, config: Config, today: date) -> None:
    """Correlate and find; print the summary a security analyst would read first."""
    with run.step("Correlate accounts to people and run every finding") as notes:
        summary = run_analysis(config, as_of=today)
        notes.append(
            f"run {summary.run_id}: {summary.accounts} accounts, {summary.linked} linked, "
            f"{summary.service} service, {summary.unmatched} unmatched; "
            f"{summary.open_findings} open findings"
        )
    table = Table(title=f"Findings as of {today}", header_style="bold")
    table.add_column("kind")
    table.add_column("open", justify="right")
    table.add_column("exempted", justify="right")
    for kind, (open_, exempted) in summary.by_kind().items():
        table.add_row(kind, str(open_), str(exempted))
    run.console.print(table)
    run.result.outputs["analysis_run"] = summary.run_id
    run.result.outputs["open_findings"] = summary.open_findings


def reanalyze_stage(run: DemoRun, config: Config, today: date) -> None:
    """Analyze again on the re-collected apps: revoked access shows up as resolved findings."""
    with run.step("Analyze again after remediation") as notes:
        before = run.result.outputs.get("analysis_run")
        summary = run_analysis(config, as_of=today)
        notes.append(
            f"run {summary.run_id}: {summary.open_findings} open findings"
            + (f" (run {before} had {run.result.outputs.get('open_findings')})" if before else "")
        )
        run.result.outputs["analysis_run"] = summary.run_id


def reports_stage(run: DemoRun, config: Config, today: date) -> None:
    """SOX and HIPAA evidence packs, verified right after they are written."""
    out = run.out_dir / "reports"
    with run.step("Write the SOX and HIPAA evidence packs (PDF/A-3b) and verify them") as notes:
        for kind in ("sox", "hipaa"):
            result = build_report(
                config, kind, as_of=today, period_start=None, period_end=None, out_dir=out
            )
            require_ok(verify_pack(result.pdf_path, store_path=config.store.path))
            run.result.outputs[f"{kind}_pdf"] = result.pdf_path
            notes.append(f"{kind.upper()} {result.pages} pages, {result.exceptions} exceptions")


def review_stage(run: DemoRun, config: Config, today: date) -> Config:
    """Start a campaign, let one manager decide and sign off (revoking what findings flag)."""
    with run.step("Start an access review and let one manager certify their team") as notes:
        campaign_id = start_demo_campaign(config)
        users = demo_dashboard_users(config, campaign_id=campaign_id)
        dashboard_users = [
            {"email": u.email, "role": u.role, "password_hash": u.password_hash} for u in users
        ]
        config = run.rewrite_config(dashboard_users)
        manager = next(u for u in users if u.role == "manager")
        actor = authenticate_password(config, manager.email, manager.password)
        queue = my_queue(config, actor, campaign_id).items
        revoke = queue[queue["recommendation"] == "revoke"]["item_id"].astype(int).tolist()
        if revoke:
            decide(config, actor, campaign_id, revoke, "revoke", "demo: finding confirmed")
        flagged_keep = queue[queue["flagged"] & (queue["recommendation"] != "revoke")]
        if len(flagged_keep):
            ids = flagged_keep["item_id"].astype(int).tolist()
            decide(config, actor, campaign_id, ids, "keep", "demo: needed for current duties")
        keep_all_unflagged(config, actor, campaign_id)
        sign_off(config, actor, campaign_id)
        run.result.outputs.update(campaign_id=campaign_id, demo_users=users)
        notes.append(
            f"campaign {campaign_id}: {manager.email} decided {len(queue)} items "
            f"({len(revoke)} revoked) and signed off"
        )
    return config


def remediation_stage(run: DemoRun, config: Config, today: date) -> None:
    """Plan the campaign's revocations, apply them over SCIM, re-collect and verify."""
    campaign_id = run.result.outputs.get("campaign_id")
    with run.step("Apply the campaign's revocations through SCIM and verify them") as notes:
        plan = make_plan(config, campaign_id=campaign_id, actor="demo")
        if not plan.operations:
            notes.append("no revocations to apply")
            return
        applied = apply_plan(config, plan.plan_id, plan.sha256, execute=True, actor="demo")
        verified = verify_plan(config, plan.plan_id, recollect=recollect, actor="demo")
        if not (applied.ok and verified.ok):
            raise RemediationError(
                f"demo remediation did not verify: applied {applied.counts}, "
                f"verified {verified.counts}"
            )
        notes.append(
            f"plan {plan.plan_id}: {len(plan.operations)} operations; applied {applied.counts}; "
            f"verified {verified.counts}"
        )
        run.result.outputs["plan_id"] = plan.plan_id


def dashboard_check_stage(run: DemoRun, config: Config, today: date) -> None:
    """Start the dashboard, check it answers, stop it (``--serve`` keeps it up instead)."""
    with run.step("Start the dashboard and check it answers") as notes:
        port = find_free_port()
        proc = start_dashboard(config, port=port, log=run.out_dir / "dashboard.log")
        try:
            notes.append(f"healthy on http://127.0.0.1:{port}")
        finally:
            proc.terminate()
            proc.wait(15)


ServeHook = Callable[[DemoRun, Config, Scim2ServerProcess], None]
Stage = Callable[[DemoRun, Config, date], Config | None]
