-- grain: one row per SCIM User per app snapshot, appended as staged, repeats included: a pull that
-- received an id twice (servers repeat resources when the listing shifts under paging) removes
-- the later copies at its end (dedupe_accounts.sql), so the first copy received wins whatever
-- order the loader threads commit in. No key index is checked per row: that cost ~1.8 s of CPU
-- per 1M accounts, for repeats the pull already counts exactly. Resources without a usable id
-- cannot be keyed and stay out (they are reported as malformed).
-- Parameters: $snapshot_id, $app.
INSERT INTO account (
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
