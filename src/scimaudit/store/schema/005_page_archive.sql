-- Migration 005: raw SCIM response bodies move out of the store into the page archive, a folder of
-- immutable Parquet files beside the store file (<store>.raw/<snapshot_id>/chunk-NNNNNN.parquet,
-- see collect/scim/archive.py). raw_scim_page keeps one row per response with everything but the
-- body, plus the archive file that holds it; body stays for rows landed before this migration.
--
-- Why: a body is one huge value (a 1000-user page is ~850 KB). Stored in DuckDB, every snapshot's
-- pages shared one row group of raw_scim_page, so every checkpoint rewrote every page ever stored
-- (~2 s of CPU and ~1x their size in memory per GB) and a 1M-user pull cost ~10 s of CPU in log
-- and checkpoint writes alone. Written once to a zstd Parquet file, the same bytes cost ~0.05 s
-- per 1000 pages, stay readable by DuckDB itself (read_parquet), and are never rewritten.
-- account.resource (a second copy of each resource's JSON) goes for the same reason: each account
-- row now points at its exact source instead (raw_seq = the page, raw_index = its position in
-- Resources), and the resource is read from the archive when someone asks for it.

ALTER TABLE raw_scim_page ALTER COLUMN body DROP NOT NULL;
-- path of the Parquet file holding this response's body, relative to the page archive folder
ALTER TABLE raw_scim_page ADD COLUMN archive_file VARCHAR;

ALTER TABLE account DROP COLUMN resource;
ALTER TABLE account ADD COLUMN raw_seq INTEGER;     -- raw_scim_page.seq of the page it came from
ALTER TABLE account ADD COLUMN raw_index INTEGER;   -- 0-based position in that page's Resources

ALTER TABLE scim_group ADD COLUMN last_modified TIMESTAMPTZ;  -- meta.lastModified
ALTER TABLE scim_group ADD COLUMN raw_seq INTEGER;
ALTER TABLE scim_group ADD COLUMN raw_index INTEGER;
