"""Sign-offs printed in section 8: the interface review campaigns plug into.

A report accepts ``signoffs: Sequence[SignOff]``. Review campaigns (a later feature) turn a closed
campaign into one ``SignOff`` per certifying reviewer; until then, or when none is given, the report
prints an empty signature block (prepared / reviewed / approved) for wet or electronic signature.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class SignOff:
    """One person's attestation about (part of) the evidence in this pack."""

    role: str
    """What the signer does here: "Control owner", "Reviewer (campaign Q2-chat)", "Approver"."""
    name: str
    title: str = ""
    statement: str = ""
    """What they attest, e.g. "Reviewed 120 accounts in chat: 117 kept, 3 revoked"."""
    signed_at: datetime | None = None
    reference: str = ""
    """Where the sign-off is recorded (campaign id, ticket); printed so it can be traced."""


BLANK_ROLES = (
    ("Prepared by", "Control owner / identity and access management"),
    ("Reviewed by", "Information security"),
    ("Approved by", "Management (control owner's manager)"),
)
