"""``scimaudit verify``: is this evidence pack intact, and does it still agree with the store?

Checks, each reported separately so an auditor sees exactly what holds:

1. *Sidecar* (when ``<id>.manifest.json`` is beside the PDF): its SHA-256 and size equal the PDF's,
   and its manifest equals the embedded one. The sidecar travels with the file, so whoever edits
   the PDF can rewrite it: it is a convenience, never the proof.
2. *PDF/A-3B*, *embedded manifest*, *attachments* (:mod:`~scimaudit.reporting.verify_pdf`).
3. *Signature*, *cover figures*, *generation time* (:mod:`~scimaudit.reporting.verify_document`).
4. *Store* (:mod:`~scimaudit.reporting.verify_store`): the register of issued packs holds this exact
   file; the run, snapshots, population, exceptions, remediation and sign-offs are as recorded.
5. *Document integrity*: passes only when a signature by the signer the manifest names covers the
   whole file, or the store's register holds its exact SHA-256.

The verdict (:class:`~scimaudit.reporting.verify_checks.VerificationReport`) is FAILED when any
check failed (exit 8), INCONCLUSIVE when a required check could not run (exit 11: e.g. an unsigned
pack with no store, or a store that was wanted but cannot be opened), and INTACT only otherwise.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

from pyhanko.pdf_utils.reader import PdfFileReader

from scimaudit.errors import ReportError, VerificationError, VerificationInconclusive
from scimaudit.reporting import manifest as mf
from scimaudit.reporting.verify_checks import Check, VerificationReport
from scimaudit.reporting.verify_document import cover_check, dates_check, signature_checks
from scimaudit.reporting.verify_pdf import attachment_checks, pdfa_check
from scimaudit.reporting.verify_store import store_checks

__all__ = ["Check", "VerificationReport", "require_ok", "verify_pack"]


def _sidecar_checks(
    data: bytes, sha: str, pdf_path: Path, checks: list[Check]
) -> dict[str, Any] | None:
    sidecar = mf.sidecar_path(pdf_path)
    if not sidecar.is_file():
        checks.append(
            Check("document hash", None, f"no {sidecar.name} beside the PDF", required=False)
        )
        return None
    try:
        side = mf.loads(sidecar.read_bytes(), str(sidecar))
    except VerificationError as exc:
        checks.append(Check("document hash", False, str(exc)))
        return None
    want = side.get("pdf", {})
    ok = want.get("sha256") == sha and want.get("bytes") == len(data)
    detail = (
        f"SHA-256 {sha} matches {sidecar.name}"
        if ok
        else f"SHA-256 {sha} ({len(data)} bytes) but {sidecar.name} records "
        f"{want.get('sha256')} ({want.get('bytes')} bytes): the PDF was altered"
    )
    checks.append(Check("document hash", ok, detail))
    return side


def _integrity(checks: list[Check], signed_proof: bool) -> Check:
    registered = any(c.name == "store: issued pack" and c.ok for c in checks)
    proofs = [
        name
        for name, held in (
            ("the declared signer's signature", signed_proof),
            ("the store's register of issued packs", registered),
        )
        if held
    ]
    if proofs:
        return Check("document integrity", True, "every byte proven by " + " and ".join(proofs))
    if any(c.ok is False for c in checks):
        return Check("document integrity", False, "not proven: see the failed checks")
    return Check(
        "document integrity",
        None,
        "nothing proves these bytes: no signature by a declared signer and no store to ask "
        "(a sidecar can be rewritten together with the PDF)",
    )


def verify_pack(
    pdf_path: Path,
    *,
    store_path: Path | None = None,
    lock_timeout: float = 30.0,
    no_store: bool = False,
) -> VerificationReport:
    """Run every check that can run; never raises for a failed check (see :func:`require_ok`).

    ``no_store``: the caller asked for the file checks only, so the store's checks are not listed
    (not skipped). Otherwise a ``store_path`` that is None or missing is a skipped required check.
    """
    if not pdf_path.is_file():
        raise ReportError(f"{pdf_path}: no such file")
    data = pdf_path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    checks: list[Check] = []
    side = _sidecar_checks(data, sha, pdf_path, checks)
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        _ = reader.root["/Pages"]
    except Exception as exc:
        checks.append(Check("PDF structure", False, f"not a readable PDF: {exc}"))
        report_id = str((side or {}).get("report", {}).get("id", "unknown"))
        return VerificationReport(pdf_path, report_id, checks)
    checks.append(pdfa_check(reader))
    body = attachment_checks(reader, side, checks)
    sig_checks, signed_proof = signature_checks(reader, body)
    checks += sig_checks
    checks.append(cover_check(data, body))
    checks.append(dates_check(body))
    report_id = str(((body or side) or {}).get("report", {}).get("id", "unknown"))
    if no_store:
        pass
    elif store_path is None or not store_path.exists():
        checks.append(
            Check("store", None, f"store not available ({store_path or 'not configured'})")
        )
    else:
        store_checks(store_path, lock_timeout, sha, body, checks)
    checks.append(_integrity(checks, signed_proof))
    return VerificationReport(pdf_path, report_id, checks)


def require_ok(report: VerificationReport) -> None:
    """Raise :class:`VerificationError` naming every failed check, or
    :class:`VerificationInconclusive` naming every required check that could not run."""
    if report.verdict == "FAILED":
        lines = [f"  {c.name}: {c.detail}" for c in report.failures]
        raise VerificationError(
            f"{report.pdf_path}: verification FAILED ({len(lines)} check(s))\n" + "\n".join(lines)
        )
    if report.verdict == "INCONCLUSIVE":
        lines = [f"  {c.name}: {c.detail}" for c in report.skipped]
        raise VerificationInconclusive(
            f"{report.pdf_path}: verification INCONCLUSIVE: nothing failed, but "
            f"{len(lines)} check(s) could not run, so the pack is not proven intact\n"
            + "\n".join(lines)
        )
