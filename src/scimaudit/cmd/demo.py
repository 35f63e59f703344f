"""``scimaudit demo``: the one-command tour of the product on loopback servers and sample data."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import click
from rich.console import Console

from scimaudit.cmd.dashboard import start_dashboard
from scimaudit.config import Config
from scimaudit.demo import stages
from scimaudit.demo.dashboard_users import sign_in_instructions
from scimaudit.demo.run import DemoRun, run_demo
from scimaudit.demo.sample import default_sample_dir
from scimaudit.demo.scim2_server import Scim2ServerProcess, require_scim2_server

STAGES: list[stages.Stage] = [
    stages.import_hr_history,
    stages.collect_apps_stage,
    stages.analyze_stage,
    stages.review_stage,
    stages.remediation_stage,
    stages.reanalyze_stage,
    stages.reports_stage,
]


def _serve(port: int) -> stages.ServeHook:
    def serve(run: DemoRun, config: Config, server: Scim2ServerProcess) -> None:
        proc = start_dashboard(config, port=port, log=run.out_dir / "dashboard.log")
        url = f"http://127.0.0.1:{port}"
        run.console.print(sign_in_instructions(run.result.outputs.get("demo_users", []), url))
        run.console.print(
            f"SCIM servers: {server.origin} (tenants /<app>/v2). Ctrl-C stops everything."
        )
        try:
            while proc.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            run.console.print("stopping …")
        finally:
            proc.terminate()
            proc.wait(15)

    return serve


def cli_name() -> str:
    """How the user can call this scimaudit again: ``scimaudit`` when that is on PATH, else the
    script beside this interpreter (``.venv/bin/scimaudit`` in a checkout)."""
    script = Path(sys.executable).parent / "scimaudit"
    on_path = shutil.which("scimaudit")
    if on_path is not None and Path(on_path).resolve() == script.resolve():
        return "scimaudit"
    return str(script) if script.exists() else "scimaudit"


@click.command("demo")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-out"),
    show_default=True,
    help="Folder for the demo's config, store, sample data and reports (replaced each run).",
)
@click.option(
    "--sample-data",
    "sample_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Folder holding the sample-data generator generate.py (default: the one installed).",
)
@click.option("--serve", is_flag=True, help="Keep the SCIM servers and dashboard up until Ctrl-C.")
@click.option("--port", type=int, default=8501, show_default=True, help="Dashboard port (--serve).")
def command(out_dir: Path, sample_dir: Path | None, serve: bool, port: int) -> None:
    """Run the whole product on real loopback SCIM servers with the sample organisation.

    Generates the sample data for today, starts scim2-server (one tenant per app) on 127.0.0.1,
    seeds it, then imports HR, collects, analyzes, writes SOX and HIPAA packs, runs a review
    campaign and applies its revocations over SCIM. Leaves no process behind unless --serve.
    """
    require_scim2_server()  # before anything is written: say which extra to install
    console = Console()
    started = time.perf_counter()
    plan = [*STAGES, *([] if serve else [stages.dashboard_check_stage])]
    result = run_demo(
        out_dir=out_dir,
        sample_dir=sample_dir or default_sample_dir(),
        console=console,
        stages=plan,
        serve=_serve(port) if serve else None,
    )
    console.print(
        f"\n[bold green]Demo complete[/bold green] in {time.perf_counter() - started:.0f}s"
    )
    console.print(f"  config    {result.config_path}")
    console.print(f"  store     {result.store_path}")
    for key in ("sox_pdf", "hipaa_pdf"):
        if key in result.outputs:
            console.print(f"  {key[:-4].upper():<9} {result.outputs[key]}")
    console.print(
        f"  try       SCIMAUDIT_CONFIG={result.config_path} {cli_name()} findings"
        "   (servers are stopped; stored snapshots answer every query)"
    )
    if not serve:
        console.print(
            f"  dashboard `{cli_name()} demo --serve` (`make serve` in a checkout) keeps it all"
            " up to explore"
        )
