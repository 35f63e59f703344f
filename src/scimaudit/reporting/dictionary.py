"""Data dictionary of the attached CSV files, printed in appendix B (and used by tests)."""

from __future__ import annotations

from scimaudit.reporting.leaver_file import HR_COLUMNS, LEAVER_COLUMNS
from scimaudit.reporting.population import POPULATION_COLUMNS
from scimaudit.reporting.remediation import COLUMNS as REMEDIATION_COLUMNS
from scimaudit.reporting.results import EXCEPTION_COLUMNS
from scimaudit.reporting.sampling import SAMPLE_COLUMNS

_CSV_NOTE = (
    "All files: UTF-8, comma-separated, header row, RFC 4180 quoting. A text cell that a "
    "spreadsheet would execute as a formula (leading = + - @ TAB CR) is prefixed with an "
    "apostrophe (')."
)

POPULATION = {
    "app": "Application name as configured (the SCIM endpoint it was collected from).",
    "account_id": 'SCIM resource id of the account (RFC 7643 §3.1 "id").',
    "user_name": "SCIM userName as the application reported it.",
    "active": "SCIM active flag; empty means the application did not say (treated as active).",
    "account_type": "human (linked to an HR person), service (declared) or unmatched.",
    "privileged": "true when the account holds a configured privileged group.",
    "privileged_groups": "The privileged groups held, '; '-separated.",
    "employee_id": "HR employee id of the linked person; empty when unmatched or service.",
    "person_status": "HR status of the linked person (HR snapshot): active, leave, terminated.",
    "person_worker_type": "employee or contractor, from HR.",
    "link_rule": "Correlation rule that linked the account: external_id, employee_number, email, "
    "name, override.",
    "link_confidence": "high, medium or low (name-only links are low).",
    "snapshot_id": "Store snapshot the account row comes from (see section 3).",
}

EXCEPTIONS = {
    "rule_id": "Finding kind (rule) that raised the exception; its SQL is attached.",
    "severity": "critical, high, medium or low.",
    "status": "open; risk-accepted (approver, expiry, reason); or remediated (resolved_on; "
    "the remediation_* times when a verified SCIM removal did it).",
    "app": "Application; empty for cross-application findings (e.g. SoD across apps).",
    "account_id": "SCIM id of the account concerned.",
    "user_name": "SCIM userName of the account concerned.",
    "employee_id": "HR employee id of the person concerned, if linked.",
    "person_name": "First and last name from the HR snapshot.",
    "group_name": "The entitlement (group) concerned, when the finding is about one.",
    "reason": "One line a person can act on.",
    "evidence": "JSON object of the values that made the rule fire.",
    "first_detected": "As-of date of the first analysis run that found it.",
    "resolved_on": "As-of date of the first run that no longer found it, or the UTC date the "
    "removal was verified (remediated only).",
    "approver": "Owner who accepted the risk (risk-accepted only).",
    "expires": "When the risk acceptance expires.",
    "acceptance_reason": "Why the risk was accepted.",
    "finding_key": "Stable id of the finding across runs: sha256(kind|app|account|detail).",
    "snapshot_ids": "Store snapshots the finding was computed from, space-separated.",
    "remediation_requested_at": "When the verified remediation plan was made (UTC).",
    "remediation_applied_at": "When the application accepted the SCIM request (UTC).",
    "remediation_verified_at": "When a later snapshot showed the access gone (UTC).",
}

REMEDIATION = {
    "plan_id": "Remediation plan (scimaudit remediate plan); its SHA-256 is in the store.",
    "seq": "Execution order within the plan; empty when the plan left the request out.",
    "app": "Application the SCIM request goes to.",
    "action": "remove_member (PATCH on the Group), deactivate (active=false) or delete.",
    "account_id": "SCIM id of the account losing access.",
    "user_name": "SCIM userName of that account.",
    "group_name": "Group left (remove_member only).",
    "source_kind": "campaign (a reviewer's revoke decision) or finding.",
    "campaign_id": "Review campaign of the decision.",
    "item_id": "Campaign item decided revoke.",
    "finding_key": "Finding the operation was planned for (see exceptions.csv).",
    "finding_kind": "Kind of that finding.",
    "requested_at": "When the plan was made (UTC).",
    "requested_by": "Who made the plan.",
    "applied_at": "When the application answered the executed request (UTC), by the period end.",
    "verified_at": "When a later snapshot proved the outcome (UTC), by the period end.",
    "state": "excluded, requested, applied, already_done, conflict, failed, refused, verified or "
    "still_present, as of the end of the period.",
    "detail": "Why: exclusion reason, SCIM error, conflict or verification evidence.",
}

SAMPLE = {
    "rank": "Position in the sample (1 = lowest rank hash).",
    "rank_hash": "sha256(seed|app|account_id) in lowercase hex; see section 7.",
    **{
        c: f"As in population.csv ({c}); in the leavers pack the columns of leavers.csv instead."
        for c in POPULATION_COLUMNS
    },
}

LEAVERS = {
    "employee_id": "HR employee id of the leaver.",
    "person_name": "First and last name from HR.",
    "worker_type": "employee or contractor, from HR.",
    "event": "termination (HR termination date) or contract end (contractor without one).",
    "event_date": "The leaving date; the SLA clock starts at 00:00 UTC that day.",
    "app": "In-scope application. Every leaver has a row for every application.",
    "account_id": "SCIM id of an account any analysis run linked to the leaver; empty: none found.",
    "user_name": "SCIM userName of that account.",
    "status_by_snapshot": "The account in every stored snapshot of the app up to the run's: "
    "'<time UTC> active|inactive|absent', '; '-separated; 'no account found' when none.",
    "last_active_at": "Last snapshot where the account was active (UTC); empty: never seen active.",
    "removed_by_snapshot": "First later snapshot where it was not active; empty: still active.",
    "removed_no_later_than": "meta.lastModified of a deactivation inside that interval: an upper "
    "bound on the removal time, not the removal time.",
    "removal": "The removal timing in words (between snapshots A and B, no later than …).",
    "lag_min_hours": "Least possible lag from the leaving date to removal, hours.",
    "lag_max_hours": "Greatest possible lag, hours; empty while the account is still active.",
    "outcome": "Verdict against the SLA, or 'no account found'.",
}

HR_EXTRACT = {
    "employee_id": "HR employee id.",
    "first_name": "As in the HR file.",
    "last_name": "As in the HR file.",
    "email": "As in the HR file.",
    "status": "Normalised status: active, leave, terminated.",
    "status_raw": "Status exactly as the HR file gave it.",
    "worker_type": "Normalised: employee or contractor.",
    "hire_date": "Hire date (ISO).",
    "termination_date": "Termination date (ISO); empty when HR gave none.",
    "contract_end_date": "Contract end date (ISO), contractors.",
    "department": "As in the HR file.",
    "title": "As in the HR file.",
    "manager_id": "Employee id of the manager, as in the HR file.",
    "line_no": "Line (CSV) or row (XLSX/Parquet) of the person in the original HR file.",
}


def data_dictionary() -> list[tuple[str, list[tuple[str, str]]]]:
    """``[(file, [(column, meaning), ...]), ...]`` in the column order of each file."""
    return [
        ("population.csv", [(c, POPULATION[c]) for c in POPULATION_COLUMNS]),
        ("exceptions.csv", [(c, EXCEPTIONS[c]) for c in EXCEPTION_COLUMNS]),
        ("remediation.csv", [(c, REMEDIATION[c]) for c in REMEDIATION_COLUMNS]),
        ("sample.csv", [(c, SAMPLE[c]) for c in SAMPLE_COLUMNS]),
        ("leavers.csv", [(c, LEAVERS[c]) for c in LEAVER_COLUMNS]),
        ("hr_extract.csv", [(c, HR_EXTRACT[c]) for c in HR_COLUMNS]),
    ]


CSV_NOTE = _CSV_NOTE
