"""The store's register of issued packs: which PDF bytes this store published under which report id.

Why: the sidecar manifest travels with the PDF, so whoever edits a page can rewrite or delete it.
The store keeps its own record (report id, SHA-256 of the published file and of the unsigned
document, the embedded manifest's hash, the signer certificate), written *before* the PDF is moved
into place, so ``scimaudit verify`` with the store catches any edited byte with no sidecar at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from scimaudit.reporting.report_sql import fetch_dicts, run_sql


@dataclass(frozen=True)
class IssuedPack:
    report_id: str
    kind: str
    pdf_sha256: str
    pdf_bytes: int
    unsigned_sha256: str
    manifest_sha256: str
    signer_sha256: str | None
    signer_subject: str | None
    run_id: int
    generated_at: datetime
    issued_by: str


def record_issued(con: duckdb.DuckDBPyConnection, pack: IssuedPack) -> None:
    """Add ``pack`` to the register (a byte-identical rebuild is already there)."""
    params: dict[str, Any] = {
        "report_id": pack.report_id,
        "kind": pack.kind,
        "pdf_sha256": pack.pdf_sha256,
        "pdf_bytes": pack.pdf_bytes,
        "unsigned_sha256": pack.unsigned_sha256,
        "manifest_sha256": pack.manifest_sha256,
        "signer_sha256": pack.signer_sha256,
        "signer_subject": pack.signer_subject,
        "run_id": pack.run_id,
        "generated_at": pack.generated_at,
        "issued_by": pack.issued_by,
    }
    run_sql(con, "issued_pack_record", params)


def lookup_issued(
    con: duckdb.DuckDBPyConnection, *, pdf_sha256: str, report_id: str
) -> list[dict[str, Any]]:
    """Register rows with this exact file hash or this report id (raises CatalogException on a
    store made before the register existed)."""
    return fetch_dicts(
        con, "issued_pack_lookup", {"pdf_sha256": pdf_sha256, "report_id": report_id}
    )
