"""PAdES signature of every pack (pyHanko): the store's own key, or an organisation's certificate.

Why sign by default: a sidecar manifest travels with the PDF and can be rewritten with it, so only a
signature (or the store's register of issued packs) can prove the pages were not edited. The signer
is chosen before the manifest is written, so the embedded manifest names the signer certificate's
SHA-256: a stripped signature, or one by another key, then fails ``scimaudit verify``.

The signature is an incremental update (ISO 32000-1 §12.8): the signed PDF is the unsigned one plus
a signature appended, so PDF/A conformance and the embedded attachments are untouched. A signature
carries its real signing time and pyHanko gives the update a random file identifier, so a *signed*
PDF is not byte-reproducible; the unsigned document (its first ``unsigned_bytes``) and the manifest
still are, and the sidecar manifest records the hashes of both.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from scimaudit.config import Config, SecretRef
from scimaudit.errors import ReportError
from scimaudit.reporting.store_key import ensure_store_key

SignerSource = Literal["store", "configured"]


@dataclass(frozen=True)
class Signer:
    """Who signs a pack: the key and certificate files, and the certificate's identity."""

    source: SignerSource
    key_path: Path
    cert_path: Path
    passphrase: SecretRef | None
    cert_sha256: str
    """SHA-256 of the certificate's DER encoding: what the manifest and the store record."""
    subject: str

    def manifest_entry(self) -> dict[str, str]:
        return {
            "certificate_sha256": self.cert_sha256,
            "subject": self.subject,
            "source": self.source,
        }


def cert_identity(der: bytes) -> tuple[str, str]:
    """``(SHA-256 of the DER certificate, human-readable subject)``."""
    from asn1crypto import x509

    cert = x509.Certificate.load(der)
    return hashlib.sha256(der).hexdigest(), str(cert.subject.human_friendly)


def _read_cert(path: Path) -> bytes:
    from asn1crypto import pem

    if not path.is_file():
        raise ReportError(f"[report].sign_cert: {path} does not exist")
    raw = path.read_bytes()
    if pem.detect(raw):
        _kind, _headers, raw = pem.unarmor(raw)
    return raw


def resolve_signer(config: Config) -> Signer | None:
    """The configured certificate, else the store's own key (made on first use); None if off."""
    cfg = config.report
    if not cfg.sign:
        return None
    if cfg.sign_cert is not None and cfg.sign_key is not None:
        if not cfg.sign_key.is_file():
            raise ReportError(f"[report].sign_key: {cfg.sign_key} does not exist")
        sha, subject = cert_identity(_read_cert(cfg.sign_cert))
        return Signer("configured", cfg.sign_key, cfg.sign_cert, cfg.sign_passphrase, sha, subject)
    key = ensure_store_key(config.store.path, entity=cfg.entity)
    sha, subject = cert_identity(_read_cert(key.cert_path))
    return Signer("store", key.key_path, key.cert_path, None, sha, subject)


def sign_pdf(source: Path, target: Path, signer: Signer, *, reason: str) -> None:
    """Sign ``source`` into ``target`` (PAdES B-B, SHA-256) with ``signer``'s key and cert."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    passphrase = signer.passphrase.reveal().encode() if signer.passphrase else None
    try:
        load: Callable[..., signers.SimpleSigner | None] = signers.SimpleSigner.load
        loaded = load(str(signer.key_path), str(signer.cert_path), key_passphrase=passphrase)
    except Exception as exc:  # pyHanko/cryptography raise many kinds for a bad key or passphrase
        raise ReportError(
            f"cannot load signing key {signer.key_path} / certificate {signer.cert_path}: "
            f"{type(exc).__name__}: {exc}"
        ) from None
    if loaded is None:
        raise ReportError(f"cannot load signing key {signer.key_path}")
    meta = signers.PdfSignatureMetadata(
        field_name="EvidenceSignature",
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
    )
    with source.open("rb") as src, target.open("wb") as out:
        writer = IncrementalPdfFileWriter(src, strict=False)
        signers.sign_pdf(writer, meta, signer=loaded, output=out)
