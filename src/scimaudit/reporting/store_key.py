"""The store's own signing key: made on the first signed pack, kept beside the store, never in it.

Why beside and not inside: DuckDB files are copied, attached and queried by many people (auditors
read the store); a private key in a table would be readable by anyone with read access. The key
lives in ``<store>.signing/`` (like the page archive ``<store>.raw/``), the folder ``0700`` and the
key file ``0600``; back it up and restrict it like the store itself. The certificate is
self-signed: it identifies the store that issued a pack (its SHA-256 is in every manifest and in the
store's register of issued packs), it does not claim trust from a certificate authority. An
organisation that wants its own PKI names its certificate in ``[report]`` instead.

Creation is atomic: the pair is written to a temporary folder and renamed into place, so two
``report`` runs that race both end up with the one key that won.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from scimaudit.errors import ReportError

KEY_NAME = "signer-key.pem"
CERT_NAME = "signer-cert.pem"
VALID_YEARS = 20


@dataclass(frozen=True)
class StoreKey:
    key_path: Path
    cert_path: Path


def key_dir(store_path: Path) -> Path:
    """``scimaudit.duckdb`` → ``scimaudit.duckdb.signing/``."""
    return store_path.with_name(store_path.name + ".signing")


def _existing(folder: Path) -> StoreKey | None:
    key, cert = folder / KEY_NAME, folder / CERT_NAME
    if key.is_file() and cert.is_file():
        return StoreKey(key, cert)
    if folder.exists():
        raise ReportError(
            f"{folder}: the store's signing folder lacks {KEY_NAME} or {CERT_NAME}; restore it "
            "from backup, or move it away to let scimaudit make a new key"
        )
    return None


def _write_pair(folder: Path, entity: str, store_name: str) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"scimaudit evidence signer ({store_name})"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, entity[:64] or "scimaudit"),
        ]
    )
    # the certificate's own dates are when the key was made: a fact about the key, not a decision
    made = datetime.now(UTC).replace(microsecond=0)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(made - timedelta(days=1))
        .not_valid_after(made + timedelta(days=365 * VALID_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    key_file = folder / KEY_NAME
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    (folder / CERT_NAME).write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def ensure_store_key(store_path: Path, *, entity: str) -> StoreKey:
    """The store's key pair, made now if the store has none yet."""
    folder = key_dir(store_path)
    found = _existing(folder)
    if found is not None:
        return found
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}-"))
    try:
        os.chmod(staging, 0o700)
        _write_pair(staging, entity, store_path.name)
        try:
            os.rename(staging, folder)
        except OSError:  # another process made the key first: use that one
            if _existing(folder) is None:
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    made = _existing(folder)
    assert made is not None
    return made
