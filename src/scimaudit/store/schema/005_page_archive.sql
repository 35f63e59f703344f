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
-- Resources), and the resource is read from the archive when someone asks for it. Rows landed
-- before this migration keep NULL there; their pages still hold the bodies inline.

ALTER TABLE raw_scim_page ALTER COLUMN body DROP NOT NULL;
-- path of the Parquet file holding this response's body, relative to the page archive folder
ALTER TABLE raw_scim_page ADD COLUMN archive_file VARCHAR;

-- account is rebuilt: without `resource`, with its source position, and without the PRIMARY KEY.
-- (snapshot_id, account_id) stays unique, by the collector: a pull that received an id twice
-- deletes every copy but the first (dedupe_accounts.sql) before the snapshot is judged, and the
-- completeness check compares the loaded count with the unique ids received. The key's index cost
-- ~1.8 s of CPU per 1M accounts loaded (a tenth of a whole pull) to catch what is rare and known.
-- grain: one row per SCIM User per app snapshot
CREATE TABLE account_v5 (
    snapshot_id      BIGINT NOT NULL,
    app              VARCHAR NOT NULL,
    account_id       VARCHAR NOT NULL,        -- SCIM id
    user_name        VARCHAR,
    external_id      VARCHAR,
    employee_number  VARCHAR,                 -- enterprise extension
    display_name     VARCHAR,
    given_name       VARCHAR,
    family_name      VARCHAR,
    emails           VARCHAR[],
    primary_email    VARCHAR,
    active           BOOLEAN,                 -- NULL when the server did not say (treated as active)
    department       VARCHAR,                 -- enterprise extension
    manager_ref      VARCHAR,                 -- enterprise extension manager.value
    created          TIMESTAMPTZ,
    last_modified    TIMESTAMPTZ,
    last_activity    TIMESTAMPTZ,             -- from the app's configured activity attribute, if any
    etag             VARCHAR,                 -- meta.version
    raw_seq          INTEGER,                 -- raw_scim_page.seq of the page it came from
    raw_index        INTEGER                  -- 0-based position in that page's Resources
);
INSERT INTO account_v5
SELECT
    snapshot_id, app, account_id, user_name, external_id, employee_number, display_name,
    given_name, family_name, emails, primary_email, active, department, manager_ref, created,
    last_modified, last_activity, etag, NULL, NULL
FROM account;
DROP TABLE account;
ALTER TABLE account_v5 RENAME TO account;

ALTER TABLE scim_group ADD COLUMN last_modified TIMESTAMPTZ;  -- meta.lastModified
ALTER TABLE scim_group ADD COLUMN raw_seq INTEGER;
ALTER TABLE scim_group ADD COLUMN raw_index INTEGER;
