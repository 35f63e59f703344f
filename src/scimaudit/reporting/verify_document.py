"""What the pages claim, for ``scimaudit verify``: the signature, the cover's figures, the dates.

* *Signature*: the embedded manifest names the signer certificate's SHA-256. A pack whose manifest
  names a signer must carry a valid signature by exactly that certificate covering the whole file
  (later updates allowed only if they are archival timestamps); a stripped or substituted signature
  fails. The named certificate is the trust anchor for that one check (integrity and the declared
  signer; whether an organisation trusts the certificate is the auditor's call), so a valid
  self-signed signature validates quietly instead of pyHanko logging a path-building traceback.
* *Cover*: the key figures printed on page 1 must equal those the manifest records.
* *Dates*: the generation time may not precede the data's as-of (run date, snapshots).
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pyhanko.pdf_utils.reader import PdfFileReader

from scimaudit.reporting.cover import parse_manifest_time, read_printed_figures
from scimaudit.reporting.verify_checks import Check

_QUIET = ("pyhanko", "pyhanko_certvalidator")


@contextmanager
def _quiet_pyhanko() -> Iterator[None]:
    """pyHanko logs validation problems (with tracebacks) itself; we report them as checks."""
    loggers = [logging.getLogger(name) for name in _QUIET]
    saved = [lg.disabled for lg in loggers]
    for lg in loggers:
        lg.disabled = True
    try:
        yield
    finally:
        for lg, was in zip(loggers, saved, strict=True):
            lg.disabled = was


def _whole_file(status: Any) -> bool:
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return True
    level = status.modification_level
    return bool(
        status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
        and level is not None
        and level <= ModificationLevel.LTA_UPDATES
    )


def signature_checks(
    reader: PdfFileReader, body: dict[str, Any] | None
) -> tuple[list[Check], bool]:
    """Checks of every signature and of the declared signer; True when the declared signer's
    signature proves every byte of the file."""
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    declared = (body or {}).get("signer") or None
    want = str(declared.get("certificate_sha256", "")) if isinstance(declared, dict) else None
    checks: list[Check] = []
    try:
        sigs = list(reader.embedded_signatures)
    except Exception as exc:
        return [Check("signature", False, f"cannot read signature fields: {exc}")], False
    proven = False
    by_declared = False
    for sig in sigs:
        try:
            cert = sig.signer_cert
            fingerprint = hashlib.sha256(cert.dump()).hexdigest()
            anchor = [cert] if fingerprint == want else []
            with _quiet_pyhanko():
                status = validate_pdf_signature(
                    sig, ValidationContext(trust_roots=anchor, allow_fetching=False)
                )
        except Exception as exc:
            checks.append(Check(f"signature {sig.field_name}", False, f"cannot validate: {exc}"))
            continue
        intact = bool(status.intact and status.valid)
        whole = intact and _whole_file(status)
        mine = fingerprint == want
        by_declared = by_declared or mine
        who = f"{cert.subject.human_friendly} (certificate SHA-256 {fingerprint[:16]}…)"
        if not intact:
            detail = f"by {who}: the signed bytes were altered or the signature is invalid"
        elif mine and not whole:
            detail = f"by {who}: intact, but content was added after signing"
        else:
            detail = f"intact, by {who}" + (
                ", the signer the manifest names" if mine else ", NOT the signer the manifest names"
            )
        checks.append(Check(f"signature {sig.field_name}", intact and (whole or not mine), detail))
        proven = proven or (mine and whole)
    if want is None:
        checks.append(
            Check(
                "declared signer",
                None,
                "the manifest declares no signer: an unsigned pack (only the store can prove it)",
                required=False,
            )
        )
    elif not by_declared:
        checks.append(
            Check(
                "declared signer",
                False,
                f"the manifest names signer certificate {want[:16]}… but the PDF carries no "
                "signature by it: the signature was stripped or replaced",
            )
        )
    else:
        checks.append(
            Check(
                "declared signer",
                proven,
                f"signature by certificate {want[:16]}… covers the whole file"
                if proven
                else f"the signature by certificate {want[:16]}… does not prove this file",
            )
        )
    return checks, proven


def cover_check(data: bytes, body: dict[str, Any] | None) -> Check:
    """The figures and statements (the access review's status) printed on page 1 against the
    manifest's ``cover``."""
    import pypdf

    figures = ((body or {}).get("cover") or {}).get("figures")
    if not figures:
        return Check("cover figures", None, "the manifest records no cover figures")
    try:
        text = pypdf.PdfReader(io.BytesIO(data), strict=False).pages[0].extract_text()
    except Exception as exc:
        return Check("cover figures", False, f"page 1 cannot be read: {exc}")
    printed = read_printed_figures(text, figures)
    wrong = [
        f"{f['label']}: printed {printed.get(f['label']) or 'nothing'}, manifest {f['value']}"
        for f in figures
        if printed.get(f["label"]) != f["value"]
    ]
    flat = " ".join(text.split()).casefold()
    statements = ((body or {}).get("cover") or {}).get("statements") or []
    wrong += [
        f"not printed: {s!r}" for s in statements if " ".join(str(s).split()).casefold() not in flat
    ]
    if wrong:
        return Check(
            "cover figures", False, "page 1 disagrees with the manifest: " + "; ".join(wrong)
        )
    shown = ", ".join(f"{f['label']} {f['value']}" for f in figures)
    return Check("cover figures", True, f"page 1 prints what the manifest records ({shown})")


def dates_check(body: dict[str, Any] | None) -> Check:
    """The generation time may not precede the data's as-of (nor any snapshot's)."""
    if body is None:
        return Check("generation time", None, "no usable manifest")
    generated = parse_manifest_time(body.get("report", {}).get("generated_at"))
    if generated is None:
        return Check("generation time", False, "the manifest records no generation time")
    scope = body.get("scope", {})
    marks = [("data as of", scope.get("data_as_of")), ("population as of", scope.get("as_of"))]
    marks += [(f"snapshot {s.get('label')}", s.get("as_of")) for s in body.get("snapshots", [])]
    late = [
        f"{name} {value}"
        for name, value in marks
        if (when := parse_manifest_time(value)) is not None and when > generated
    ]
    stamp = body["report"]["generated_at"]
    if late:
        return Check(
            "generation time", False, f"generated {stamp}, before its data: " + ", ".join(late)
        )
    return Check("generation time", True, f"generated {stamp}, after its data")
