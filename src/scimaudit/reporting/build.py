"""Build one evidence pack: gather from the store, attach, manifest, render, (sign,) publish.

Order matters for the guarantees: the store is read in one short read-only session that also writes
the CSV attachments; every attachment is hashed into the manifest before rendering (the manifest is
itself embedded and printed); the PDF is written to a staging folder inside ``out_dir`` and moved in
place atomically, then the sidecar manifest with the PDF's own hash is written beside it.

Dates: ``SOURCE_DATE_EPOCH`` (reproducible-builds.org) pins the generation time used for every date
in the document, its metadata and its attachments; without it, the generation time is now.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from scimaudit import __version__
from scimaudit.config import Config
from scimaudit.errors import ReportError
from scimaudit.reporting import charts, manifest
from scimaudit.reporting.context import (
    AttachmentInfo,
    Caps,
    ReportContext,
    RuleFile,
    StoreFacts,
    canonical_json,
    gather_facts,
)
from scimaudit.reporting.population import POPULATION_COLUMNS, SORT_KEY, sha256_file
from scimaudit.reporting.render import render_pdf
from scimaudit.reporting.signing import sign_pdf, signing_configured
from scimaudit.reporting.signoff import SignOff
from scimaudit.reporting.spec import ReportSpec, load_spec, reports_dir
from scimaudit.reporting.sqlfiles import SQL_DIR
from scimaudit.store.connect import connect

PACKAGE_DIR = Path(__file__).resolve().parents[1]
ANALYTICS_SQL = PACKAGE_DIR / "analytics" / "sql"


@dataclass(frozen=True)
class ReportResult:
    """Where the pack went and the figures a caller (CLI, demo, bench) prints."""

    pdf_path: Path
    manifest_path: Path
    report_id: str
    kind: str
    pages: int
    pdf_sha256: str
    population_rows: int
    population_sha256: str
    exceptions: int
    valid_as_evidence: bool
    signed: bool
    timings: dict[str, float] = field(default_factory=dict)


def generation_time() -> datetime:
    """``SOURCE_DATE_EPOCH`` as UTC when set (reproducible builds), else now (whole seconds)."""
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if raw is None or raw.strip() == "":
        return datetime.now(UTC).replace(microsecond=0)
    try:
        return datetime.fromtimestamp(int(raw.strip()), UTC)
    except (ValueError, OverflowError, OSError):
        raise ReportError(
            f"SOURCE_DATE_EPOCH={raw!r} is not a whole number of seconds since 1970-01-01 UTC"
        ) from None


def generated_by() -> str:
    """Who produced the pack: ``$SCIMAUDIT_GENERATED_BY``, else the OS user name."""
    explicit = os.environ.get("SCIMAUDIT_GENERATED_BY", "").strip()
    if explicit:
        return explicit
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def git_commit() -> str:
    """The source commit, when running from a git checkout; "unknown" in an installed copy."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=PACKAGE_DIR,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    commit = out.stdout.strip()
    return commit if out.returncode == 0 and len(commit) == 40 else "unknown"


def _iso(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def collect_rules(work: Path, printed_kinds: set[str]) -> list[RuleFile]:
    """Every analytics SQL file and this report's own queries; finding rules of ``printed_kinds``
    are marked for printing in full (the rest are attached and listed with their hash)."""
    found: list[tuple[str, str, Path, bool]] = []
    for path in sorted(ANALYTICS_SQL.glob("**/*.sql")):
        rel = path.relative_to(ANALYTICS_SQL)
        name = "rule-" + "-".join(rel.parts)
        printed = rel.parts[0] == "findings" and path.stem in printed_kinds
        found.append((f"analytics/sql/{rel.as_posix()}", name, path, printed))
    for path in sorted(SQL_DIR.glob("*.sql")):
        found.append((f"reporting/sql/{path.name}", f"report-{path.name}", path, False))
    rules = []
    for shown, name, path, printed in found:
        data = path.read_bytes()
        (work / name).write_bytes(data)
        rules.append(
            RuleFile(
                path=shown,
                attachment=name,
                sha256=hashlib.sha256(data).hexdigest(),
                text=data.decode("utf-8", errors="replace"),
                printed=printed,
            )
        )
    return rules


def _attachment(path: Path, name: str, media: str, rel: str, desc: str) -> AttachmentInfo:
    return AttachmentInfo(
        name=name,
        path=path,
        sha256=sha256_file(path),
        size=path.stat().st_size,
        media_type=media,
        relationship=rel,
        description=desc,
    )


def prepare_attachments(
    facts: StoreFacts, spec: ReportSpec, rules: list[RuleFile], work: Path
) -> list[AttachmentInfo]:
    spec_copy = work / f"framework-{spec.source_file}"
    shutil.copyfile(reports_dir() / "frameworks" / spec.source_file, spec_copy)
    items = [
        _attachment(facts.population.csv_path, "population.csv", "text/csv", "Data",
                    "Complete tested population, sorted by (app, account_id)"),
        _attachment(facts.exceptions.csv_path, "exceptions.csv", "text/csv", "Data",
                    "Every exception in scope (open, risk-accepted, remediated)"),
        _attachment(facts.sample.csv_path, "sample.csv", "text/csv", "Data",
                    "Reproducible sample (sha256-rank/1, seed = population SHA-256)"),
        _attachment(spec_copy, spec_copy.name, "application/toml", "Source",
                    "Control texts and finding-kind mapping used"),
    ]
    for rule in rules:
        items.append(
            _attachment(work / rule.attachment, rule.attachment, "application/sql", "Source",
                        f"SQL text of {rule.path}")
        )
    return sorted(items, key=lambda a: a.name)


def report_identity(kind: str, facts: StoreFacts, entity: str, generated_at: datetime) -> str:
    """``SOX-20240630-1A2B3C4D``: kind, population date and a hash of everything the pack rests on."""
    scope = facts.scope
    basis = canonical_json(
        {
            "kind": kind,
            "entity": entity,
            "as_of": scope.run.as_of,
            "period": [scope.period_start, scope.period_end],
            "apps": list(scope.apps),
            "params_sha256": scope.run.params_sha256,
            "population_sha256": facts.population.sha256,
            "exceptions_sha256": facts.exceptions.sha256,
            "snapshots": {s.label: s.sha256 for s in facts.lineage},
            "generated_at": _iso(generated_at),
        }
    )
    digest = hashlib.sha256(basis).hexdigest()[:8].upper()
    return f"{kind.upper()}-{scope.run.as_of:%Y%m%d}-{digest}"


def build_manifest(
    *,
    report_id: str,
    spec: ReportSpec,
    config: Config,
    facts: StoreFacts,
    generated_at: datetime,
    by: str,
    commit: str,
    forced: bool,
    attachments: Sequence[AttachmentInfo],
) -> dict[str, Any]:
    scope = facts.scope
    return {
        "format": manifest.MANIFEST_FORMAT,
        "report": {
            "id": report_id,
            "kind": spec.kind,
            "title": spec.title,
            "entity": config.report.entity,
            "classification": config.report.classification,
            "generated_at": _iso(generated_at),
            "generated_by": by,
            "tool_version": __version__,
            "git_commit": commit,
            "forced": forced,
            "valid_as_evidence": facts.complete,
            "failed_checks": [f"{c.source}: {c.check}" for c in facts.failed_checks],
        },
        "scope": {
            "apps": list(scope.apps),
            "period_start": _iso(scope.period_start),
            "period_end": _iso(scope.period_end),
            "as_of": _iso(scope.run.as_of),
            "exception_kinds": list(spec.exception_kinds),
            "privileged_only": spec.privileged_only,
        },
        "analysis_run": {
            "run_id": scope.run.run_id,
            "as_of": _iso(scope.run.as_of),
            "params_sha256": scope.run.params_sha256,
            "tool_version": scope.run.tool_version,
        },
        "snapshots": [
            {
                "label": s.label,
                "snapshot_id": s.snapshot_id,
                "status": s.status,
                "as_of": _iso(s.as_of),
                "sha256": s.sha256,
            }
            for s in facts.lineage
        ],
        "policy": {p.name: p.sha256 for p in facts.params},
        "population": {
            "file": "population.csv",
            "rows": facts.population.rows,
            "sha256": facts.population.sha256,
            "sort_key": list(SORT_KEY),
            "columns": list(POPULATION_COLUMNS),
        },
        "exceptions": {
            "file": "exceptions.csv",
            "rows": facts.exceptions.total,
            "sha256": facts.exceptions.sha256,
            "printed": len(facts.exceptions.printed),
        },
        "sample": {
            "file": "sample.csv",
            "method": facts.sample.method,
            "seed": facts.sample.seed,
            "size": facts.sample.size,
            "sha256": facts.sample.sha256,
        },
        "attachments": [
            {
                "name": a.name,
                "sha256": a.sha256,
                "bytes": a.size,
                "media_type": a.media_type,
                "relationship": a.relationship,
                "description": a.description,
            }
            for a in attachments
        ],
    }


def _refuse(facts: StoreFacts) -> ReportError:
    lines = [
        f"  {c.source}: {c.check}: expected {c.expected}, actual {c.actual}"
        for c in facts.failed_checks
    ]
    return ReportError(
        f"refusing to build the evidence pack: {len(lines)} completeness check(s) failed\n"
        + "\n".join(lines)
        + "\ncollect again, or pass --force to produce a pack marked NOT VALID AS EVIDENCE"
    )


def build_report(
    config: Config,
    kind: str,
    *,
    as_of: date | None,
    period_start: date | None,
    period_end: date | None,
    out_dir: Path,
    force: bool = False,
    signoffs: Sequence[SignOff] = (),
    caps: Caps | None = None,
) -> ReportResult:
    """Produce ``<out_dir>/<report id>.pdf`` (PDF/A-3b) and ``<report id>.manifest.json``."""
    spec = load_spec(kind)
    caps = caps or Caps()
    stamp = generation_time()
    timings: dict[str, float] = {}
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".scimaudit-report-") as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        with connect(
            config.store.path, read_only=True, lock_timeout=config.store.lock_timeout_seconds
        ) as con:
            facts = gather_facts(
                con, config, spec, as_of=as_of, period_start=period_start,
                period_end=period_end, work_dir=work, caps=caps,
                sample_size=config.report.sample_size,
            )
        timings["store"] = time.perf_counter() - started
        if not facts.complete and not force:
            raise _refuse(facts)
        forced = force and not facts.complete
        kinds = set(spec.exception_kinds) | {k for c in spec.controls for k in c.finding_kinds}
        rules = collect_rules(work, kinds)
        attachments = prepare_attachments(facts, spec, rules, work)
        report_id = report_identity(kind, facts, config.report.entity, stamp)
        by, commit = generated_by(), git_commit()
        body = build_manifest(
            report_id=report_id, spec=spec, config=config, facts=facts, generated_at=stamp,
            by=by, commit=commit, forced=forced, attachments=attachments,
        )
        manifest_bytes = manifest.dumps(body)
        manifest_file = work / manifest.MANIFEST_NAME
        manifest_file.write_bytes(manifest_bytes)
        manifest_info = _attachment(manifest_file, manifest.MANIFEST_NAME, "application/json",
                                    "Supplement", "Hashes of every attachment (this manifest)")
        started = time.perf_counter()
        chart_uris: dict[str, str] = {}
        svg = charts.exceptions_by_app(facts.exceptions.by_kind_app)
        if svg:
            chart_uris["exceptions"] = charts.data_uri(svg)
        if "leavers" in spec.tests:
            svg = charts.leaver_lag(facts.leavers.cases, facts.sla_hours)
            if svg:
                chart_uris["leavers"] = charts.data_uri(svg)
        timings["charts"] = time.perf_counter() - started
        ctx = ReportContext(
            spec=spec, facts=facts, report_id=report_id, entity=config.report.entity,
            classification=config.report.classification, generated_at=stamp, generated_by=by,
            tool_version=__version__, git_commit=commit, forced=forced, rules=rules,
            attachments=attachments, manifest=body,
            manifest_json=manifest_bytes.decode(),
            manifest_summary_json=manifest.dumps(
                {k: v for k, v in body.items() if k != "attachments"}
            ).decode(),
            charts=chart_uris, caps=caps,
            signoffs=list(signoffs),
        )
        started = time.perf_counter()
        staged = work / f"{report_id}.pdf"
        pages = render_pdf(ctx, staged, extra=[manifest_info])
        timings["render"] = time.perf_counter() - started
        signed = signing_configured(config.report)
        if signed:
            started = time.perf_counter()
            signed_path = work / f"{report_id}.signed.pdf"
            sign_pdf(staged, signed_path, config.report, reason=f"{spec.title} {report_id}")
            staged = signed_path
            timings["sign"] = time.perf_counter() - started
        pdf_path = out_dir / f"{report_id}.pdf"
        os.replace(staged, pdf_path)
    pdf_sha = sha256_file(pdf_path)
    sidecar = manifest.sidecar_path(pdf_path)
    staged_sidecar = sidecar.with_name(sidecar.name + ".tmp")
    staged_sidecar.write_bytes(
        manifest.dumps(
            manifest.with_pdf(body, name=pdf_path.name, sha256=pdf_sha, size=pdf_path.stat().st_size)
        )
    )
    os.replace(staged_sidecar, sidecar)
    return ReportResult(
        pdf_path=pdf_path,
        manifest_path=sidecar,
        report_id=report_id,
        kind=kind,
        pages=pages,
        pdf_sha256=pdf_sha,
        population_rows=facts.population.rows,
        population_sha256=facts.population.sha256,
        exceptions=facts.exceptions.total,
        valid_as_evidence=facts.complete,
        signed=signed,
        timings=timings,
    )
