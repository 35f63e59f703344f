"""The demo's stages after the servers are up: each calls the same library function a user's
command would, and prints one line of outcome."""

from __future__ import annotations

from datetime import UTC, date, datetime

from scimaudit.collect.activity import import_activity
from scimaudit.collect.hr import import_hr
from scimaudit.config import Config
from scimaudit.demo.run import DemoRun, previous_hr_as_of


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
