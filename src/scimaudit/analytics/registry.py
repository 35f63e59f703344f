"""Findings as data: what each kind means, its default severity, and the frameworks it bears on.

Like cartography's rules, a finding kind is a record, not code: the runner executes
``sql/findings/<id>.sql`` (the exception rows) and ``sql/populations/<population>.sql`` (what was
tested; kinds that test the same accounts share one population query, bound to their own id as
``$kind``, instead of keeping copies that could drift apart) for every kind listed here, in this
order, and reports read titles and descriptions from here. A SQL file may set
the severity of a row; otherwise the default below applies.

Control mapping: which framework control a kind evidences is recorded in ONE place,
``reports/frameworks/<framework>.toml`` (data a compliance team edits). Here a kind only says which
frameworks it bears on (``frameworks``), so a test can check both directions: every kind a TOML
names exists here, and every kind that claims a framework is mapped to a control in its TOML.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["low", "medium", "high", "critical"]
SEVERITY_ORDER: dict[str, int] = {"critical": 0, "high": 1, "medium": 2, "low": 3}


@dataclass(frozen=True)
class FindingKind:
    id: str
    title: str
    severity: Severity
    unit: Literal["account", "membership", "person"]
    description: str
    remediation: str
    frameworks: tuple[Literal["SOX", "HIPAA"], ...] = ("SOX", "HIPAA")
    """Frameworks whose controls this kind evidences; WHICH control is in reports/frameworks."""
    population: str = ""
    """The ``sql/populations/`` query of what this kind tested; empty = the kind's own id."""
    note_only: bool = False
    """A data-quality note: says nothing about whether the access should exist, so it never
    drives a review recommendation, flags an item, or plans a revocation."""

    @property
    def population_sql(self) -> str:
        return f"populations/{self.population or self.id}"


KINDS: tuple[FindingKind, ...] = (
    FindingKind(
        id="terminated_active",
        title="Terminated person with an active account",
        severity="critical",
        unit="account",
        description=(
            "The account is active and belongs to a person whose current employment HR records "
            "as terminated on or before the analysis date, and the deprovisioning SLA "
            "(termination date 00:00 UTC + deprovision_sla_hours) had passed when the app was "
            "collected. Before that the account is pending deprovisioning: listed with its "
            "deadline, not counted as a finding. People on leave and rehired people are not "
            "terminated."
        ),
        remediation="Deactivate the account now; find out why deprovisioning missed it.",
        population="linked_accounts",
    ),
    FindingKind(
        id="contractor_expired",
        title="Contractor past contract end with an active account",
        severity="high",
        unit="account",
        description=(
            "The account is active and belongs to a contractor whose contract end date is before "
            "the analysis date (and who is not already counted as terminated)."
        ),
        remediation="Extend the contract in HR, or deactivate the account.",
    ),
    FindingKind(
        id="orphaned_account",
        title="Active account that belongs to no one",
        severity="high",
        unit="account",
        description=(
            "The account is active, matches no HR person by externalId, employeeNumber or email, "
            "and is not a declared service account. A first+last name resemblance is shown but "
            "never counts as a link."
        ),
        remediation=(
            "Find the owner: link it with an override (action=link), declare it a service account "
            "with an owner (action=service), or remove it."
        ),
        population="active_accounts",
    ),
    FindingKind(
        id="ambiguous_identity",
        title="Account that matches more than one person",
        severity="medium",
        unit="account",
        description=(
            "The deciding correlation rule matched two or more HR people (for example a shared "
            "mailbox address). scimaudit does not guess: the account is linked to nobody until an "
            "override says who owns it."
        ),
        remediation="Add an override (action=link) naming the owner.",
        population="active_accounts",
    ),
    FindingKind(
        id="service_owner_left",
        title="Service account whose owner has left",
        severity="high",
        unit="account",
        description=(
            "A declared service or shared account whose named owner is terminated in HR, or is not "
            "in the HR export at all. Nobody is accountable for it any more."
        ),
        remediation="Assign a current owner in the overrides file, or retire the account.",
    ),
    FindingKind(
        id="stale_access",
        title="Active account not used within the stale window",
        severity="medium",
        unit="account",
        description=(
            "No sign-in within stale_after_days (from an [[activity]] export or the app's activity "
            "attribute), or never used and older than the window (account created, else hire "
            "date). Apps without any activity signal are counted as not assessable, never stale."
        ),
        remediation="Confirm the access is still needed; remove it otherwise.",
    ),
    FindingKind(
        id="role_drift",
        title="Entitlement the person's role does not explain",
        severity="medium",
        unit="membership",
        description=(
            "A group membership outside the role policy for the person's department/title, or "
            "(without a policy) held by fewer than peer_threshold of their department peers, with "
            "the numbers shown; or access a mover kept from their previous department (HR history)."
        ),
        remediation="Have the person's manager confirm the entitlement or remove it.",
    ),
    FindingKind(
        id="sod_conflict",
        title="Segregation-of-duties conflict",
        severity="high",
        unit="person",
        description=(
            "One person (or one unlinked account) holds both sides of a configured conflicting "
            "pair of groups, within one app or across two apps. Severity comes from the SoD rule."
        ),
        remediation="Remove one side, or document the mitigating control as an exemption.",
    ),
    FindingKind(
        id="privileged_account",
        title="Privileged access",
        severity="medium",
        unit="membership",
        description=(
            "An active account in a group configured as privileged (names or shell patterns). Not "
            "wrong in itself: listed so every administrator is reviewed."
        ),
        remediation="Confirm the person still needs administrator rights.",
    ),
    FindingKind(
        id="duplicate_account",
        title="Person with more than one active account in an app",
        severity="medium",
        unit="account",
        description=(
            "One person is linked to two or more active accounts in the same app; every one of "
            "them is listed so the extra ones can be removed."
        ),
        remediation="Keep one account per person; remove or declare the others.",
        population="linked_accounts",
    ),
    FindingKind(
        id="stale_identifier",
        title="Account carries a rehired person's earlier employee id",
        severity="low",
        unit="account",
        description=(
            "The account's externalId or employeeNumber is the id of an earlier employment of a "
            "rehired person (same work email, or previous_employee_id in HR, hired again after "
            "the earlier employment ended). The account is linked to the person and judged by "
            "their current employment; the old id is a data-quality note, not a leaver."
        ),
        remediation="Have the app owner update the account's id to the current employee id.",
        population="linked_accounts",
        note_only=True,
    ),
)

KIND_IDS: tuple[str, ...] = tuple(k.id for k in KINDS)
NOTE_KINDS: frozenset[str] = frozenset(k.id for k in KINDS if k.note_only)
_BY_ID = {k.id: k for k in KINDS}


def get_kind(kind_id: str) -> FindingKind:
    """The registry entry for a kind id; ``KeyError`` names the known ids."""
    try:
        return _BY_ID[kind_id]
    except KeyError:
        raise KeyError(f"unknown finding kind {kind_id!r} (known: {', '.join(KIND_IDS)})") from None
