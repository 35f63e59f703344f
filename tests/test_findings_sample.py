"""The sample organisation (sample_data/): every planted case found, nothing else, no clean case.

The store is built without servers (tests/sample_store.py): HR and sign-ins through their
importers, apps as SCIM list-response pages staged by the collector's own SQL.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from sample_store import SAMPLE, build_sample_store, land_app, manifest, noon, sample_config
from scimaudit.analytics.results import latest_findings
from scimaudit.analytics.runner import run_analysis
from scimaudit.config import Config
from scimaudit.store.connect import connect

AS_OF = date.fromisoformat(manifest()["as_of"])


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Config, list[dict[str, Any]]]:
    tmp = tmp_path_factory.mktemp("sample")
    config = sample_config(tmp)
    build_sample_store(config)
    run_analysis(config, as_of=AS_OF)
    with connect(config.store.path, read_only=True) as con:
        return config, latest_findings(con)


def test_every_planted_case_is_found(sample: tuple[Config, list[dict[str, Any]]]) -> None:
    _, findings = sample
    found = {(f["kind"], f["app"], f["user_name"]) for f in findings}
    planted = {(p["kind"], p["app"], p["user_name"]) for p in manifest()["planted"]}
    assert planted - found == set()


def test_nothing_but_the_planted_cases_is_found(
    sample: tuple[Config, list[dict[str, Any]]],
) -> None:
    _, findings = sample
    planted = {(p["kind"], p["app"], p["user_name"]) for p in manifest()["planted"]}
    extra = [f for f in findings if (f["kind"], f["app"], f["user_name"]) not in planted]
    assert extra == []


def test_no_clean_lookalike_is_flagged(sample: tuple[Config, list[dict[str, Any]]]) -> None:
    _, findings = sample
    clean = {(c["app"], c["user_name"]) for c in manifest()["clean"]}
    assert [f for f in findings if (f["app"], f["user_name"]) in clean] == []


def test_planted_groups_and_details(sample: tuple[Config, list[dict[str, Any]]]) -> None:
    _, findings = sample
    by_key: dict[tuple[str, str, str], set[str]] = {}
    for f in findings:
        for group in (f["group_name"] or "").split(", "):
            by_key.setdefault((f["kind"], f["app"], f["user_name"]), set()).add(group)
    for p in manifest()["planted"]:
        if p["groups"] and p["kind"] in ("role_drift", "privileged_account", "sod_conflict"):
            assert set(p["groups"]) <= by_key[(p["kind"], p["app"], p["user_name"])], p
    terminated = {
        (f["app"], f["user_name"]): f for f in findings if f["kind"] == "terminated_active"
    }
    for p in manifest()["planted"]:
        if p["kind"] == "terminated_active":
            # the SLA is judged at the exact collection time (noon of the sample date): the
            # "within_sla" leaver (24 h at 00:00 of the sample date) was collected past it
            ev = terminated[(p["app"], p["user_name"])]["evidence"]
            assert ev["sla_breached"] is True, p
            assert ev["collected_at"] > ev["deprovision_deadline"], p
    drift = {(f["app"], f["user_name"]): f for f in findings if f["kind"] == "role_drift"}
    for p in manifest()["planted"]:
        if p["kind"] == "role_drift" and p["subkind"] == "mover":
            assert drift[(p["app"], p["user_name"])]["evidence"]["basis"] == "mover"
    owners = {
        f["user_name"]: f["employee_id"] for f in findings if f["kind"] == "service_owner_left"
    }
    for p in manifest()["planted"]:
        if p["kind"] == "service_owner_left":
            assert owners[p["user_name"]] == p["employee_id"]


def test_ehr_staleness_is_not_assessable(sample: tuple[Config, list[dict[str, Any]]]) -> None:
    config, _ = sample
    with connect(config.store.path, read_only=True) as con:
        row = con.execute(
            "SELECT tested, not_assessable FROM finding_population p"
            " JOIN (SELECT max(run_id) AS run_id FROM analysis_run) r USING (run_id)"
            " WHERE kind = 'stale_access' AND app = 'ehr'"
        ).fetchone()
    assert row is not None and row[0] == 0 and row[1] > 0


def test_a_later_partial_pull_changes_nothing(tmp_path: Path) -> None:
    config = sample_config(tmp_path)
    ids = build_sample_store(config)
    first = run_analysis(config, as_of=AS_OF)
    # a failed pull of chat later the same day, from an empty directory's worth of pages
    empty = tmp_path / "empty_app"
    empty.mkdir()
    (empty / "users.json").write_text("[]")
    (empty / "groups.json").write_text("[]")
    failed = land_app(config, "chat", empty, noon(AS_OF) + timedelta(hours=1), status="failed")
    second = run_analysis(config, as_of=AS_OF)
    assert second.snapshot_ids["app:chat"] == ids["chat"]
    assert any(f"newest snapshot {failed} not used" in n for n in second.notes)
    with connect(config.store.path, read_only=True) as con:
        a = latest_findings(con, run_id=first.run_id)
        b = latest_findings(con, run_id=second.run_id)
        used = con.execute(
            "SELECT count(*) FROM finding WHERE list_contains(snapshot_ids, ?)", [failed]
        ).fetchone()
    assert [f["finding_key"] for f in a] == [f["finding_key"] for f in b]
    assert used == (0,)
    assert SAMPLE.is_dir()
