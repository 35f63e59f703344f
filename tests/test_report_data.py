"""Evidence-pack data without rendering: scope, specs, leaver verdicts, sampling, CSV safety.

Everything here reads the tiny store of ``report_support`` through the same functions the PDF uses,
so the figures a pack prints are tested quickly; rendering is covered by test_report_pdf.py (slow).
"""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from pathlib import Path

import jinja2
import pytest

from report_support import AS_OF, FORMULA, XSS, Expected, build_store, make_config, ts
from scimaudit.analytics.registry import KINDS
from scimaudit.config import Config
from scimaudit.errors import ReportError
from scimaudit.reporting import manifest
from scimaudit.reporting.build import build_report
from scimaudit.reporting.context import Caps, StoreFacts, gather_facts
from scimaudit.reporting.leavers import (
    BREACHED,
    INDETERMINATE,
    STILL_ACTIVE_BREACHED,
    WITHIN,
    judge,
)
from scimaudit.reporting.manifest import report_identity
from scimaudit.reporting.provenance import generation_time
from scimaudit.reporting.render import environment
from scimaudit.reporting.sampling import rederive
from scimaudit.reporting.spec import REPORT_KINDS, load_spec
from scimaudit.store.connect import connect


def _facts(config: Config, kind: str, work: Path, **dates: date | None) -> StoreFacts:
    with connect(config.store.path, read_only=True) as con:
        return gather_facts(
            con,
            config,
            load_spec(kind),
            as_of=dates.get("as_of"),
            period_start=dates.get("period_start"),
            period_end=dates.get("period_end"),
            work_dir=work,
            caps=Caps(),
            sample_size=config.report.sample_size,
        )


@pytest.fixture
def store(tmp_path: Path) -> Config:
    config = make_config(tmp_path)
    build_store(config.store.path)
    return config


def test_every_report_kind_has_a_valid_spec_with_controls() -> None:
    for kind in REPORT_KINDS:
        spec = load_spec(kind)
        assert spec.controls, kind
        assert spec.exception_kinds, kind
        known = {k.id for k in KINDS}
        for control in spec.controls:
            assert set(control.finding_kinds) <= known, (kind, control.id)


def test_hipaa_spec_covers_the_required_sections() -> None:
    ids = {c.id for c in load_spec("hipaa").controls}
    assert ids >= {
        "164.308(a)(1)(ii)(D)",
        "164.308(a)(3)(ii)(B)",
        "164.308(a)(3)(ii)(C)",
        "164.308(a)(4)(ii)(B)",
        "164.308(a)(4)(ii)(C)",
        "164.312(a)(1)",
        "164.312(a)(2)(i)",
        "164.312(b)",
    }


def test_the_framework_toml_is_the_one_control_mapping_in_both_directions() -> None:
    """Every kind a framework TOML names exists in the registry, and every kind that claims a
    framework is mapped to at least one control of that framework's TOML (issue 12)."""
    known = {k.id for k in KINDS}
    mapped: dict[str, set[str]] = {}
    for framework in ("sox", "hipaa"):
        spec = load_spec(framework)
        named = {k for c in spec.controls for k in c.finding_kinds}
        assert named <= known, (framework, sorted(named - known))
        assert set(spec.exception_kinds) <= known, framework
        mapped[spec.framework] = named
    for kind in KINDS:
        assert kind.frameworks, kind.id
        for framework in kind.frameworks:
            assert kind.id in mapped[framework], (kind.id, framework)
    assert not hasattr(KINDS[0], "controls"), "a second control mapping crept back in"


def test_unknown_kind_is_a_report_error() -> None:
    with pytest.raises(ReportError, match="unknown report kind"):
        load_spec("pci")


def _row(**kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "employee_id": "E9",
        "person_name": "P",
        "worker_type": "employee",
        "event": "termination",
        "event_date": date(2024, 6, 10),
        "app": "chat",
        "account_id": "a",
        "user_name": "u",
        "last_active_at": None,
        "removed_by": None,
        "removed_modified": None,
        "deactivated": False,
    }
    base.update(kw)
    return base


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_leaver_verdicts_are_given_only_when_the_whole_bracket_is_on_one_side() -> None:
    within = judge(
        _row(last_active_at=_at("2024-06-09 06:00"), removed_by=_at("2024-06-10 20:00")), 24
    )
    assert (within.outcome, within.lag_max_hours) == (WITHIN, 20.0)
    late = judge(
        _row(last_active_at=_at("2024-06-12 06:00"), removed_by=_at("2024-06-13 06:00")), 24
    )
    assert late.outcome == BREACHED and late.lag_min_hours == 54.0
    spans = judge(
        _row(last_active_at=_at("2024-06-10 06:00"), removed_by=_at("2024-06-12 06:00")), 24
    )
    assert spans.outcome == INDETERMINATE and spans.resolution.startswith("between snapshots")
    still = judge(_row(last_active_at=_at("2024-06-30 06:00")), 24)
    assert still.outcome == STILL_ACTIVE_BREACHED and still.lag_max_hours is None


def test_exact_removal_time_needs_a_deactivation_inside_the_bracket() -> None:
    exact = judge(
        _row(
            last_active_at=_at("2024-06-01 06:00"),
            removed_by=_at("2024-06-30 06:00"),
            removed_modified=_at("2024-06-10 10:00"),
            deactivated=True,
        ),
        24,
    )
    assert exact.resolution == "no later than lastModified 2024-06-10 10:00 UTC"
    assert exact.lag_max_hours == 10.0 and exact.lag_min_hours == -210.0
    assert exact.outcome == WITHIN  # an upper bound inside the SLA proves the removal was in time
    outside = judge(
        _row(
            last_active_at=_at("2024-06-01 06:00"),
            removed_by=_at("2024-06-30 06:00"),
            removed_modified=_at("2024-05-01 10:00"),
            deactivated=True,
        ),
        24,
    )
    assert outside.resolution == "between snapshots 2024-06-01 06:00 UTC and 2024-06-30 06:00 UTC"
    deleted = judge(
        _row(
            last_active_at=_at("2024-06-01 06:00"),
            removed_by=_at("2024-06-30 06:00"),
            removed_modified=_at("2024-06-10 10:00"),
            deactivated=False,
        ),
        24,
    )
    assert deleted.resolution.startswith("between snapshots")
    late_bound = judge(
        _row(
            last_active_at=None,
            removed_by=_at("2024-06-30 06:00"),
            removed_modified=_at("2024-06-20 10:00"),
            deactivated=True,
        ),
        24,
    )
    # never seen active, lastModified 10 days after leaving: no later than, not "late"
    assert late_bound.resolution == (
        "no later than lastModified 2024-06-20 10:00 UTC (never seen active)"
    )
    assert late_bound.outcome == INDETERMINATE and late_bound.lag_min_hours is None


def test_facts_match_the_store(store: Config, tmp_path: Path) -> None:
    facts = _facts(store, "hipaa", tmp_path)
    expected = Expected()
    assert facts.complete, facts.failed_checks
    assert facts.population.rows == expected.population
    assert {a.app: a.accounts for a in facts.population.by_app} == {
        "chat": expected.population_chat,
        "ehr": expected.population_ehr,
    }
    assert facts.exceptions.count(status="open") == expected.open_exceptions
    assert facts.exceptions.count(status="risk-accepted") == 1
    assert facts.exceptions.count(status="remediated") == 1
    assert facts.population.privileged == 1
    assert facts.sla_hours == 24
    by_person = {c.employee_id: c for c in facts.leavers.cases}
    assert set(by_person) == {"E2", "E3", "E4"}
    assert by_person["E2"].outcome == STILL_ACTIVE_BREACHED
    dan = by_person["E4"]
    assert dan.resolution == "no later than lastModified 2024-06-21 10:00 UTC"
    assert dan.lag_max_hours == 34.0 and dan.outcome == INDETERMINATE  # 34 h is an upper bound
    assert by_person["E3"].outcome == INDETERMINATE
    assert facts.leavers.terminations == 2 and facts.leavers.contract_ends == 1


def test_sox_scope_is_the_apps_tagged_sox(store: Config, tmp_path: Path) -> None:
    facts = _facts(store, "sox", tmp_path)
    assert facts.scope.apps == ("chat",)
    assert facts.population.rows == Expected().population_chat
    assert {s.label for s in facts.lineage} == {"app:chat", "hr:hr"}


def test_as_of_must_name_an_existing_run(store: Config, tmp_path: Path) -> None:
    with pytest.raises(ReportError, match=r"no complete analysis run as of 2024-07-15.*2024-06-30"):
        _facts(store, "sox", tmp_path, as_of=date(2024, 7, 15))
    facts = _facts(store, "sox", tmp_path, as_of=date(2024, 6, 1))
    assert facts.scope.run.run_id == 1
    with pytest.raises(ReportError, match="after --as-of"):
        _facts(store, "sox", tmp_path, as_of=date(2024, 6, 1), period_end=date(2024, 6, 30))


def test_default_period_is_the_90_days_ending_at_the_run(store: Config, tmp_path: Path) -> None:
    facts = _facts(store, "leavers", tmp_path)
    assert (facts.scope.period_start, facts.scope.period_end) == (date(2024, 4, 2), AS_OF)
    narrow = _facts(store, "leavers", tmp_path, period_start=date(2024, 6, 15))
    assert {c.employee_id for c in narrow.leavers.cases} == {"E4"}


def test_csv_attachments_defuse_formulas_and_keep_markup_as_text(
    store: Config, tmp_path: Path
) -> None:
    facts = _facts(store, "hipaa", tmp_path)
    with facts.population.csv_path.open(newline="", encoding="utf-8") as fh:
        names = {row["user_name"] for row in csv.DictReader(fh)}
    assert "'" + FORMULA in names and FORMULA not in names
    assert XSS in names
    with facts.exceptions.csv_path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert all(not v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values() if v)
    assert any(r["user_name"] == "'" + FORMULA for r in rows)


def test_sample_is_rederivable_from_the_population_csv_alone(store: Config, tmp_path: Path) -> None:
    facts = _facts(store, "hipaa", tmp_path)
    assert facts.sample.seed == facts.population.sha256
    drawn = [(r["app"], r["account_id"]) for r in facts.sample.rows]
    assert len(drawn) == store.report.sample_size
    assert drawn == rederive(facts.population.csv_path, store.report.sample_size)


def test_incomplete_hr_import_is_refused_before_any_pdf(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    build_store(config.store.path, hr_rejected=1)
    with pytest.raises(ReportError, match=r"(?s)rows rejected at import.*--force"):
        build_report(
            config, "sox", as_of=None, period_start=None, period_end=None, out_dir=tmp_path / "out"
        )
    assert not list((tmp_path / "out").glob("*.pdf"))


def test_in_scope_app_missing_from_the_run_fails_completeness(tmp_path: Path) -> None:
    config = make_config(tmp_path, extra_apps=("erp",))
    build_store(config.store.path)
    facts = _facts(config, "sox", tmp_path)
    assert not facts.complete
    assert [c.source for c in facts.failed_checks] == ["app:erp"]


def test_source_date_epoch_pins_the_generation_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1719792000")
    assert generation_time() == datetime(2024, 7, 1, tzinfo=UTC)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(ReportError, match="SOURCE_DATE_EPOCH"):
        generation_time()


def test_report_id_depends_on_the_data_and_the_time(store: Config, tmp_path: Path) -> None:
    facts = _facts(store, "sox", tmp_path)
    stamp = datetime(2024, 7, 1, tzinfo=UTC)
    first = report_identity("sox", facts, "Entity", stamp)
    assert first == report_identity("sox", facts, "Entity", stamp)
    assert first.startswith("SOX-20240630-")
    assert first != report_identity("sox", facts, "Entity", datetime(2024, 7, 2, tzinfo=UTC))


def test_manifest_serialisation_is_canonical() -> None:
    body = {"format": manifest.MANIFEST_FORMAT, "b": 1, "a": [2, 1]}
    raw = manifest.dumps(body)
    assert raw == manifest.dumps(dict(reversed(list(body.items()))))
    assert manifest.loads(raw, "x") == body
    side = manifest.with_pdf(
        body, name="x.pdf", sha256="0" * 64, size=3, unsigned_sha256="1" * 64, unsigned_bytes=2
    )
    assert manifest.without_pdf(side) == body
    assert manifest.sidecar_path(Path("/o/SOX-1.pdf")) == Path("/o/SOX-1.manifest.json")


def test_templates_autoescape_and_fail_on_undefined_names() -> None:
    env = environment()
    assert (
        env.from_string("{{ v }}").render(v=XSS)
        == "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;"
    )
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ missing }}").render()


def _remediation_plan(config: Config) -> None:
    """Plan rp-test (2024-06-20): deactivate c-bob for k-term-bob (applied, verified 06-22);
    remove e-alice from billing for campaign 7 item 3 (applied 06-21, verified only 07-02,
    after the period); deactivate c-formula for k-orph-formula (applied, never verified)."""
    ops = [
        (1, "chat", "deactivate", "c-bob", "bob@example.com", None, "finding", None, None,
         "k-term-bob", "terminated_active", "2024-06-22 08:00:00"),
        (2, "ehr", "remove_member", "e-alice", "alice", "billing", "campaign", 7, 3,
         None, None, "2024-07-02 08:00:00"),
        (3, "chat", "deactivate", "c-formula", FORMULA, None, "finding", None, None,
         "k-orph-formula", "orphaned_account", None),
    ]  # fmt: skip
    with connect(config.store.path) as con:
        con.execute(
            "INSERT INTO remediation_plan VALUES ('rp-test', ?, 'cli:test', 'x', '{}', '{}', '{}',"
            " 3, 0)",
            [ts("2024-06-20 09:00:00")],
        )
        for seq, app, action, acc, user, group, kind, cid, item, key, fkind, verified in ops:
            con.execute(
                "INSERT INTO remediation_plan_operation (plan_id, seq, app, action, resource_type,"
                " resource_id, account_id, user_name, group_name, method, path, snapshot_id)"
                " VALUES ('rp-test', ?, ?, ?, 'User', ?, ?, ?, ?, 'PATCH', '/Users/x', 4)",
                [seq, app, action, acc, acc, user, group],
            )
            con.execute(
                "INSERT INTO remediation_operation_source (plan_id, seq, source_kind, campaign_id,"
                " item_id, finding_key, finding_kind) VALUES ('rp-test', ?, ?, ?, ?, ?, ?)",
                [seq, kind, cid, item, key, fkind],
            )
            stages = [("applied", "2024-06-21 10:00:00")]
            stages += [("verified", verified)] if verified else []
            for outcome, at in stages:
                con.execute(
                    "INSERT INTO remediation_operation_log (run_id, plan_id, seq, app, mode,"
                    " outcome, actor, logged_at, prev_sha256, record_sha256)"
                    " VALUES (1, 'rp-test', ?, ?, 'execute', ?, 'cli:test', ?, 'p', 'r')",
                    [seq, app, outcome, ts(at)],
                )


def test_verified_removal_marks_the_exception_remediated(store: Config, tmp_path: Path) -> None:
    _remediation_plan(store)
    facts = _facts(store, "hipaa", tmp_path)
    by_key = {e["finding_key"]: e for e in facts.exceptions.printed}
    bob = by_key["k-term-bob"]
    assert bob["status"] == "remediated"
    assert bob["remediation_requested_at"] == ts("2024-06-20 09:00:00")
    assert bob["remediation_applied_at"] == ts("2024-06-21 10:00:00")
    assert bob["remediation_verified_at"] == ts("2024-06-22 08:00:00")
    assert bob["resolved_on"] == date(2024, 6, 22)
    # verified only after the period end (06-30): still open, the operation shown as applied
    assert by_key["k-sod-alice"]["status"] == "risk-accepted"
    assert by_key["k-orph-formula"]["status"] == "open"  # applied, never verified
    assert facts.exceptions.count(status="open") == Expected().open_exceptions - 1
    assert facts.exceptions.count(status="remediated") == 2
    assert facts.remediation.states == [("applied", 2), ("verified", 1)]
    with facts.remediation.csv_path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["seq"], r["state"], r["verified_at"]) for r in rows] == [
        ("1", "verified", "2024-06-22T08:00:00Z"),
        ("2", "applied", ""),
        ("3", "applied", ""),
    ]
    assert rows[2]["user_name"] == "'" + FORMULA  # defused in the CSV
    with facts.exceptions.csv_path.open(newline="", encoding="utf-8") as fh:
        exported = {r["finding_key"]: r for r in csv.DictReader(fh)}
    assert exported["k-term-bob"]["status"] == "remediated"
    assert exported["k-term-bob"]["remediation_verified_at"] == "2024-06-22T08:00:00Z"
    # the group removal counts once its verification falls inside a period that includes it
    sox = _facts(store, "sox", tmp_path)  # chat only: the ehr operation is out of scope
    assert sox.remediation.total == 2


def test_group_removal_matches_a_finding_on_that_group(store: Config, tmp_path: Path) -> None:
    _remediation_plan(store)
    with connect(store.store.path) as con:  # the 07-02 verification, moved inside the period
        con.execute(
            "UPDATE remediation_operation_log SET logged_at = ? WHERE seq = 2"
            " AND outcome = 'verified'",
            [ts("2024-06-25 08:00:00")],
        )
    facts = _facts(store, "hipaa", tmp_path)
    alice = {e["finding_key"]: e for e in facts.exceptions.printed}["k-sod-alice"]
    assert (alice["status"], alice["remediation_plan_id"]) == ("remediated", "rp-test")
    assert facts.remediation.count("verified") == 2
    assert facts.exceptions.count(status="risk-accepted") == 0


def test_without_campaigns_section_8_says_no_campaign_signed_off(
    store: Config, tmp_path: Path
) -> None:
    from scimaudit.reporting.campaign_signoff import select_signoffs

    facts = _facts(store, "sox", tmp_path)
    with connect(store.store.path, read_only=True) as con:
        source = select_signoffs(con, facts.scope, None)
    assert source.selection == "none" and source.signoffs == []
    assert "No review campaign signed off in the period (2024-04-02 to 2024-06-30)" in source.note


def test_report_command_takes_a_campaign() -> None:
    from click.testing import CliRunner

    from scimaudit.cmd.report import command

    out = CliRunner().invoke(command, ["--help"]).output
    assert "--campaign" in out and "sign-offs" in out


def test_an_organisation_certificate_needs_both_cert_and_key(tmp_path: Path) -> None:
    from scimaudit.config import parse_config
    from scimaudit.errors import ConfigError

    with pytest.raises(ConfigError, match="give both sign_cert and sign_key"):
        parse_config({"report": {"sign_cert": "cert.pem"}}, tmp_path / "scimaudit.toml")
    ok = parse_config({"report": {"sign": False}}, tmp_path / "scimaudit.toml")
    assert ok.report.sign is False and parse_config({}, tmp_path / "x.toml").report.sign is True


def test_store_key_is_made_once_beside_the_store_and_kept_private(tmp_path: Path) -> None:
    from scimaudit.reporting.signing import resolve_signer
    from scimaudit.reporting.store_key import key_dir

    config = make_config(tmp_path)
    first = resolve_signer(config)
    again = resolve_signer(config)
    assert first is not None and again is not None
    assert first.source == "store" and first.cert_sha256 == again.cert_sha256
    folder = key_dir(config.store.path)
    assert folder.parent == config.store.path.parent and folder.stat().st_mode & 0o077 == 0
    assert first.key_path.stat().st_mode & 0o077 == 0
    assert "scimaudit evidence signer" in first.subject
    (folder / "signer-cert.pem").unlink()  # a damaged key folder is never silently replaced
    with pytest.raises(ReportError, match="lacks"):
        resolve_signer(config)
    off = config.model_copy(update={"report": config.report.model_copy(update={"sign": False})})
    assert resolve_signer(off) is None


def test_a_pack_made_the_same_second_as_its_data_is_not_backdated(
    store: Config, tmp_path: Path
) -> None:
    """Generation times are whole seconds; the run may end 0.4 s into the same second."""
    from scimaudit.reporting.cover import refuse_backdated

    facts = _facts(store, "sox", tmp_path)
    end = datetime(2024, 6, 30, 7, 1, 0, tzinfo=UTC)  # the run's end in the tiny store
    refuse_backdated(end, facts, end.replace(microsecond=400_000))
    with pytest.raises(ReportError, match="before its data"):
        refuse_backdated(end, facts, datetime(2024, 6, 30, 7, 1, 1, tzinfo=UTC))
