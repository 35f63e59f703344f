"""Everything a report shows, gathered from the store in one short read-only session.

:func:`gather_facts` opens nothing itself: the caller passes a connection, so the store's lock is
held only while the data is read and the CSV attachments are written (seconds, even at 2M accounts);
rendering the PDF happens afterwards without the store. Templates see :class:`ReportContext`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson

from scimaudit.config import Config
from scimaudit.reporting.break_glass import BreakGlass, gather_break_glass
from scimaudit.reporting.campaign_state import CampaignState
from scimaudit.reporting.control_status import ControlResult, Coverage
from scimaudit.reporting.leaver_file import (
    HrExtract,
    LeaverFile,
    reconcile,
    write_hr_extract,
    write_leavers_csv,
)
from scimaudit.reporting.leavers import LeaverSummary, gather_leavers
from scimaudit.reporting.lineage import ReconCheck, SourceLineage, gather_lineage
from scimaudit.reporting.population import PopulationFacts, build_population
from scimaudit.reporting.remediation import RemediationFacts, gather_remediation
from scimaudit.reporting.report_sql import install_macros
from scimaudit.reporting.results import (
    ExceptionFacts,
    gather_exceptions,
    gather_privileged,
    gather_rule_population,
    map_controls,
    rows_of_kind,
)
from scimaudit.reporting.sampling import (
    LEAVER_ACCOUNTS,
    SampleFacts,
    draw_sample,
    frame_for,
    sample_file,
)
from scimaudit.reporting.scope import Scope, resolve_scope
from scimaudit.reporting.signoff import SignOff
from scimaudit.reporting.sod_scope import SodScope, sod_scope
from scimaudit.reporting.spec import ReportSpec


@dataclass(frozen=True)
class Caps:
    """How many rows of each long table the PDF prints (the attachments carry all of them)."""

    exceptions: int = 300
    privileged: int = 200
    leavers: int = 200
    kind_rows: int = 100
    remediation: int = 200


@dataclass(frozen=True)
class PolicyParam:
    name: str
    value: str
    sha256: str


@dataclass(frozen=True)
class StoreFacts:
    """The data of one report, as read from the store."""

    scope: Scope
    lineage: list[SourceLineage]
    checks: list[ReconCheck]
    params: list[PolicyParam]
    params_sha256_recomputed: str
    sla_hours: int
    stale_after_days: int
    sod: SodScope
    """The SoD rules touching the in-scope apps, and the in-scope apps no rule covers."""
    population: PopulationFacts
    exceptions: ExceptionFacts
    rule_population: list[dict[str, Any]]
    controls: list[ControlResult]
    leavers: LeaverSummary
    privileged: list[dict[str, Any]]
    kind_rows: dict[str, list[dict[str, Any]]]
    sample: SampleFacts
    remediation: RemediationFacts
    break_glass: list[BreakGlass] = field(default_factory=list)

    @property
    def sod_rules(self) -> list[str]:
        return self.sod.rules

    leaver_file: LeaverFile | None = None
    """``leavers.csv`` (packs with a leavers test): one row per HR leaver × in-scope app."""
    hr_extract: HrExtract | None = None
    """The HR snapshot attached as ``hr_extract.csv`` (packs with a leavers test)."""

    @property
    def complete(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failed_checks(self) -> list[ReconCheck]:
        return [c for c in self.checks if not c.passed]


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace: the form every parameter hash in the report is taken over."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str)


def _flat_params(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key in sorted(value):
            out.update(_flat_params(value[key], f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): value}


def policy_params(params: dict[str, Any]) -> list[PolicyParam]:
    """Each policy parameter of the run with the SHA-256 of its canonical JSON value."""
    out = []
    for name, value in _flat_params(params).items():
        if not name:
            continue
        raw = canonical_json(value)
        out.append(PolicyParam(name, raw.decode(), hashlib.sha256(raw).hexdigest()))
    return out


def _param(params: dict[str, Any], name: str, default: Any) -> Any:
    for key, value in _flat_params(params).items():
        if key == name or key.endswith("." + name):
            return value
    return default


def _sod_params(params: dict[str, Any], config: Config) -> Any:
    """The SoD rules the run recorded in its parameters, else the configured ones."""
    rules = _param(params, "sod", None)
    if rules is None:
        rules = [r.model_dump(exclude_none=True) for r in config.policy.sod]
    return rules


def gather_facts(
    con: duckdb.DuckDBPyConnection,
    config: Config,
    spec: ReportSpec,
    *,
    as_of: date | None,
    period_start: date | None,
    period_end: date | None,
    work_dir: Path,
    caps: Caps,
    sample_size: int,
) -> StoreFacts:
    """Read one report's data; writes population.csv, exceptions.csv, remediation.csv and
    sample.csv to ``work_dir`` (and leavers.csv, hr_extract.csv for packs with a leavers test)."""
    install_macros(con)
    scope = resolve_scope(
        con, config, spec, as_of=as_of, period_start=period_start, period_end=period_end
    )
    params = scope.run.params
    sla = int(_param(params, "deprovision_sla_hours", config.policy.deprovision_sla_hours))
    stale = int(_param(params, "stale_after_days", config.policy.stale_after_days))
    lineage, checks = gather_lineage(con, scope)
    recomputed = hashlib.sha256(canonical_json(params)).hexdigest()
    checks.append(
        ReconCheck(
            f"run #{scope.run.run_id}",
            "policy parameters: recomputed SHA-256 = recorded",
            scope.run.params_sha256[:16] + "…",
            recomputed[:16] + "…",
            recomputed == scope.run.params_sha256,
        )
    )
    population = build_population(con, scope, work_dir)
    exceptions = gather_exceptions(con, scope, spec, work_dir, caps.exceptions)
    remediation = gather_remediation(con, work_dir, caps.remediation)
    rule_population = gather_rule_population(con, scope, spec)
    sod = sod_scope(_sod_params(params, config), scope.apps)
    coverage = Coverage(
        apps=scope.apps,
        sod_apps=sod.covered_apps,
        privileged_apps=frozenset(a.name for a in config.apps if a.privileged_groups),
    )
    leavers = gather_leavers(con, scope, sla)
    leaver_file = hr_extract = None
    if "leavers" in spec.tests:
        leaver_file = write_leavers_csv(con, scope, leavers, work_dir)
        hr_extract = write_hr_extract(con, scope, work_dir)
        checks.append(reconcile(leaver_file))
    frame = frame_for(spec.kind)
    if frame is LEAVER_ACCOUNTS and leaver_file is not None:
        sample = sample_file(leaver_file.csv_path, frame, sample_size, work_dir)
    else:
        sample = draw_sample(
            con, population.sha256, sample_size, population.rows, work_dir, frame_for(spec.kind)
        )
    return StoreFacts(
        scope=scope,
        lineage=lineage,
        checks=checks,
        params=policy_params(params),
        params_sha256_recomputed=recomputed,
        sla_hours=sla,
        stale_after_days=stale,
        sod=sod,
        population=population,
        exceptions=exceptions,
        rule_population=rule_population,
        controls=map_controls(spec, rule_population, exceptions, coverage),
        leavers=leavers,
        privileged=gather_privileged(con, scope, caps.privileged),
        kind_rows={"sod_conflict": rows_of_kind(con, "sod_conflict", caps.kind_rows)},
        sample=sample,
        remediation=remediation,
        break_glass=gather_break_glass(con, config, scope),
        leaver_file=leaver_file,
        hr_extract=hr_extract,
    )


@dataclass(frozen=True)
class RuleFile:
    """One SQL file whose text is attached (and, for finding rules, printed)."""

    path: str
    attachment: str
    sha256: str
    text: str
    printed: bool


@dataclass(frozen=True)
class AttachmentInfo:
    name: str
    path: Path
    sha256: str
    size: int
    media_type: str
    relationship: str
    description: str


@dataclass(frozen=True)
class ReportContext:
    """What the templates render: store facts plus document identity, attachments and charts."""

    spec: ReportSpec
    facts: StoreFacts
    report_id: str
    entity: str
    classification: str
    generated_at: datetime
    generated_by: str
    tool_version: str
    git_commit: str
    forced: bool
    rules: list[RuleFile]
    attachments: list[AttachmentInfo]
    manifest: dict[str, Any]
    manifest_json: str
    manifest_summary_json: str
    charts: dict[str, str]
    caps: Caps
    cover: list[dict[str, str]] = field(default_factory=list)
    """The key figures of page 1, exactly as printed and as recorded in the manifest."""
    review: CampaignState | None = None
    """The review campaign behind section 8, as it stood (None: no campaign)."""
    review_statement: str = ""
    """The cover's line on the access-review control (recorded in the manifest)."""
    signoffs: list[SignOff] = field(default_factory=list)
    signoff_note: str = ""
    """Which review campaign the sign-offs come from and how it was chosen (section 8)."""

    @property
    def valid_as_evidence(self) -> bool:
        return self.facts.complete

    @property
    def title(self) -> str:
        return self.spec.title
