-- grain: one row per issued PDF that either has this SHA-256 or carries this report id
SELECT report_id, kind, pdf_sha256, pdf_bytes, unsigned_sha256, manifest_sha256, signer_sha256,
       signer_subject, run_id, generated_at, issued_at, issued_by
FROM issued_pack
WHERE pdf_sha256 = $pdf_sha256 OR report_id = $report_id
ORDER BY issued_at, pdf_sha256
