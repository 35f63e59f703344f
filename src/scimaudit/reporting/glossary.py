"""Appendix A: what the pack's codes mean, in plain words, for a reader who never saw the tool.

Finding kinds (the "rule" column of every results table) are explained from the finding registry's
own titles and descriptions, so the glossary cannot drift from what the rules do; control codes
come from the framework file the pack used; the status and outcome words are defined here, once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from scimaudit.analytics.registry import KINDS
from scimaudit.reporting.spec import ReportSpec

UNIT_WORDS = {
    "account": "one row per account",
    "membership": "one row per group membership of an account",
    "person": "one row per person (all their accounts together)",
}

TERMS: tuple[tuple[str, str], ...] = (
    ("open", "An exception nobody has resolved or accepted yet."),
    (
        "risk-accepted",
        "Management accepted the exception for a time: approver, reason and expiry are shown.",
    ),
    ("remediated", "The access was removed in the period; a later snapshot proves it gone."),
    (
        "not assessable",
        "The rule could not judge the item (e.g. an application that gives no sign-in data); "
        "never counted as clean.",
    ),
    ("within SLA", "The leaver's access was removed within the deprovisioning service level."),
    ("SLA breached", "The access was removed, but after the service level had passed."),
    ("still active", "The leaver's account was still active in the latest snapshot used."),
    (
        "indeterminate",
        "The snapshots only bracket the removal, and the bracket straddles the service level.",
    ),
    ("no account found", "No account in that application was ever linked to the leaver."),
    (
        "sha256-rank/1",
        "The sampling method of section 7: rows ranked by a hash seeded with the file's SHA-256.",
    ),
)


@dataclass(frozen=True)
class Entry:
    """One glossary line: the code as printed, its plain title, and what it means."""

    code: str
    title: str
    meaning: str


def finding_entries(kinds: Iterable[str]) -> list[Entry]:
    """The finding kinds this pack shows, in the registry's order."""
    wanted = set(kinds)
    return [
        Entry(
            k.id,
            k.title,
            f"{k.description} Counted {UNIT_WORDS[k.unit]}; default severity {k.severity}."
            + (" A data-quality note, not an access exception." if k.note_only else ""),
        )
        for k in KINDS
        if k.id in wanted
    ]


def pack_finding_entries(spec: ReportSpec, rule_population: list[dict[str, Any]]) -> list[Entry]:
    """Every finding kind the pack prints: tested (section 5), listed as exceptions, or mapped."""
    kinds = {str(r["kind"]) for r in rule_population} | set(spec.exception_kinds)
    return finding_entries(kinds | {k for c in spec.controls for k in c.finding_kinds})


def control_entries(spec: ReportSpec) -> list[Entry]:
    """The framework control codes this pack cites, with their names and references."""
    return [Entry(c.id, c.name, c.reference) for c in spec.controls]
