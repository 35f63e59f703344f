-- grain: one row inserted per issued PDF (report id × PDF SHA-256); a byte-identical rebuild
-- of the same pack is already recorded and adds nothing
INSERT INTO issued_pack (report_id, kind, pdf_sha256, pdf_bytes, unsigned_sha256, manifest_sha256,
                         signer_sha256, signer_subject, run_id, generated_at, issued_at, issued_by)
SELECT $report_id, $kind, $pdf_sha256, $pdf_bytes, $unsigned_sha256, $manifest_sha256,
       $signer_sha256, $signer_subject, $run_id, $generated_at, current_timestamp, $issued_by
WHERE NOT EXISTS (
    SELECT 1 FROM issued_pack WHERE report_id = $report_id AND pdf_sha256 = $pdf_sha256
)
