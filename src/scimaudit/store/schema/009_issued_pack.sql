-- Migration 009: the register of issued evidence packs. Every pack `scimaudit report` writes is
-- recorded here before it is published, with the SHA-256 of its final bytes and the certificate that
-- signed it, so `scimaudit verify` with the store proves a PDF is exactly one this store issued even
-- when the sidecar manifest is lost or rewritten. Append-only: a rebuild adds a row, nothing is updated.

-- grain: one row per issued PDF (a report id rebuilt with other bytes, e.g. re-signed, adds a row)
CREATE TABLE issued_pack (
    report_id             VARCHAR NOT NULL,
    kind                  VARCHAR NOT NULL,
    pdf_sha256            VARCHAR NOT NULL,  -- SHA-256 of the published PDF (signed, when signed)
    pdf_bytes             BIGINT NOT NULL,
    unsigned_sha256       VARCHAR NOT NULL,  -- SHA-256 of the reproducible document before signing
    manifest_sha256       VARCHAR NOT NULL,  -- SHA-256 of the embedded manifest.json
    signer_sha256         VARCHAR,           -- SHA-256 of the signer certificate (DER); NULL: unsigned
    signer_subject        VARCHAR,
    run_id                BIGINT NOT NULL,
    generated_at          TIMESTAMPTZ NOT NULL,  -- the generation time printed in the pack
    issued_at             TIMESTAMPTZ NOT NULL,  -- when this store recorded it
    issued_by             VARCHAR NOT NULL,
    PRIMARY KEY (report_id, pdf_sha256)
);
