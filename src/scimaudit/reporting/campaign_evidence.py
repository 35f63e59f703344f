"""A campaign's evidence: who decided what and when, how reviewers worked, and what must be removed.

Auditors test a review for rubber-stamping and self-approval, so besides the final decision per item
we report, per reviewer: items, decisions, approval (keep) rate, how many keeps were bulk, and the
median time between consecutive one-by-one decisions (gaps over 30 minutes are breaks, not review
time); the number of self-reviews (must be 0); undecided items; revocations requested; and whether
the hash-chained log verifies; and, per revoked item, where its removal stands (requested → applied
→ verified, from :mod:`scimaudit.remediation`). Everything is read from the store, so the files can
be regenerated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from scimaudit.output import to_csv
from scimaudit.remediation import operation_status
from scimaudit.review import chain
from scimaudit.review.campaigns import CampaignInfo, get_campaign
from scimaudit.store.review_state import review_db, store_path_of

BREAK_SECONDS = 1800
"""A gap between two decisions longer than this is a break, not time spent on the later decision."""

ITEM_SQL = """
SELECT i.item_id, i.employee_id, i.person_name, i.person_email, i.title, i.department,
       i.app, i.account_id, i.user_name, i.account_type,
       coalesce(i.entitlement, '(account)') AS entitlement, i.privileged, i.flagged,
       array_to_string(list_transform(from_json(i.findings, '[{"kind":"VARCHAR"}]'),
           lambda x: x.kind), ' ') AS findings,
       i.recommendation, i.recommendation_reason, r.reviewer_id, i.assignment_rule, r.delegated,
       d.decision, d.reason, d.actor AS decided_by, d.decided_at, d.method,
       d.bulk_id IS NOT NULL AS bulk, coalesce(n.records, 0) AS decision_records
FROM campaign_item i
JOIN campaign_item_reviewer r USING (campaign_id, item_id)
LEFT JOIN campaign_decision_current d USING (campaign_id, item_id)
LEFT JOIN (
    SELECT item_id, count(*) AS records FROM review_log
    WHERE campaign_id = $cid AND kind = 'decision' GROUP BY item_id
) n ON n.item_id = i.item_id
WHERE i.campaign_id = $cid
ORDER BY i.item_id
"""

REVIEWER_SQL = """
WITH queue AS (
    SELECT r.reviewer_id, count(*) AS items,
           count(d.item_id) AS decided,
           count(*) FILTER (d.decision = 'keep') AS kept,
           count(*) FILTER (d.decision = 'revoke') AS revoked,
           count(*) FILTER (d.method = 'bulk') AS bulk_decided,
           count(*) FILTER (d.method = 'close_default') AS defaulted
    FROM campaign_item_reviewer r
    LEFT JOIN campaign_decision_current d USING (campaign_id, item_id)
    WHERE r.campaign_id = $cid
    GROUP BY r.reviewer_id
),
events AS (
    SELECT reviewer_id, method,
           epoch(recorded_at) - epoch(lag(recorded_at) OVER (PARTITION BY reviewer_id
               ORDER BY seq)) AS gap
    FROM review_log
    WHERE campaign_id = $cid AND kind = 'decision' AND method <> 'close_default'
),
pace AS (
    SELECT reviewer_id, count(*) AS decision_records,
           median(gap) FILTER (method = 'single' AND gap <= $brk) AS median_seconds
    FROM events GROUP BY reviewer_id
),
reviewer AS (
    SELECT DISTINCT reviewer_id, reviewer_email AS email, reviewer_name AS name
    FROM campaign_item WHERE campaign_id = $cid AND reviewer_id IS NOT NULL
)
SELECT q.reviewer_id, coalesce(rv.name, hr.name) AS name, coalesce(rv.email, hr.email) AS email,
       q.items, q.decided, q.kept, q.revoked, q.bulk_decided, q.defaulted,
       CASE WHEN q.decided > 0 THEN round(q.kept / q.decided, 3) END AS approval_rate,
       coalesce(p.decision_records, 0) AS decision_records,
       round(p.median_seconds, 1) AS median_seconds_per_decision,
       s.signed_at
FROM queue q
LEFT JOIN reviewer rv ON rv.reviewer_id = q.reviewer_id
LEFT JOIN (
    SELECT employee_id, nullif(concat_ws(' ', first_name, last_name), '') AS name, email
    FROM employee WHERE snapshot_id = (SELECT hr_snapshot_id FROM campaign WHERE campaign_id = $cid)
) hr ON hr.employee_id = q.reviewer_id
LEFT JOIN pace p ON p.reviewer_id IS NOT DISTINCT FROM q.reviewer_id
LEFT JOIN campaign_signoff s ON s.campaign_id = $cid AND s.reviewer_id = q.reviewer_id
ORDER BY q.reviewer_id NULLS FIRST
"""

SELF_REVIEW_SQL = """
SELECT count(*) FROM review_log l
JOIN campaign_item i ON i.campaign_id = l.campaign_id AND i.item_id = l.item_id
WHERE l.campaign_id = ? AND l.kind = 'decision' AND l.method <> 'close_default'
  AND (l.actor_employee_id = coalesce(i.employee_id, i.owner_id)
       OR lower(l.actor) = lower(i.user_name) OR lower(l.actor) = lower(i.person_email))
"""

LOG_SQL = """
SELECT seq, kind, item_id, decision, reason, reviewer_id, from_reviewer_id, actor,
       actor_employee_id, actor_role, method, bulk_id, recorded_at, prev_hash, record_hash
FROM review_log WHERE campaign_id = ? ORDER BY seq
"""


@dataclass(frozen=True)
class CampaignEvidence:
    info: CampaignInfo
    items: list[dict[str, Any]]
    reviewers: list[dict[str, Any]]
    log: list[dict[str, Any]]
    self_reviews: int
    chain: chain.ChainVerification
    generated_at: datetime

    @property
    def undecided(self) -> list[dict[str, Any]]:
        return [i for i in self.items if i["decision"] is None]

    @property
    def revocations(self) -> list[dict[str, Any]]:
        return [i for i in self.items if i["decision"] == "revoke"]

    @property
    def kept(self) -> int:
        return sum(1 for i in self.items if i["decision"] == "keep")

    @property
    def unassigned(self) -> int:
        return sum(1 for i in self.items if i["reviewer_id"] is None)


def _dicts(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


REMEDIATION_KEYS = (
    "remediation_state",
    "remediation_plan_id",
    "remediation_requested_at",
    "remediation_applied_at",
    "remediation_verified_at",
    "remediation_detail",
)
"""Added to every item: where its revocation stands (requested → applied → verified), or empty."""


def _with_remediation(
    con: duckdb.DuckDBPyConnection, campaign_id: int, items: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Each item with the state of its latest requested revocation (plans in request order)."""
    latest = {s.item_id: s for s in operation_status(con, campaign_id=campaign_id)}
    out = []
    for item in items:
        s = latest.get(item["item_id"])
        out.append(
            {
                **item,
                "remediation_state": s.state if s else None,
                "remediation_plan_id": s.plan_id if s else None,
                "remediation_requested_at": s.requested_at if s else None,
                "remediation_applied_at": s.applied_at if s else None,
                "remediation_verified_at": s.verified_at if s else None,
                "remediation_detail": s.detail if s else None,
            }
        )
    return out


def campaign_evidence(
    con: duckdb.DuckDBPyConnection, campaign_id: int, *, generated_at: datetime | None = None
) -> CampaignEvidence:
    """Everything the campaign report and CSVs show, from the store."""
    info = get_campaign(con, campaign_id)
    items = _with_remediation(con, campaign_id, _dicts(con.execute(ITEM_SQL, {"cid": campaign_id})))
    reviewers = _dicts(con.execute(REVIEWER_SQL, {"cid": campaign_id, "brk": BREAK_SECONDS}))
    log = _dicts(con.execute(LOG_SQL, [campaign_id]))
    rows = con.execute(SELF_REVIEW_SQL, [campaign_id]).fetchall()
    with review_db(store_path_of(con)) as sq:
        verification = chain.verify_chain(sq, campaign_id)
    return CampaignEvidence(
        info=info,
        items=items,
        reviewers=reviewers,
        log=log,
        self_reviews=int(rows[0][0]),
        chain=verification,
        generated_at=generated_at or datetime.now(UTC),
    )


def evidence_csvs(evidence: CampaignEvidence) -> dict[str, str]:
    """File name → CSV text (formula-looking cells defused) for the items, reviewers and log."""
    cid = evidence.info.campaign_id
    return {
        f"campaign-{cid}-decisions.csv": to_csv(evidence.items, list(evidence.items[0].keys()))
        if evidence.items
        else to_csv([]),
        f"campaign-{cid}-reviewers.csv": to_csv(
            evidence.reviewers, list(evidence.reviewers[0].keys()) if evidence.reviewers else None
        ),
        f"campaign-{cid}-log.csv": to_csv(
            evidence.log, list(evidence.log[0].keys()) if evidence.log else None
        ),
    }


def write_evidence_csvs(evidence: CampaignEvidence, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in evidence_csvs(evidence).items():
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths
