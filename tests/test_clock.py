"""Decisions come from the as-of date, never from the day the code runs.

An exemption in force on a pack's as-of date is risk-accepted in that pack whenever the pack is
produced, years later included; and the clock guard (``make test-clock``) really moves the clock of
every process it runs, or it would prove nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import orjson
import pytest
import time_machine

from sample_store import build_sample_store, manifest, sample_toml
from scimaudit.analytics.results import latest_findings
from scimaudit.analytics.runner import run_analysis
from scimaudit.config import Config, load_config
from scimaudit.reporting.build import build_report
from scimaudit.reporting.spec import load_spec
from scimaudit.store.connect import connect
from sqlunit import World, account, person

AS_OF = date.fromisoformat(manifest()["as_of"])
YEARS_LATER = datetime(AS_OF.year + 5, 3, 1, 9, 0, tzinfo=UTC)
UNDER_FAKETIME = "faketime" in os.environ.get("LD_PRELOAD", "") and "FAKETIME" in os.environ


def test_exemption_follows_the_analysis_date_not_the_clock() -> None:
    w = World()
    w.hr([person("E1", "Ad", "Min")])
    exemption = {
        "kind": "privileged_account",
        "app": "code",
        "account": "ad.min@example.com",
        "owner": "CISO",
        "reason": "on-call admin",
        "expires": "2026-06-30",
    }
    policy = {"exemptions": [exemption]}
    with time_machine.travel(datetime(2031, 1, 1, tzinfo=UTC), tick=False):
        w.app(
            "code",
            [account("a1", "ad.min@example.com", groups=["admins"])],
            as_of="2026-05-01",
            privileged_groups=["admins"],
        )
        w.analyze(as_of="2026-06-01", policy=policy)
        (in_force,) = w.findings("privileged_account")
        w.analyze(as_of="2026-07-01", policy=policy)
        (lapsed,) = w.findings("privileged_account")
    assert in_force["status"] == "exempted" and in_force["exemption"]["expired"] is False
    assert lapsed["status"] == "open" and lapsed["exemption"]["expired"] is True


def _exempted_config(tmp: Path, finding: dict[str, object], expires: date) -> Config:
    """The sample config plus one exemption for ``finding``, valid on the as-of date only."""
    text = sample_toml(tmp) + (
        "\n[[policy.exemptions]]\n"
        f'kind = "{finding["kind"]}"\napp = "{finding["app"]}"\n'
        f'account = "{finding["user_name"]}"\nowner = "ciso@example.com"\n'
        f'reason = "accepted for the audit period"\nexpires = "{expires.isoformat()}"\n'
    )
    path = tmp / "exempted.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


@pytest.mark.slow
def test_pack_generated_years_later_shows_the_exemption_as_on_its_as_of(tmp_path: Path) -> None:
    base = load_config(_write(tmp_path, sample_toml(tmp_path)))
    build_sample_store(base)
    spec = load_spec("sox")
    run_analysis(base, as_of=AS_OF)
    with connect(base.store.path, read_only=True) as con:
        candidates = [
            f
            for f in latest_findings(con, status="open")
            if f["kind"] in spec.exception_kinds and f["app"] and f["user_name"]
        ]
    target = sorted(candidates, key=lambda f: (str(f["kind"]), str(f["user_name"])))[0]
    expires = AS_OF + timedelta(days=30)
    config = _exempted_config(tmp_path, target, expires)

    with time_machine.travel(YEARS_LATER, tick=True):
        run_analysis(config, as_of=AS_OF)
        pack = build_report(  # forced: the server-less sample store has no received counts
            config,
            "sox",
            as_of=AS_OF,
            period_start=None,
            period_end=None,
            out_dir=tmp_path / "out",
            force=True,
        )
    body = orjson.loads(pack.manifest_path.read_bytes())
    assert str(body["report"]["generated_at"]).startswith(
        str(YEARS_LATER.year)
    )  # the clock did move
    text = subprocess.run(
        ["pdftotext", str(pack.pdf_path), "-"], capture_output=True, text=True, check=True
    ).stdout
    squeezed = "".join(text.split())  # narrow cells wrap an address anywhere
    assert f"risk-acceptedbyciso@example.com,expires{expires.isoformat()}" in squeezed


def _write(tmp: Path, text: str) -> Path:
    path = tmp / "scimaudit.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.skipif(not UNDER_FAKETIME, reason="runs under `make test-clock` (libfaketime) only")
def test_the_clock_guard_moves_every_clock() -> None:
    real = subprocess.run(
        ["date", "-u", "+%s"],
        env={k: v for k, v in os.environ.items() if k != "LD_PRELOAD"},
        capture_output=True,
        text=True,
        check=True,
    )
    real_today = datetime.fromtimestamp(int(real.stdout), UTC).date()
    today = datetime.now(UTC).date()
    assert (today - real_today).days >= 300, (today, real_today)
    assert duckdb.sql("SELECT current_date").fetchall() == [(today,)]
    child = subprocess.run(
        [sys.executable, "-c", "import datetime as d; print(d.datetime.now(d.UTC).date())"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert date.fromisoformat(child.stdout.strip()) == today
    started = time.monotonic()
    time.sleep(0.05)  # tests/faketime/sitecustomize.py: libfaketime's sleep would fail here
    assert 0.04 <= time.monotonic() - started < 5
    with time_machine.travel(datetime(2026, 1, 1, tzinfo=UTC), tick=False):
        assert date.today() == date(2026, 1, 1)  # a test that sets its own clock still wins
