"""The evidence manifest: the hashes that make the pack self-proving.

One JSON document lists the report's identity and scope, the analysis run and snapshots it rests on
(with their recorded SHA-256), the population hash and sort key, the sampling seed, and the SHA-256
and size of every attachment. It is embedded in the PDF as ``manifest.json`` and written beside it as
``<report id>.manifest.json`` with one more member, ``pdf``: the SHA-256 of the final PDF (which the
embedded copy cannot contain: it would change the hash it records).

Serialization is canonical (sorted keys, two-space indent, trailing newline) so the same inputs give
the same bytes, and :func:`without_pdf` of the sidecar equals the embedded manifest exactly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from scimaudit.errors import VerificationError

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


def with_pdf(manifest: dict[str, Any], *, name: str, sha256: str, size: int) -> dict[str, Any]:
    return {**manifest, "pdf": {"name": name, "sha256": sha256, "bytes": size}}


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
