"""End to end: sample organisation on real loopback SCIM servers → collect → analyze → SOX and HIPAA
packs → verify; the figures printed in the PDFs equal the store's (slow: servers and PDFs)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import UTC, date, datetime, time
from pathlib import Path

import orjson
import pytest
import time_machine
from rich.console import Console

from report_support import epoch_after_data
from scimaudit.analytics.runner import run_analysis
from scimaudit.collect.scim.collector import collect_apps
from scimaudit.demo.run import DemoRun
from scimaudit.demo.sample import default_sample_dir
from scimaudit.demo.stages import import_hr_history
from scimaudit.reporting.build import build_report
from scimaudit.reporting.spec import load_spec
from scimaudit.reporting.verify import verify_pack
from scimaudit.store.connect import connect

pytestmark = pytest.mark.slow


def _key_figures(pdf: Path) -> list[str]:
    """The row of key figures on page 1 (layout text: values on one line, labels below)."""
    page = subprocess.run(
        ["pdftotext", "-layout", "-l", "1", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.search(r"^\s*([\d,]+)\s+(\d+)\s+([\d,]+)\s+([\d,]+)\s+([\d.]+%)\s*$", page, re.M)
    assert found, page
    return list(found.groups())


def _text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    return " ".join(out.stdout.split())


def test_sox_and_hipaa_packs_from_the_sample_organisation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample = default_sample_dir()
    today = date.fromisoformat(orjson.loads((sample / "manifest.json").read_bytes())["as_of"])
    run = DemoRun(tmp_path / "demo", sample, Console(file=io.StringIO()))
    shutil.copytree(sample, run.data_dir)  # the committed organisation, pinned to its as-of date
    # The HR import and the collector stamp their snapshots with this process's clock: set it to
    # noon of the sample's as-of day, so the snapshots describe that day whatever day the test runs.
    # (The servers are subprocesses and keep the real clock; nothing here reads their time.)
    with time_machine.travel(datetime.combine(today, time(12), tzinfo=UTC), tick=True):
        server = run.start_servers()  # started and seeded; stopped below whatever happens
        try:
            config = run.write_config(server)
            import_hr_history(run, config, today)
            results = collect_apps(config)
        finally:
            server.stop()
    assert all(r.status == "complete" for r in results), [(r.app, r.status) for r in results]
    run_analysis(config, as_of=today)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch_after_data(config.store.path))

    for kind in ("sox", "hipaa"):
        spec = load_spec(kind)
        apps = sorted(a.name for a in config.apps if spec.framework in a.frameworks)
        pack = build_report(
            config,
            kind,
            as_of=today,
            period_start=None,
            period_end=None,
            out_dir=tmp_path / "packs",
        )
        assert pack.valid_as_evidence
        with connect(config.store.path, read_only=True) as con:
            run_id, accounts = con.execute(
                "SELECT max(run_id), (SELECT count(*) FROM identity_link l WHERE l.run_id ="
                " (SELECT max(run_id) FROM analysis_run) AND list_contains(?, l.app))"
                " FROM analysis_run",
                [apps],
            ).fetchone() or (None, None)
            open_exceptions = con.execute(
                "SELECT count(*) FROM finding WHERE run_id = ? AND status = 'open'"
                " AND list_contains(?, kind) AND (app IS NULL OR list_contains(?, app))",
                [run_id, list(spec.exception_kinds), apps],
            ).fetchone()
        assert pack.population_rows == accounts
        text = _text(pack.pdf_path)
        assert open_exceptions is not None
        figures = _key_figures(pack.pdf_path)  # accounts, apps, open exceptions, privileged, match
        assert figures[:3] == [f"{accounts:,}", str(len(apps)), f"{open_exceptions[0]:,}"]
        assert "The population is every account of the in-scope applications" in text
        assert f"population.csv, {accounts:,} rows" in text
        assert ", ".join(apps) in text
        manifest = orjson.loads(pack.manifest_path.read_bytes())
        assert manifest["scope"]["apps"] == apps
        assert manifest["analysis_run"]["run_id"] == run_id
        checked = verify_pack(pack.pdf_path, store_path=config.store.path)
        assert checked.ok, checked.failures
        assert {c.name for c in checked.checks if c.ok} >= {
            "store: population",
            "store: exceptions",
        }
