"""Section 8's sign-offs: which review campaign attests to a pack, and how it was chosen.

An auditor must see not only who signed but why *that* campaign speaks for *this* period, so the
choice is printed and recorded in the manifest: the campaign named with ``--campaign``, or else the
latest campaign that has at least one reviewer sign-off and whose analysis run (the population it
froze) is dated within the report period. With none, section 8 says so and keeps the blank block.

Sign-offs are read on the pack's own read-only connection and hashed (canonical JSON) into the
manifest; ``scimaudit verify`` re-reads them from the store and compares.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Literal

import duckdb

from scimaudit.errors import ReportError
from scimaudit.reporting.campaign_evidence import CampaignEvidence, campaign_evidence
from scimaudit.reporting.campaign_state import CampaignState, campaign_state, decisions_csv
from scimaudit.reporting.context import canonical_json
from scimaudit.reporting.scope import Scope
from scimaudit.reporting.signoff import SignOff

Selection = Literal["explicit", "latest_in_period", "none", "given"]

LATEST_SQL = """
SELECT c.campaign_id
FROM campaign AS c
JOIN analysis_run AS r ON r.run_id = c.run_id
WHERE r.as_of BETWEEN $start AND $end
  AND EXISTS (SELECT 1 FROM campaign_signoff AS s WHERE s.campaign_id = c.campaign_id)
ORDER BY r.as_of DESC, c.created_at DESC, c.campaign_id DESC
LIMIT 1
"""


@dataclass(frozen=True)
class SignOffSource:
    """The sign-offs printed in section 8 and the sentence saying where they come from."""

    selection: Selection
    note: str
    campaign_id: int | None = None
    campaign_name: str | None = None
    signoffs: list[SignOff] = field(default_factory=list)
    state: CampaignState | None = None
    """The campaign as it stood when the pack was built (section 8, the cover)."""
    decisions_csv: str | None = None
    """Every item with its current decision: attached as ``review_decisions.csv``."""

    @property
    def sha256(self) -> str:
        return signoffs_sha256(self.signoffs)

    def manifest_entry(self) -> dict[str, object]:
        return {
            "selection": self.selection,
            "campaign_id": self.campaign_id,
            "campaign_name": self.campaign_name,
            "signoffs": len(self.signoffs),
            "sha256": self.sha256,
            "campaign": self.state.summary() if self.state else None,
        }


def signoffs_sha256(signoffs: list[SignOff]) -> str:
    """SHA-256 of the sign-offs' canonical JSON (times as ISO strings), as the manifest records."""
    return hashlib.sha256(canonical_json([asdict(s) for s in signoffs])).hexdigest()


def signoffs_from_evidence(evidence: CampaignEvidence) -> list[SignOff]:
    """The sign-offs of already-read campaign evidence (packs read it on their own connection)."""
    campaign_id, name = evidence.info.campaign_id, evidence.info.name
    return [
        SignOff(
            role=f"Reviewer (campaign {campaign_id}: {name})",
            name=str(r["name"] or r["reviewer_id"]),
            statement=(
                f"Decided {r['decided']} of {r['items']} item(s): {r['kept']} kept, "
                f"{r['revoked']} revoked; {r['bulk_decided']} by bulk action, "
                f"{r['decided'] - r['bulk_decided'] - r['defaulted']} one by one"
                + (f", {r['defaulted']} by the close default" if r["defaulted"] else "")
            ),
            signed_at=r["signed_at"],
            reference=f"campaign {campaign_id}, reviewer {r['reviewer_id']}",
        )
        for r in evidence.reviewers
        if r["signed_at"] is not None
    ]


def _read(
    con: duckdb.DuckDBPyConnection, campaign_id: int
) -> tuple[str, list[SignOff], CampaignState, str]:
    """Name, sign-offs, state and decisions CSV of one campaign (read-only is enough)."""
    try:
        evidence = campaign_evidence(con, campaign_id)
    except duckdb.CatalogException:
        raise ReportError(f"--campaign {campaign_id}: the store has no review campaigns") from None
    return (
        evidence.info.name,
        signoffs_from_evidence(evidence),
        campaign_state(evidence),
        decisions_csv(evidence),
    )


def read_campaign_signoffs(
    con: duckdb.DuckDBPyConnection, campaign_id: int
) -> tuple[str, list[SignOff]]:
    """``(campaign name, sign-offs)`` of one campaign, from the store (read-only is enough)."""
    name, signoffs, _state, _csv = _read(con, campaign_id)
    return name, signoffs


def latest_signed_campaign(con: duckdb.DuckDBPyConnection, scope: Scope) -> int | None:
    """The campaign :func:`select_signoffs` picks when none is named, or None."""
    try:
        rows = con.execute(
            LATEST_SQL, {"start": scope.period_start, "end": scope.period_end}
        ).fetchall()
    except duckdb.CatalogException:  # a store without the review tables
        return None
    return int(rows[0][0]) if rows else None


def select_signoffs(
    con: duckdb.DuckDBPyConnection, scope: Scope, campaign_id: int | None
) -> SignOffSource:
    """Section 8: the named campaign, else the latest signed one in the period, else none."""
    period = f"{scope.period_start.isoformat()} to {scope.period_end.isoformat()}"
    if campaign_id is not None:
        name, signoffs, state, decisions = _read(con, campaign_id)
        note = f"Review campaign {campaign_id} ({name}), named with --campaign."
        if not signoffs:
            note += " No reviewer of that campaign has signed off."
        return SignOffSource("explicit", note, campaign_id, name, signoffs, state, decisions)
    chosen = latest_signed_campaign(con, scope)
    if chosen is None:
        return SignOffSource(
            "none",
            f"No review campaign signed off in the period ({period}): no campaign with a "
            "reviewer sign-off rests on an analysis run dated within it.",
        )
    name, signoffs, state, decisions = _read(con, chosen)
    return SignOffSource(
        "latest_in_period",
        f"Review campaign {chosen} ({name}), chosen automatically: the latest "
        "campaign with reviewer sign-offs whose analysis run is dated within the period "
        f"({period}).",
        chosen,
        name,
        signoffs,
        state,
        decisions,
    )


def given_signoffs(signoffs: list[SignOff]) -> SignOffSource:
    """Sign-offs a caller passed in directly (library use)."""
    return SignOffSource("given", "Sign-offs supplied by the caller.", signoffs=signoffs)
