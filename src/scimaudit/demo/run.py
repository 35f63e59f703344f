"""``scimaudit demo``: every stage of the product on real loopback SCIM servers and sample data.

Steps: generate the sample organisation for today → start scim2-server (one tenant per app) on
127.0.0.1 → seed it → write a real config → import HR (60 days ago and today) and the sign-in
export → collect every app → analyze → evidence packs → a review campaign → remediation of its
revocations. Every server is a child process stopped on exit, so nothing is left behind unless
``--serve`` asks to keep the servers and the dashboard up until Ctrl-C.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console

from scimaudit.config import Config, load_config
from scimaudit.demo import demo_config
from scimaudit.demo.sample import APPS, generate_for
from scimaudit.demo.scim2_server import Scim2ServerProcess
from scimaudit.demo.seed import seed_from_sample_dir


@dataclass
class DemoResult:
    """What the demo did and where its outputs are."""

    out_dir: Path
    config_path: Path
    store_path: Path
    steps: list[tuple[str, float, str]] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)


class DemoRun:
    """One demo run: holds the console, timings and outputs of each step."""

    def __init__(self, out_dir: Path, sample_dir: Path, console: Console) -> None:
        self.out_dir = out_dir.resolve()
        self.sample_dir = sample_dir
        self.console = console
        self.data_dir = self.out_dir / "sample_data"
        self.app_urls: dict[str, str] = {}
        self.result = DemoResult(
            out_dir=self.out_dir,
            config_path=self.out_dir / "scimaudit.toml",
            store_path=self.out_dir / "scimaudit.duckdb",
        )

    @contextmanager
    def step(self, title: str) -> Iterator[list[str]]:
        """Time one step and print its one-line outcome (the caller appends it)."""
        notes: list[str] = []
        started = time.perf_counter()
        self.console.print(f"[bold]•[/bold] {title} …")
        yield notes
        elapsed = time.perf_counter() - started
        summary = "; ".join(notes)
        self.result.steps.append((title, elapsed, summary))
        self.console.print(
            f"  [green]done[/green] in {elapsed:.1f}s{': ' + summary if summary else ''}"
        )

    def prepare(self, today: date) -> None:
        """Drop a previous demo store, then generate the sample organisation as of ``today``."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        for stale in (self.result.store_path, self.result.store_path.with_suffix(".duckdb.wal")):
            stale.unlink(missing_ok=True)
        with self.step(f"Generate the sample organisation as of {today}") as notes:
            generate_for(self.sample_dir, self.data_dir, today)
            notes.append(f"files in {self.data_dir}")

    def start_servers(self) -> Scim2ServerProcess:
        """Start scim2-server with one tenant per app and seed each tenant from the sample data.

        The bearer token is random per run and reaches the config only as an environment variable.
        If seeding fails the server is stopped before the error propagates.
        """
        token = secrets.token_urlsafe(24)
        os.environ[demo_config.TOKEN_ENV] = token
        server = Scim2ServerProcess(list(APPS), token=token)
        with self.step(f"Start scim2-server on 127.0.0.1 with tenants {', '.join(APPS)}") as notes:
            server.start()
            notes.append(server.origin)
        try:
            with self.step("Seed each app from the sample data (SCIM POST /Bulk)") as notes:
                for app in APPS:
                    app_dir = self.data_dir / "apps" / app
                    ids = seed_from_sample_dir(server.base_url(app), token, app_dir)
                    notes.append(f"{app} {len(ids)} users")
        except BaseException:
            server.stop()
            raise
        return server

    def write_config(self, server: Scim2ServerProcess) -> Config:
        """Point the demo config at the running server's tenants; return it loaded."""
        self.app_urls = {app: server.base_url(app) for app in APPS}
        return self.rewrite_config(None)

    def rewrite_config(self, dashboard_users: list[dict[str, str]] | None) -> Config:
        """(Re)write the demo config, e.g. once dashboard users are known; return it loaded."""
        cfg = demo_config.build(
            data_dir=self.data_dir,
            store_path=self.result.store_path,
            app_urls=self.app_urls,
            dashboard_users=dashboard_users,
        )
        demo_config.write(self.result.config_path, cfg)
        return load_config(self.result.config_path)


Stage = Callable[["DemoRun", Config, date], Config | None]


def run_demo(
    *,
    out_dir: Path,
    sample_dir: Path,
    console: Console,
    stages: list[Stage],
    serve: Callable[[DemoRun, Config, Scim2ServerProcess], None] | None = None,
    today: date | None = None,
) -> DemoResult:
    """Run the demo end to end; servers are stopped on return unless ``serve`` blocks first."""
    day = today or datetime.now(UTC).date()
    run = DemoRun(out_dir, sample_dir, console)
    run.prepare(day)
    server = run.start_servers()
    try:
        config = run.write_config(server)
        for stage in stages:
            config = stage(run, config, day) or config
        if serve is not None:
            serve(run, config, server)
    finally:
        server.stop()
    return run.result


def previous_hr_as_of(today: date) -> datetime:
    """When the previous HR export (``hr_previous.csv``) describes the organisation."""
    return datetime.combine(today - timedelta(days=60), datetime.min.time(), tzinfo=UTC)
