-- grain: one row per SCIM User per app snapshot. One copy of each id is kept: the primary key
-- (OR IGNORE) skips repeats, within a chunk and across chunks (a sort-free dedupe: a window over
-- the full rows cost a third of the staging time). Repeats are copies of the same resource read
-- twice while the listing shifted. The loader first runs this as a plain INSERT (repeats are rare
-- and OR IGNORE's per-row conflict handling cost 45 %); a repeat makes that fail, and the chunk
-- is loaded again with this text. Resources without a usable id cannot be keyed and stay out
-- (they are reported as malformed).
-- Parameters: $snapshot_id, $app.
INSERT OR IGNORE INTO account (
    snapshot_id, app, account_id, user_name, external_id, employee_number, display_name,
    given_name, family_name, emails, primary_email, active, department, manager_ref, created,
    last_modified, last_activity, etag, raw_seq, raw_index
)
SELECT
    $snapshot_id,
    $app,
    id,
    user_name,
    external_id,
    employee_number,
    display_name,
    given_name,
    family_name,
    emails,
    primary_email,
    active,
    department,
    manager_ref,
    created,
    last_modified,
    last_activity,
    etag,
    seq,
    idx
FROM staged_user
WHERE id IS NOT NULL;
