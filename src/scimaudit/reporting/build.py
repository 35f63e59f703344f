"""Build one evidence pack: gather from the store, attach, manifest, render, (sign,) publish.

Order matters for the guarantees: the store is read in one short read-only session that also writes
the CSV attachments; every attachment is hashed into the manifest before rendering (the manifest is
itself embedded and printed); the PDF is written to a staging folder inside ``out_dir`` and moved in
place atomically, then the sidecar manifest with the PDF's own hash is written beside it.

Dates: ``SOURCE_DATE_EPOCH`` (reproducible-builds.org) pins the generation time used for every date
in the document, its metadata and its attachments; without it, the generation time is now. A
generation time before the data's own as-of is refused (``cover.refuse_backdated``).

Integrity: the pack is signed (:mod:`scimaudit.reporting.signing`) unless ``[report].sign = false``,
and recorded in the store's register of issued packs (:mod:`scimaudit.reporting.registry`) before
it is moved into ``out_dir``.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from scimaudit import __version__
from scimaudit.config import Config
from scimaudit.errors import ReportError
from scimaudit.reporting import charts, manifest
from scimaudit.reporting.attachments import attachment_info, collect_rules, prepare_attachments
from scimaudit.reporting.campaign_signoff import given_signoffs, select_signoffs
from scimaudit.reporting.campaign_state import DECISIONS_FILE, review_statement
from scimaudit.reporting.context import Caps, ReportContext, StoreFacts, gather_facts
from scimaudit.reporting.cover import cover_figures, data_as_of, refuse_backdated
from scimaudit.reporting.manifest import build_manifest, report_identity
from scimaudit.reporting.population import sha256_file
from scimaudit.reporting.provenance import generated_by, generation_time, git_commit
from scimaudit.reporting.registry import IssuedPack, record_issued
from scimaudit.reporting.render import render_pdf
from scimaudit.reporting.signing import resolve_signer, sign_pdf
from scimaudit.reporting.signoff import SignOff
from scimaudit.reporting.spec import load_spec
from scimaudit.store.connect import connect


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
    campaign_id: int | None = None,
    caps: Caps | None = None,
) -> ReportResult:
    """Produce ``<out_dir>/<report id>.pdf`` (PDF/A-3b) and ``<report id>.manifest.json``.

    Section 8 prints ``signoffs`` when given; otherwise those of review campaign ``campaign_id``,
    or, when that is None, of the latest signed-off campaign whose analysis run lies in the period
    (:mod:`scimaudit.reporting.campaign_signoff`).
    """
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
                con,
                config,
                spec,
                as_of=as_of,
                period_start=period_start,
                period_end=period_end,
                work_dir=work,
                caps=caps,
                sample_size=config.report.sample_size,
            )
            source = (
                given_signoffs(list(signoffs))
                if signoffs
                else select_signoffs(con, facts.scope, campaign_id)
            )
        timings["store"] = time.perf_counter() - started
        if not facts.complete and not force:
            raise _refuse(facts)
        review_at = source.state.last_event_at if source.state else None
        refuse_backdated(stamp, facts, review_at)
        signer = resolve_signer(config)
        forced = force and not facts.complete
        kinds = set(spec.exception_kinds) | {k for c in spec.controls for k in c.finding_kinds}
        rules = collect_rules(work, kinds)
        attachments = prepare_attachments(facts, spec, rules, work)
        if source.decisions_csv is not None and source.state is not None:
            decisions_file = work / DECISIONS_FILE
            decisions_file.write_text(source.decisions_csv, encoding="utf-8")
            attachments = sorted(
                [
                    *attachments,
                    attachment_info(
                        decisions_file,
                        DECISIONS_FILE,
                        "text/csv",
                        "Data",
                        f"Every item of review campaign {source.state.campaign_id} with its "
                        f"current decision ({source.state.state} when this pack was built)",
                    ),
                ],
                key=lambda a: a.name,
            )
        statement = review_statement(source.state, given=source.selection == "given")
        report_id = report_identity(
            kind,
            facts,
            config.report.entity,
            stamp,
            signoffs_sha256=source.sha256 if source.signoffs else None,
        )
        by, commit = generated_by(), git_commit()
        body = build_manifest(
            report_id=report_id,
            spec=spec,
            config=config,
            facts=facts,
            generated_at=stamp,
            by=by,
            commit=commit,
            forced=forced,
            attachments=attachments,
            signoff=source.manifest_entry(),
            signer=signer.manifest_entry() if signer else None,
            cover={"figures": cover_figures(facts), "statements": [statement]},
            data_as_of=data_as_of(facts, review_at),
        )
        manifest_bytes = manifest.dumps(body)
        manifest_file = work / manifest.MANIFEST_NAME
        manifest_file.write_bytes(manifest_bytes)
        manifest_info = attachment_info(
            manifest_file,
            manifest.MANIFEST_NAME,
            "application/json",
            "Supplement",
            "Hashes of every attachment (this manifest)",
        )
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
            spec=spec,
            facts=facts,
            report_id=report_id,
            entity=config.report.entity,
            classification=config.report.classification,
            generated_at=stamp,
            generated_by=by,
            tool_version=__version__,
            git_commit=commit,
            forced=forced,
            rules=rules,
            attachments=attachments,
            manifest=body,
            manifest_json=manifest_bytes.decode(),
            manifest_summary_json=manifest.dumps(
                {k: v for k, v in body.items() if k != "attachments"}
            ).decode(),
            charts=chart_uris,
            caps=caps,
            cover=body["cover"]["figures"],
            review=source.state,
            review_statement=statement,
            signoffs=source.signoffs,
            signoff_note=source.note,
        )
        started = time.perf_counter()
        staged = work / f"{report_id}.pdf"
        pages = render_pdf(ctx, staged, extra=[manifest_info])
        timings["render"] = time.perf_counter() - started
        unsigned_sha, unsigned_size = sha256_file(staged), staged.stat().st_size
        if signer is not None:
            started = time.perf_counter()
            signed_path = work / f"{report_id}.signed.pdf"
            sign_pdf(staged, signed_path, signer, reason=f"{spec.title} {report_id}")
            staged = signed_path
            timings["sign"] = time.perf_counter() - started
        pdf_sha, pdf_size = sha256_file(staged), staged.stat().st_size
        # recorded before it is published: a pack in out_dir is always one the store knows
        with connect(config.store.path, lock_timeout=config.store.lock_timeout_seconds) as con:
            record_issued(
                con,
                IssuedPack(
                    report_id=report_id,
                    kind=kind,
                    pdf_sha256=pdf_sha,
                    pdf_bytes=pdf_size,
                    unsigned_sha256=unsigned_sha,
                    manifest_sha256=manifest_info.sha256,
                    signer_sha256=signer.cert_sha256 if signer else None,
                    signer_subject=signer.subject if signer else None,
                    run_id=facts.scope.run.run_id,
                    generated_at=stamp,
                    issued_by=by,
                ),
            )
        pdf_path = out_dir / f"{report_id}.pdf"
        os.replace(staged, pdf_path)
    sidecar = manifest.sidecar_path(pdf_path)
    staged_sidecar = sidecar.with_name(sidecar.name + ".tmp")
    staged_sidecar.write_bytes(
        manifest.dumps(
            manifest.with_pdf(
                body,
                name=pdf_path.name,
                sha256=pdf_sha,
                size=pdf_size,
                unsigned_sha256=unsigned_sha,
                unsigned_bytes=unsigned_size,
            )
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
        signed=signer is not None,
        timings=timings,
    )
