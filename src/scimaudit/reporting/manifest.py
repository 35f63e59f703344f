"""The evidence manifest: the hashes that make the pack self-proving.

One JSON document lists the report's identity and scope, the analysis run and snapshots it rests on
(with their recorded SHA-256), the population hash and sort key, the sampling seed, and the SHA-256
and size of every attachment. It is embedded in the PDF as ``manifest.json`` and written beside it
as ``<report id>.manifest.json`` with one more member, ``pdf``: the SHA-256 of the final PDF
(which the embedded copy cannot contain: it would change the hash it records).

Serialization is canonical (sorted keys, two-space indent, trailing newline) so the same inputs give
the same bytes, and :func:`without_pdf` of the sidecar equals the embedded manifest exactly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson

from scimaudit import __version__
from scimaudit.config import Config
from scimaudit.errors import VerificationError
from scimaudit.reporting.context import AttachmentInfo, StoreFacts, canonical_json
from scimaudit.reporting.population import POPULATION_COLUMNS, SORT_KEY
from scimaudit.reporting.spec import ReportSpec

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = "scimaudit-evidence-manifest/1"


def dumps(manifest: dict[str, Any]) -> bytes:
    """Canonical bytes of a manifest."""
    return (
        orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS, default=str)
        + b"\n"
    )


def sidecar_path(pdf_path: Path) -> Path:
    """``SOX-20240630-AB12CD34.pdf`` → ``SOX-20240630-AB12CD34.manifest.json`` beside it."""
    return pdf_path.with_name(pdf_path.stem + ".manifest.json")


def with_pdf(
    manifest: dict[str, Any],
    *,
    name: str,
    sha256: str,
    size: int,
    unsigned_sha256: str,
    unsigned_bytes: int,
) -> dict[str, Any]:
    """The sidecar: the manifest plus the hashes of the final file and of its unsigned document
    (the first ``unsigned_bytes`` of a signed file; the reproducible part)."""
    pdf = {
        "name": name,
        "sha256": sha256,
        "bytes": size,
        "unsigned_sha256": unsigned_sha256,
        "unsigned_bytes": unsigned_bytes,
    }
    return {**manifest, "pdf": pdf}


def without_pdf(manifest: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in manifest.items() if k != "pdf"}


def loads(raw: bytes, source: str) -> dict[str, Any]:
    """Parse a manifest; anything that is not one is a verification failure naming ``source``."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise VerificationError(f"{source}: manifest is not valid JSON ({exc})") from None
    if not isinstance(value, dict) or value.get("format") != MANIFEST_FORMAT:
        raise VerificationError(f"{source}: not a scimaudit evidence manifest ({MANIFEST_FORMAT})")
    return value


def attachment_entries(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{name: {"sha256": ..., "bytes": ...}}`` of the attachments the manifest vouches for."""
    return {str(a["name"]): a for a in manifest.get("attachments", [])}


def _iso(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def report_identity(
    kind: str,
    facts: StoreFacts,
    entity: str,
    generated_at: datetime,
    *,
    signoffs_sha256: str | None = None,
) -> str:
    """``SOX-20240630-1A2B3C4D``: kind, population date, hash of everything the pack rests on."""
    scope = facts.scope
    extra: dict[str, Any] = {"signoffs_sha256": signoffs_sha256} if signoffs_sha256 else {}
    basis = canonical_json(
        {
            **extra,
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
    signoff: dict[str, Any] | None = None,
    signer: dict[str, str] | None = None,
    cover: dict[str, Any] | None = None,
    data_as_of: datetime | None = None,
) -> dict[str, Any]:
    """The manifest. ``signer`` names the certificate that will sign the PDF (None: unsigned), so
    a stripped signature is detectable; ``cover`` holds the key figures exactly as page 1 prints
    them and the statements it makes (the access review's status); ``data_as_of`` is the latest
    moment of the data (the generation time may not precede it)."""
    scope = facts.scope
    body: dict[str, Any] = {
        "format": MANIFEST_FORMAT,
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
            "data_as_of": _iso(data_as_of),
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
        "remediation": {
            "file": "remediation.csv",
            "rows": facts.remediation.total,
            "sha256": facts.remediation.sha256,
            "states": dict(facts.remediation.states),
            "as_of": _iso(scope.period_end),
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
    body["signer"] = signer
    body["cover"] = cover or {"figures": [], "statements": []}
    if signoff is not None:
        body["signoff"] = signoff
    return body
