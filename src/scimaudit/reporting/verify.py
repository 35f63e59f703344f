"""``scimaudit verify``: is this evidence pack intact, and does it still agree with the store?

Checks, each reported separately so an auditor sees exactly what holds:

1. *Document*: SHA-256 and size of the PDF equal ``pdf`` in the sidecar manifest beside it.
2. *PDF/A*: the file parses and declares PDF/A-3B in its XMP metadata (ISO 19005-3).
3. *Embedded manifest*: ``manifest.json`` is attached and equals the sidecar (minus ``pdf``).
4. *Attachments*: each attachment's SHA-256 and size equal the embedded manifest; none is missing,
   none was added.
5. *Signature* (if signed): pyHanko recomputes the signed byte range digest (integrity, not trust).
6. *Store* (if available): the analysis run, its parameters hash and every snapshot hash are still
   as recorded; the population, exceptions and remediation files recomputed now hash to the
   recorded values; and the review campaign behind section 8 still has the recorded sign-offs.

A check that cannot run (no sidecar, no store) is *skipped* and said so; any failed check makes the
pack fail verification (:class:`~scimaudit.errors.VerificationError`, exit 8).
"""

from __future__ import annotations

import hashlib
import io
import re
import tempfile
import zlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
from pyhanko.pdf_utils.reader import PdfFileReader

from scimaudit.errors import ReportError, ScimauditError, VerificationError
from scimaudit.reporting import manifest as mf
from scimaudit.reporting.campaign_signoff import read_campaign_signoffs, signoffs_sha256
from scimaudit.reporting.population import build_population
from scimaudit.reporting.remediation import gather_remediation
from scimaudit.reporting.results import gather_exceptions
from scimaudit.reporting.scope import Scope, app_snapshots, get_run
from scimaudit.reporting.spec import ReportSpec
from scimaudit.reporting.sqlfiles import install_macros
from scimaudit.store import snapshots
from scimaudit.store.connect import connect


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool | None
    """True passed, False failed, None skipped (could not be checked)."""
    detail: str


@dataclass(frozen=True)
class VerificationReport:
    pdf_path: Path
    report_id: str
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(c.ok is not False for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.ok is False]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _document_checks(data: bytes, pdf_path: Path, checks: list[Check]) -> dict[str, Any] | None:
    sidecar = mf.sidecar_path(pdf_path)
    if not sidecar.is_file():
        checks.append(Check("document hash", None, f"no {sidecar.name} beside the PDF"))
        return None
    side = mf.loads(sidecar.read_bytes(), str(sidecar))
    want = side.get("pdf", {})
    got = _sha(data)
    ok = want.get("sha256") == got and want.get("bytes") == len(data)
    detail = (
        f"SHA-256 {got} matches {sidecar.name}"
        if ok
        else f"SHA-256 {got} ({len(data)} bytes) but {sidecar.name} records "
        f"{want.get('sha256')} ({want.get('bytes')} bytes): the PDF was altered"
    )
    checks.append(Check("document hash", ok, detail))
    return side


_XMP_PART = re.compile(rb'pdfaid:part(?:="|>)\s*(\d)')
_XMP_CONFORMANCE = re.compile(rb'pdfaid:conformance(?:="|>)\s*([A-Za-z])')
_MANIFEST_CAP = 64 * 1024 * 1024
_IN_CHUNK, _OUT_CHUNK = 1 << 20, 8 << 20


def _pdfa_check(reader: PdfFileReader) -> Check:
    try:
        xmp = reader.root["/Metadata"].data
    except Exception as exc:  # missing or damaged metadata stream
        return Check("PDF/A-3B", False, f"XMP metadata unreadable: {exc}")
    part, conformance = _XMP_PART.search(xmp), _XMP_CONFORMANCE.search(xmp)
    got_part = part.group(1).decode() if part else None
    got_conf = conformance.group(1).decode().upper() if conformance else None
    ok = got_part == "3" and got_conf == "B"
    return Check("PDF/A-3B", ok, f"pdfaid:part={got_part}, pdfaid:conformance={got_conf}")


def _get(node: Any, key: str) -> Any:
    """``node[key]`` resolved through indirect references (pyHanko resolves on ``[]``), or None."""
    return node[key] if key in node else None  # noqa: SIM401 (.get() would not resolve)


def _name_tree(node: Any, out: dict[str, Any], depth: int = 0) -> None:
    """Collect ``name → file specification`` from a PDF name tree (ISO 32000-1 §7.9.6)."""
    if depth > 32:
        raise ValueError("name tree too deep")
    pairs = _get(node, "/Names")
    if pairs is not None:
        for i in range(0, len(pairs) - 1, 2):
            out[str(pairs[i])] = pairs[i + 1].get_object()
    kids = _get(node, "/Kids")
    for kid in kids if kids is not None else []:
        _name_tree(kid.get_object(), out, depth + 1)


def _embedded_streams(reader: PdfFileReader) -> dict[str, Any]:
    names = _get(reader.root, "/Names")
    tree = _get(names, "/EmbeddedFiles") if names is not None else None
    found: dict[str, Any] = {}
    if tree is not None:
        _name_tree(tree, found)
    return {name: spec["/EF"]["/F"] for name, spec in found.items()}


def _digest(stream: Any, cap: int) -> tuple[str, int]:
    """SHA-256 and size of an embedded file, inflated in chunks and never beyond ``cap`` bytes.

    Streaming keeps a 150 MB population.csv from being held twice in memory, and the cap (the size
    the manifest declares) defuses a decompression bomb slipped into a forged file.
    """
    filters = _get(stream, "/Filter")
    names = [
        str(f) for f in (filters if isinstance(filters, list) else [filters] if filters else [])
    ]
    encoded: bytes = stream.encoded_data
    sha = hashlib.sha256()
    if not names:
        if len(encoded) > cap:
            raise ValueError(f"larger than the {cap:,} bytes declared")
        sha.update(encoded)
        return sha.hexdigest(), len(encoded)
    if names != ["/FlateDecode"]:
        raise ValueError(f"unsupported stream filter {names}")
    inflater = zlib.decompressobj()
    size = 0
    for start in range(0, len(encoded), _IN_CHUNK):
        piece = encoded[start : start + _IN_CHUNK]
        while piece:
            out = inflater.decompress(piece, _OUT_CHUNK)
            size += len(out)
            if size > cap:
                raise ValueError(f"inflates beyond the {cap:,} bytes declared")
            sha.update(out)
            piece = inflater.unconsumed_tail
    tail = inflater.flush()
    size += len(tail)
    if size > cap:
        raise ValueError(f"inflates beyond the {cap:,} bytes declared")
    sha.update(tail)
    return sha.hexdigest(), size


def _attachment_checks(
    reader: PdfFileReader, side: dict[str, Any] | None, checks: list[Check]
) -> dict[str, Any] | None:
    try:
        embedded = _embedded_streams(reader)
    except Exception as exc:
        checks.append(Check("attachments", False, f"embedded files unreadable: {exc}"))
        return None
    stream = embedded.pop(mf.MANIFEST_NAME, None)
    if stream is None:
        checks.append(Check("embedded manifest", False, "manifest.json is not attached"))
        return None
    try:
        raw = stream.data
        if len(raw) > _MANIFEST_CAP:
            raise VerificationError("embedded manifest.json is implausibly large")
        body = mf.loads(raw, "embedded manifest.json")
    except Exception as exc:
        checks.append(Check("embedded manifest", False, str(exc)))
        return None
    if side is None:
        checks.append(Check("embedded manifest", True, "present (no sidecar to compare with)"))
    else:
        same = mf.without_pdf(side) == body
        checks.append(
            Check(
                "embedded manifest",
                same,
                "identical to the sidecar manifest"
                if same
                else "differs from the sidecar manifest: one of them was altered",
            )
        )
    listed = mf.attachment_entries(body)
    matched = 0
    for name in sorted(set(listed) | set(embedded)):
        entry, blob = listed.get(name), embedded.get(name)
        if entry is None:
            checks.append(Check(f"attachment {name}", False, "attached but not in the manifest"))
            continue
        if blob is None:
            checks.append(Check(f"attachment {name}", False, "in the manifest but not attached"))
            continue
        want_sha, want_size = entry.get("sha256"), int(entry.get("bytes", 0))
        try:
            got_sha, got_size = _digest(blob, want_size)
        except (ValueError, zlib.error) as exc:
            checks.append(Check(f"attachment {name}", False, f"cannot be read back: {exc}"))
            continue
        if got_sha != want_sha or got_size != want_size:
            checks.append(
                Check(
                    f"attachment {name}",
                    False,
                    f"SHA-256 {got_sha} ({got_size} bytes) but the manifest records "
                    f"{want_sha} ({want_size} bytes)",
                )
            )
        else:
            matched += 1
    checks.append(
        Check(
            "attachments",
            matched == len(listed) and set(embedded) <= set(listed),
            f"{matched} of {len(listed)} attachments match the SHA-256 and size in the manifest",
        )
    )
    return body


def _signature_checks(reader: PdfFileReader, checks: list[Check]) -> None:
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        sigs = reader.embedded_signatures
    except Exception as exc:
        checks.append(Check("signature", False, f"cannot read signature fields: {exc}"))
        return
    for sig in sigs:
        try:
            # integrity only: no trust roots, no network (trust is the auditor's call)
            status = validate_pdf_signature(
                sig, ValidationContext(trust_roots=[], allow_fetching=False)
            )
        except Exception as exc:
            checks.append(Check(f"signature {sig.field_name}", False, f"cannot validate: {exc}"))
            continue
        ok = bool(status.intact and status.valid)
        checks.append(
            Check(
                f"signature {sig.field_name}",
                ok,
                f"intact, signed by {status.signing_cert.subject.human_friendly} "
                "(trust in the certificate is not evaluated)"
                if ok
                else "the signed bytes were altered or the signature is invalid",
            )
        )


def _scope_from_manifest(con: duckdb.DuckDBPyConnection, body: dict[str, Any]) -> Scope:
    run = get_run(con, int(body["analysis_run"]["run_id"]))
    apps = tuple(body["scope"]["apps"])
    in_run = app_snapshots(run)
    return Scope(
        run=run,
        apps=apps,
        app_snapshot_ids={a: in_run[a] for a in apps if a in in_run},
        missing_apps=tuple(a for a in apps if a not in in_run),
        scope_note="",
        period_start=date.fromisoformat(body["scope"]["period_start"]),
        period_end=date.fromisoformat(body["scope"]["period_end"]),
    )


def _signoff_check(
    con: duckdb.DuckDBPyConnection, scope: Scope, body: dict[str, Any], checks: list[Check]
) -> None:
    """Section 8's sign-offs, re-read from the review campaign the manifest names."""
    entry = body.get("signoff")
    if not entry or entry.get("campaign_id") is None:
        return
    cid = int(entry["campaign_id"])
    try:
        _name, signoffs = read_campaign_signoffs(con, cid)
    except ScimauditError as exc:
        checks.append(Check("store: sign-offs", False, f"campaign {cid}: {exc}"))
        return
    got = signoffs_sha256(signoffs)
    ok = got == entry.get("sha256") and len(signoffs) == entry.get("signoffs")
    checks.append(
        Check(
            "store: sign-offs",
            ok,
            f"campaign {cid}: {len(signoffs)} sign-off(s), SHA-256 {got[:16]}… equals the manifest"
            if ok
            else f"campaign {cid} now has {len(signoffs)} sign-off(s) with SHA-256 {got} but the "
            f"manifest records {entry.get('signoffs')}, {entry.get('sha256')}",
        )
    )


def _store_checks(
    store: Path, lock_timeout: float, body: dict[str, Any], checks: list[Check]
) -> None:
    with connect(store, read_only=True, lock_timeout=lock_timeout) as con:
        install_macros(con)
        try:
            scope = _scope_from_manifest(con, body)
        except (ReportError, KeyError, ValueError) as exc:
            checks.append(Check("store: analysis run", False, str(exc)))
            return
        recorded = body["analysis_run"]["params_sha256"]
        checks.append(
            Check(
                "store: analysis run",
                scope.run.params_sha256 == recorded
                and str(scope.run.as_of) == body["scope"]["as_of"],
                f"run #{scope.run.run_id} as of {scope.run.as_of}, parameters hash "
                f"{scope.run.params_sha256[:16]}… (manifest {recorded[:16]}…)",
            )
        )
        bad = []
        for snap in body.get("snapshots", []):
            try:
                current = snapshots.get(con, int(snap["snapshot_id"]))
            except Exception:
                bad.append(f"{snap['label']} (#{snap['snapshot_id']} missing)")
                continue
            if current.sha256 != snap.get("sha256") or current.status != snap.get("status"):
                bad.append(f"{snap['label']} (#{snap['snapshot_id']})")
        checks.append(
            Check(
                "store: snapshots",
                not bad,
                f"{len(body.get('snapshots', []))} snapshot hashes as recorded"
                if not bad
                else "changed since the pack was made: " + ", ".join(bad),
            )
        )
        spec = ReportSpec(
            kind=body["report"]["kind"],
            title="",
            framework="",
            objective="",
            exception_kinds=tuple(body["scope"]["exception_kinds"]),
            tests=(),
            privileged_only=bool(body["scope"]["privileged_only"]),
            controls=(),
            source_file="",
            source_sha256="",
        )
        with tempfile.TemporaryDirectory(prefix="scimaudit-verify-") as tmp:
            population = build_population(con, scope, Path(tmp))
            exceptions = gather_exceptions(con, scope, spec, Path(tmp), cap=0)
            remediation = gather_remediation(con, Path(tmp), cap=0)
        _signoff_check(con, scope, body, checks)
    recomputed = [
        ("population", "population", population.sha256, population.rows),
        ("exceptions", "exceptions", exceptions.sha256, exceptions.total),
    ]
    if "remediation" in body:  # packs made before remediation was reported have no entry
        recomputed.append(("remediation", "remediation", remediation.sha256, remediation.total))
    for label, key, got, rows in recomputed:
        want = body[key]["sha256"]
        ok = got == want and rows == body[key]["rows"]
        checks.append(
            Check(
                f"store: {label}",
                ok,
                f"recomputed {rows:,} rows, SHA-256 {got[:16]}… equals the manifest"
                if ok
                else f"recomputed {rows:,} rows with SHA-256 {got} but the manifest records "
                f"{body[key]['rows']:,} rows, {want}",
            )
        )


def verify_pack(
    pdf_path: Path, *, store_path: Path | None = None, lock_timeout: float = 30.0
) -> VerificationReport:
    """Run every check that can run; never raises for a failed check (see :func:`require_ok`)."""
    if not pdf_path.is_file():
        raise ReportError(f"{pdf_path}: no such file")
    data = pdf_path.read_bytes()
    checks: list[Check] = []
    side = _document_checks(data, pdf_path, checks)
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        _ = reader.root["/Pages"]
    except Exception as exc:
        checks.append(Check("PDF structure", False, f"not a readable PDF: {exc}"))
        report_id = str((side or {}).get("report", {}).get("id", "unknown"))
        return VerificationReport(pdf_path, report_id, checks)
    checks.append(_pdfa_check(reader))
    body = _attachment_checks(reader, side, checks)
    _signature_checks(reader, checks)
    report_id = str(((body or side) or {}).get("report", {}).get("id", "unknown"))
    if body is None:
        checks.append(Check("store", None, "no usable manifest: nothing to compare with"))
    elif store_path is None or not store_path.exists():
        checks.append(
            Check("store", None, f"store not available ({store_path or 'not configured'})")
        )
    else:
        _store_checks(store_path, lock_timeout, body, checks)
    return VerificationReport(pdf_path, report_id, checks)


def require_ok(report: VerificationReport) -> None:
    """Raise :class:`VerificationError` naming every failed check."""
    if report.ok:
        return
    lines = [f"  {c.name}: {c.detail}" for c in report.failures]
    raise VerificationError(
        f"{report.pdf_path}: verification FAILED ({len(lines)} check(s))\n" + "\n".join(lines)
    )
