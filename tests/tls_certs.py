"""A private CA and server certificates minted with ``cryptography``, for TLS tests on 127.0.0.1.

Why not trustme: the ``cryptography`` package is already installed, and minting by hand keeps
every property a test relies on visible here. What :func:`mint_tls_files` writes:

* ``ca.pem``: a self-signed root (``BasicConstraints CA:TRUE`` critical, ``keyCertSign``), the
  bundle a config's ``ca_bundle`` points at;
* ``server.pem`` + ``server-key.pem``: a leaf issued by that CA for ``IP:127.0.0.1`` and
  ``DNS:localhost`` (RFC 6125 §6: names are matched against the SAN only, never the CN), for
  ``serverAuth``. The cert file holds the leaf followed by the CA, as many servers send their chain;
* ``wrong-host.pem`` + ``wrong-host-key.pem``: a leaf issued by the same CA for
  ``DNS:other.example`` only, so a client that trusts the CA still rejects it on 127.0.0.1;
* ``other-ca.pem``: an unrelated root that issued none of the above.

EC P-256 keys keep minting fast (a few milliseconds each). Validity starts a day in the past so a
clock skew between minting and verifying cannot make a certificate "not yet valid".
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALID_DAYS = 30


@dataclass(frozen=True)
class Authority:
    """A CA certificate and its key, able to issue leaves."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class TlsFiles:
    """Paths of the PEM files :func:`mint_tls_files` wrote (see the module docstring)."""

    ca_cert: Path
    server_cert: Path
    server_key: Path
    wrong_host_cert: Path
    wrong_host_key: Path
    other_ca_cert: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "scimaudit tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _validity(builder: x509.CertificateBuilder) -> x509.CertificateBuilder:
    now = datetime.now(UTC)
    return builder.not_valid_before(now - timedelta(days=1)).not_valid_after(
        now + timedelta(days=VALID_DAYS)
    )


def make_authority(common_name: str) -> Authority:
    """A self-signed root CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(common_name)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    return Authority(_validity(builder).sign(key, hashes.SHA256()), key)


def issue_leaf(
    authority: Authority, names: list[x509.GeneralName]
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A TLS server certificate for ``names`` (its SAN), signed by ``authority``."""
    key = ec.generate_private_key(ec.SECP256R1())
    ca_ski = authority.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name("scimaudit test server"))
        .issuer_name(authority.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
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
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
    )
    return _validity(builder).sign(authority.key, hashes.SHA256()), key


def _cert_pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def mint_tls_files(directory: Path) -> TlsFiles:
    """Mint the CA, both leaves and the unrelated CA into ``directory`` (created if missing)."""
    directory.mkdir(parents=True, exist_ok=True)
    ca = make_authority("scimaudit test CA")
    other = make_authority("unrelated test CA")
    server, server_key = issue_leaf(
        ca, [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
    )
    wrong, wrong_key = issue_leaf(ca, [x509.DNSName("other.example")])
    files = TlsFiles(
        ca_cert=directory / "ca.pem",
        server_cert=directory / "server.pem",
        server_key=directory / "server-key.pem",
        wrong_host_cert=directory / "wrong-host.pem",
        wrong_host_key=directory / "wrong-host-key.pem",
        other_ca_cert=directory / "other-ca.pem",
    )
    files.ca_cert.write_bytes(_cert_pem(ca.cert))
    files.server_cert.write_bytes(_cert_pem(server, ca.cert))
    files.server_key.write_bytes(_key_pem(server_key))
    files.wrong_host_cert.write_bytes(_cert_pem(wrong, ca.cert))
    files.wrong_host_key.write_bytes(_key_pem(wrong_key))
    files.other_ca_cert.write_bytes(_cert_pem(other.cert))
    return files
