-- grain: one row per SCIM User per app snapshot. The first copy of an id wins: copies later in the
-- same chunk are skipped by copy_rank, copies in later chunks by the primary key (OR IGNORE).
-- Resources without a usable id cannot be keyed and stay out (they are reported as malformed).
-- Parameters: $snapshot_id, $app.
INSERT OR IGNORE INTO account (
    snapshot_id, app, account_id, user_name, external_id, employee_number, display_name,
    given_name, family_name, emails, primary_email, active, department, manager_ref, created,
    last_modified, last_activity, etag, resource
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
    resource
FROM staged_user
WHERE id IS NOT NULL AND copy_rank = 1;
