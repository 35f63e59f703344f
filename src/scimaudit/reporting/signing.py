"""Optional PAdES signature with a local certificate (pyHanko), when ``[report]`` names one.

The signature is an incremental update (ISO 32000-1 §12.8): the signed PDF is the unsigned one plus
a signature appended, so PDF/A conformance and the embedded attachments are untouched. A signature
carries its signing time and pyHanko gives the update a random file identifier, so a *signed* PDF is
not byte-reproducible; the unsigned document and the manifest still are, and the sidecar manifest
records the hash of the final, signed file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from scimaudit.config import ReportConfig
from scimaudit.errors import ReportError


def signing_configured(cfg: ReportConfig) -> bool:
    return cfg.sign_cert is not None and cfg.sign_key is not None


def sign_pdf(source: Path, target: Path, cfg: ReportConfig, *, reason: str) -> None:
    """Sign ``source`` into ``target`` (PAdES B-B, SHA-256) with the configured key and cert."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    assert cfg.sign_cert is not None and cfg.sign_key is not None
    passphrase = cfg.sign_passphrase.reveal().encode() if cfg.sign_passphrase else None
    for label, path in (("sign_cert", cfg.sign_cert), ("sign_key", cfg.sign_key)):
        if not path.is_file():
            raise ReportError(f"[report].{label}: {path} does not exist")
    try:
        load: Callable[..., signers.SimpleSigner | None] = signers.SimpleSigner.load
        signer = load(str(cfg.sign_key), str(cfg.sign_cert), key_passphrase=passphrase)
    except Exception as exc:  # pyHanko/cryptography raise many kinds for a bad key or passphrase
        raise ReportError(
            f"[report]: cannot load signing key {cfg.sign_key} / certificate {cfg.sign_cert}: "
            f"{type(exc).__name__}: {exc}"
        ) from None
    if signer is None:
        raise ReportError(f"[report]: cannot load signing key {cfg.sign_key}")
    meta = signers.PdfSignatureMetadata(
        field_name="EvidenceSignature",
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
    )
    with source.open("rb") as src, target.open("wb") as out:
        writer = IncrementalPdfFileWriter(src, strict=False)
        signers.sign_pdf(writer, meta, signer=signer, output=out)
