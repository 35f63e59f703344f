"""Issue 16 item 4: the leaver test is re-performable from the attachments alone.

``leavers.csv`` must reconcile to HR's leavers of the period (computed here independently, from
the HR rows in the store, not from the report code), include leavers whose account was never seen,
and every pack must sample its own population with a seed a reader can recompute.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from report_support import build_store, make_config
from scimaudit.config import Config
from scimaudit.reporting.context import Caps, StoreFacts, gather_facts
from scimaudit.reporting.leaver_file import NO_ACCOUNT, LeaverFile, reconcile
from scimaudit.reporting.population import sha256_file
from scimaudit.reporting.sampling import LEAVER_ACCOUNTS, PRIVILEGED, rederive, reference_code
from scimaudit.reporting.spec import load_spec
from scimaudit.store.connect import connect

PERIOD = (date(2024, 4, 2), date(2024, 6, 30))


def _facts(config: Config, kind: str, work: Path) -> StoreFacts:
    with connect(config.store.path, read_only=True) as con:
        return gather_facts(
            con,
            config,
            load_spec(kind),
            as_of=None,
            period_start=None,
            period_end=None,
            work_dir=work,
            caps=Caps(),
            sample_size=config.report.sample_size,
        )


@pytest.fixture
def store(tmp_path: Path) -> Config:
    """The tiny store plus Fay (E6), terminated in the period, whose account was never seen."""
    config = make_config(tmp_path)
    build_store(config.store.path)
    with connect(config.store.path) as con:
        con.execute(
            "INSERT INTO employee (snapshot_id, employee_id, first_name, last_name, status,"
            " status_raw, worker_type, termination_date, line_no)"
            " VALUES (1, 'E6', 'Fay', 'Nowhere', 'terminated', 'Terminated', 'employee',"
            " DATE '2024-06-12', 6)"
        )
    return config


def _hr_leavers(config: Config) -> set[str]:
    """HR's leavers of the period, straight from the HR rows (independent of the report SQL)."""
    with connect(config.store.path, read_only=True) as con:
        rows = con.execute(
            "SELECT employee_id, worker_type, termination_date, contract_end_date FROM employee"
            " WHERE snapshot_id = 1"
        ).fetchall()
    start, end = PERIOD
    out = set()
    for eid, wtype, term, cend in rows:
        left = term if term is not None else (cend if wtype == "contractor" else None)
        if left is not None and start <= left <= end:
            out.add(eid)
    return out


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("kind", ["leavers", "sox", "hipaa"])
def test_leavers_csv_reconciles_to_hr_leavers_of_the_period(
    store: Config, tmp_path: Path, kind: str
) -> None:
    facts = _facts(store, kind, tmp_path)
    assert facts.leaver_file is not None
    rows = _read(facts.leaver_file.csv_path)
    expected = _hr_leavers(store)
    assert expected == {"E2", "E3", "E4", "E6"}
    assert {r["employee_id"] for r in rows} == expected
    # every leaver has a row for every in-scope app, found or not
    assert {(r["employee_id"], r["app"]) for r in rows} == {
        (e, a) for e in expected for a in facts.scope.apps
    }
    fay = [r for r in rows if r["employee_id"] == "E6"]
    assert fay and all(r["outcome"] == NO_ACCOUNT and r["account_id"] == "" for r in fay)
    check = next(c for c in facts.checks if c.source == "leavers.csv")
    assert check.passed and check.expected == check.actual == str(len(expected))
    assert facts.leaver_file.leavers_without_any_account >= 1


def test_leavers_csv_shows_status_at_each_snapshot_and_the_removal_as_phrased(
    store: Config, tmp_path: Path
) -> None:
    facts = _facts(store, "hipaa", tmp_path)
    assert facts.leaver_file is not None
    rows = {(r["app"], r["account_id"]): r for r in _read(facts.leaver_file.csv_path)}
    dan = rows[("ehr", "e-dan")]
    assert dan["status_by_snapshot"] == "2024-06-01 06:00 active; 2024-06-30 06:00 inactive"
    assert dan["removal"] == "no later than lastModified 2024-06-21 10:00 UTC"
    assert dan["removed_no_later_than"] == "2024-06-21 10:00 UTC"
    carol = rows[("ehr", "e-carol")]
    assert carol["status_by_snapshot"] == "2024-06-01 06:00 active; 2024-06-30 06:00 absent"
    assert carol["removal"].startswith("between snapshots 2024-06-01 06:00 UTC and")
    # every judged account case of the pack is in the file, with the same verdict
    for case in facts.leavers.cases:
        assert rows[(case.app, case.account_id)]["outcome"] == case.outcome


def test_a_dropped_leaver_fails_the_reconciliation() -> None:
    short = LeaverFile(Path("x"), "", 3, 3, 4, 3, 0, 0)
    check = reconcile(short)
    assert not check.passed and (check.expected, check.actual) == ("4", "3")


def test_hr_extract_is_attached_with_its_origin(store: Config, tmp_path: Path) -> None:
    facts = _facts(store, "leavers", tmp_path)
    hx = facts.hr_extract
    assert hx is not None
    assert hx.file_name == "hr.csv"
    assert hx.original_sha256 == "a1" * 32
    assert hx.people == 6 and len(_read(hx.csv_path)) == 6
    assert hx.sha256 == sha256_file(hx.csv_path)
    # as-of 00:00, import started 05:00: an as-of given at import, not the import time
    assert not hx.as_of_is_import_time


def test_leavers_pack_samples_leaver_accounts_with_a_recomputable_seed(
    store: Config, tmp_path: Path
) -> None:
    facts = _facts(store, "leavers", tmp_path)
    assert facts.leaver_file is not None
    frame_csv = facts.leaver_file.csv_path
    s = facts.sample
    assert s.frame is LEAVER_ACCOUNTS and s.seed == sha256_file(frame_csv)
    with_account = {(r["app"], r["account_id"]) for r in _read(frame_csv) if r["account_id"]}
    drawn = [(r["app"], r["account_id"]) for r in s.rows]
    assert s.population_rows == len(with_account) == 3
    assert set(drawn) <= with_account and len(drawn) == 3
    assert drawn == rederive(frame_csv, 4, LEAVER_ACCOUNTS)
    # the printed code, run as printed, gives the same sample
    scope: dict[str, object] = {}
    exec(reference_code(LEAVER_ACCOUNTS), scope)  # noqa: S102 - the code the page prints
    printed = scope["sample"](str(frame_csv), 4)  # type: ignore[operator]
    assert [(r["app"], r["account_id"]) for r in printed] == drawn


def test_privileged_pack_samples_only_privileged_accounts(store: Config, tmp_path: Path) -> None:
    facts = _facts(store, "privileged", tmp_path)
    s = facts.sample
    assert s.frame is PRIVILEGED and s.seed == facts.population.sha256
    privileged = [r for r in _read(facts.population.csv_path) if r["privileged"] == "true"]
    assert s.population_rows == len(privileged) == facts.population.privileged
    assert [(r["app"], r["account_id"]) for r in s.rows] == rederive(
        facts.population.csv_path, 4, PRIVILEGED
    )
    assert all(r["privileged"] for r in s.rows)
    assert facts.leaver_file is None  # the privileged pack has no leavers test
