"""The PDF's own structure, for ``scimaudit verify``: PDF/A-3B identification and the attachments.

Attachments are read from the embedded-files name tree (ISO 32000-1 §7.9.6) and hashed in chunks,
never inflated beyond the size the manifest declares (a decompression bomb in a forged file stops
there).
"""

from __future__ import annotations

import hashlib
import re
import zlib
from typing import Any

from pyhanko.pdf_utils.reader import PdfFileReader

from scimaudit.errors import VerificationError
from scimaudit.reporting import manifest as mf
from scimaudit.reporting.verify_checks import Check

_XMP_PART = re.compile(rb'pdfaid:part(?:="|>)\s*(\d)')
_XMP_CONFORMANCE = re.compile(rb'pdfaid:conformance(?:="|>)\s*([A-Za-z])')
_MANIFEST_CAP = 64 * 1024 * 1024
_IN_CHUNK, _OUT_CHUNK = 1 << 20, 8 << 20


def pdfa_check(reader: PdfFileReader) -> Check:
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


def attachment_checks(
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
