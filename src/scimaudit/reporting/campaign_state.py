"""The review campaign behind section 8, stated as it is: open or closed, decided, signed, how.

Why: a pack that prints one reviewer's sign-off under "the following people attested" while the
campaign is still open (most items undecided, most reviewers unsigned) overstates the review. An
auditor tests a review for completeness (every item decided, every reviewer signed), for
independence (no self-review), and for rubber-stamping (bulk decisions, decision pace), so section
8 prints those figures, the cover states whether the review control is evidenced at all, and every
per-item decision is attached as ``review_decisions.csv``.

The control's status is one of:

* ``evidenced``: the campaign is closed, every item decided, every reviewer signed, no self-review;
* ``exceptions``: closed, but with undecided items, unsigned reviewers or self-reviews;
* ``not yet evidenced``: the campaign is still open, whatever has been signed so far;
* ``not evidenced``: no campaign speaks for the period.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from scimaudit.output import to_csv
from scimaudit.reporting.campaign_evidence import BREAK_SECONDS, CampaignEvidence

DECISIONS_FILE = "review_decisions.csv"
EVIDENCED, EXCEPTIONS, NOT_YET, NOT_EVIDENCED = (
    "evidenced",
    "exceptions",
    "not yet evidenced",
    "not evidenced",
)


@dataclass(frozen=True)
class CampaignState:
    """Section 8's figures for one campaign, as read from the store when the pack was built."""

    campaign_id: int
    name: str
    state: str
    """``open`` or ``closed``."""
    due: date
    created_at: datetime
    closed_at: datetime | None
    items: int
    decided: int
    undecided: int
    unassigned: int
    kept: int
    revoked: int
    reviewers: int
    signed: int
    delegations: int
    self_reviews: int
    bulk: int
    """Current decisions made by a bulk action (keep all unflagged, ...)."""
    one_by_one: int
    defaulted: int
    """Decisions the close applied to items nobody decided (the campaign's default)."""
    median_decision_seconds: float | None
    chain_ok: bool
    last_event_at: datetime | None = None
    """The latest log record: a pack printing this state cannot be generated before it."""

    @property
    def unsigned(self) -> int:
        return self.reviewers - self.signed

    @property
    def control_status(self) -> str:
        if self.state != "closed":
            return NOT_YET
        clean = (
            self.undecided == 0
            and self.unsigned == 0
            and self.self_reviews == 0
            and self.chain_ok
            and self.unassigned == 0
        )
        return EVIDENCED if clean else EXCEPTIONS

    def summary(self) -> dict[str, Any]:
        """The figures as the manifest records them."""
        return {
            "campaign_id": self.campaign_id,
            "state": self.state,
            "due": self.due.isoformat(),
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
            "items": self.items,
            "decided": self.decided,
            "undecided": self.undecided,
            "unassigned": self.unassigned,
            "kept": self.kept,
            "revoked": self.revoked,
            "reviewers": self.reviewers,
            "signed": self.signed,
            "unsigned": self.unsigned,
            "delegations": self.delegations,
            "self_reviews": self.self_reviews,
            "bulk": self.bulk,
            "one_by_one": self.one_by_one,
            "defaulted": self.defaulted,
            "median_decision_seconds": self.median_decision_seconds,
            "log_chain_ok": self.chain_ok,
            "control_status": self.control_status,
        }


def _median_gap(log: list[dict[str, Any]]) -> float | None:
    """Median seconds between a reviewer's consecutive decisions, one-by-one decisions only, breaks
    (gaps over :data:`BREAK_SECONDS`) left out: the same rule as the campaign evidence."""
    last: dict[Any, datetime] = {}
    gaps: list[float] = []
    for rec in log:
        if rec["kind"] != "decision" or rec["method"] == "close_default":
            continue
        who = rec["reviewer_id"] or rec["actor"]
        before = last.get(who)
        last[who] = rec["recorded_at"]
        if before is None or rec["method"] != "single":
            continue
        gap = (rec["recorded_at"] - before).total_seconds()
        if 0 <= gap <= BREAK_SECONDS:
            gaps.append(gap)
    return round(statistics.median(gaps), 1) if gaps else None


def campaign_state(evidence: CampaignEvidence) -> CampaignState:
    info = evidence.info
    items = evidence.items
    decided = [i for i in items if i["decision"] is not None]
    method = [i.get("method") for i in decided]
    reviewers = [r for r in evidence.reviewers if r["reviewer_id"] is not None]
    return CampaignState(
        campaign_id=info.campaign_id,
        name=info.name,
        state=info.status,
        due=info.due,
        created_at=info.created_at,
        closed_at=info.closed_at,
        items=len(items),
        decided=len(decided),
        undecided=len(items) - len(decided),
        unassigned=evidence.unassigned,
        kept=evidence.kept,
        revoked=len(evidence.revocations),
        reviewers=len(reviewers),
        signed=sum(1 for r in reviewers if r["signed_at"] is not None),
        delegations=sum(1 for rec in evidence.log if rec["kind"] == "delegation"),
        self_reviews=evidence.self_reviews,
        bulk=sum(1 for m in method if m == "bulk"),
        one_by_one=sum(1 for m in method if m not in ("bulk", "close_default")),
        defaulted=sum(1 for m in method if m == "close_default"),
        median_decision_seconds=_median_gap(evidence.log),
        chain_ok=bool(evidence.chain.ok),
        last_event_at=max((rec["recorded_at"] for rec in evidence.log), default=None),
    )


def decisions_csv(evidence: CampaignEvidence) -> str:
    """Every item of the campaign with its current decision (formula-looking cells defused)."""
    columns = list(evidence.items[0].keys()) if evidence.items else ["item_id", "decision"]
    return to_csv(evidence.items, columns)


def review_statement(state: CampaignState | None, *, given: bool = False) -> str:
    """The one line the cover prints about the periodic access review (and the manifest records)."""
    if state is None:
        why = (
            "sign-offs supplied by the caller, no campaign recorded"
            if given
            else "no review campaign for this period"
        )
        return f"Access review: {NOT_EVIDENCED} ({why})"
    status = state.control_status
    if status == NOT_YET:
        return (
            f"Access review: {NOT_YET}: campaign {state.campaign_id} is open, "
            f"{state.undecided:,} of {state.items:,} items undecided, "
            f"{state.unsigned:,} of {state.reviewers:,} reviewers not signed"
        )
    if status == EXCEPTIONS:
        return (
            f"Access review: {EXCEPTIONS}: campaign {state.campaign_id} closed with "
            f"{state.undecided:,} undecided, {state.unsigned:,} unsigned, "
            f"{state.self_reviews:,} self-reviews"
        )
    return f"Access review: {EVIDENCED} by closed campaign {state.campaign_id}"
