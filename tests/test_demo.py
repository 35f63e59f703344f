"""`scimaudit demo` end to end: the README's first command must work and leave nothing running."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.slow


def _scimaudit(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scimaudit", *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
    )


def test_demo_runs_every_stage_and_leaves_no_process(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    result = _scimaudit("demo", "--out", str(out))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    text = result.stdout
    for step in (
        "Seed each app",
        "Collect Users and Groups",
        "Correlate accounts",
        "SOX and HIPAA",
    ):
        assert step in text
    assert "Demo complete" in text
    # the findings summary is printed with every planted kind present
    for kind in ("orphaned_account", "terminated_active", "sod_conflict", "duplicate_account"):
        assert kind in text
    pdfs = sorted((out / "reports").glob("*.pdf"))
    assert {p.name.split("-")[0] for p in pdfs} >= {"SOX", "HIPAA"}
    # nothing left running: every server and the dashboard were children of the demo process
    leftovers = [
        p
        for p in psutil.process_iter(["cmdline"])
        if p.pid not in before and str(out) in " ".join(p.info["cmdline"] or [])
    ]
    assert leftovers == []

    # the stored snapshots answer queries after the servers are gone
    env = {**os.environ, "SCIMAUDIT_CONFIG": str(out / "scimaudit.toml")}
    findings = _scimaudit("findings", "--format", "json", env=env)
    assert findings.returncode == 0, findings.stderr
    rows = json.loads(findings.stdout)
    assert {"orphaned_account", "terminated_active"} <= {r["kind"] for r in rows}
    snaps = _scimaudit("snapshots", "--format", "json", env=env)
    assert snaps.returncode == 0, snaps.stderr
    complete = {s["source"] for s in json.loads(snaps.stdout) if s["status"] == "complete"}
    assert {"chat", "code", "erp", "ehr", "crm", "hr"} <= complete
    verify = _scimaudit("verify", str(pdfs[0]), env=env)
    assert verify.returncode == 0, verify.stdout + verify.stderr
