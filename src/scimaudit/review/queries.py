"""Read models for campaign screens and ``review status``: what each role may see, as frames.

Every function takes the acting :class:`~scimaudit.review.actors.Actor` and applies the rule
itself (a manager gets only their own queue; campaign-wide views need security, auditor or
admin), so the dashboard pages hold no SQL and no rules, and a page shown by mistake still shows
nothing it shouldn't. Each call opens the store for its own unit of work and closes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd

from scimaudit.config import Config
from scimaudit.errors import PermissionDeniedError
from scimaudit.review.actors import READ_ALL, Actor, require_role
from scimaudit.review.campaigns import CampaignInfo, get_campaign, list_campaigns
from scimaudit.review.db import review_view
from scimaudit.review.recommendations import short_why
from scimaudit.store.review_state import review_db

OVERVIEW_SQL = """
WITH tally AS (
    SELECT r.campaign_id,
           count(d.item_id) AS decided,
           count(*) FILTER (d.decision = 'keep') AS kept,
           count(*) FILTER (d.decision = 'revoke') AS revoked,
           count(*) FILTER (r.reviewer_id IS NULL) AS unassigned,
           count(DISTINCT r.reviewer_id) AS reviewers
    FROM campaign_item_reviewer r
    LEFT JOIN campaign_decision_current d
        ON d.campaign_id = r.campaign_id AND d.item_id = r.item_id
    GROUP BY r.campaign_id
),
signed AS (
    SELECT campaign_id, count(*) AS signed_off FROM campaign_signoff GROUP BY campaign_id
)
SELECT c.campaign_id, c.name,
       CASE WHEN cl.campaign_id IS NULL THEN 'open' ELSE 'closed' END AS status,
       c.due, cl.campaign_id IS NULL AND c.due < $today AS overdue,
       c.item_count AS items, t.decided, t.kept, t.revoked,
       c.item_count - t.decided AS undecided, t.unassigned, t.reviewers,
       coalesce(s.signed_off, 0) AS signed_off,
       round(t.decided / c.item_count, 3) AS progress,
       c.default_undecided, c.created_at, c.created_by, cl.closed_at
FROM campaign c
JOIN tally t ON t.campaign_id = c.campaign_id
LEFT JOIN signed s ON s.campaign_id = c.campaign_id
LEFT JOIN campaign_closed cl ON cl.campaign_id = c.campaign_id
ORDER BY c.campaign_id DESC
"""

PROGRESS_SQL = """
SELECT r.reviewer_id, coalesce(max(i.reviewer_name), '(unassigned)') AS reviewer,
       max(i.reviewer_email) AS email,
       count(*) AS items, count(d.item_id) AS decided,
       count(*) FILTER (d.decision = 'revoke') AS revoked,
       count(*) - count(d.item_id) AS undecided,
       round(count(d.item_id) / count(*), 3) AS progress,
       max(s.signed_at) AS signed_at
FROM campaign_item_reviewer r
JOIN campaign_item i USING (campaign_id, item_id)
LEFT JOIN campaign_decision_current d USING (campaign_id, item_id)
LEFT JOIN campaign_signoff s ON s.campaign_id = r.campaign_id AND s.reviewer_id = r.reviewer_id
WHERE r.campaign_id = ?
GROUP BY r.reviewer_id
ORDER BY progress, reviewer
"""

ITEMS_SQL = """
SELECT i.item_id, coalesce(i.person_name, '(no HR person)') AS person, i.title, i.department,
       i.app, coalesce(i.user_name, i.account_id) AS account,
       coalesce(i.entitlement, '(account)') AS access, i.privileged, i.flagged,
       array_to_string(list_transform(from_json(i.findings, '[{"kind":"VARCHAR"}]'),
           lambda x: x.kind), ', ') AS findings,
       i.last_sign_in, i.peer_share, i.recommendation, i.recommendation_reason,
       d.decision, d.reason, d.actor AS decided_by, d.decided_at, d.method,
       r.reviewer_id, i.employee_id, i.account_id, i.entitlement,
       i.person_status, i.findings AS findings_detail
FROM campaign_item i
JOIN campaign_item_reviewer r USING (campaign_id, item_id)
LEFT JOIN campaign_decision_current d USING (campaign_id, item_id)
WHERE i.campaign_id = $cid {where}
ORDER BY person, i.app, account, i.entitlement NULLS FIRST
"""


@dataclass(frozen=True)
class Queue:
    """One reviewer's queue in one campaign."""

    campaign: CampaignInfo
    items: pd.DataFrame
    signed_off_at: datetime | None

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def decided(self) -> int:
        return int(self.items["decision"].notna().sum()) if self.total else 0

    @property
    def locked(self) -> bool:
        return self.signed_off_at is not None or self.campaign.closed_at is not None


def campaign_overview(config: Config, actor: Actor, *, today: date | None = None) -> pd.DataFrame:
    """Every campaign with its progress (security, auditor, admin)."""
    require_role(actor, READ_ALL, "see all campaigns")
    with review_view(config) as con:
        return con.execute(OVERVIEW_SQL, {"today": today or date.today()}).df()


def reviewer_progress(config: Config, actor: Actor, campaign_id: int) -> pd.DataFrame:
    """Per-reviewer progress of one campaign (security, auditor, admin)."""
    require_role(actor, READ_ALL, "see campaign progress")
    with review_view(config, campaign_id) as con:
        get_campaign(con, campaign_id)
        return con.execute(PROGRESS_SQL, [campaign_id]).df()


def campaign_items(config: Config, actor: Actor, campaign_id: int) -> pd.DataFrame:
    """All items of a campaign with their current decision (security, auditor, admin)."""
    require_role(actor, READ_ALL, "see every review item")
    with review_view(config, campaign_id) as con:
        get_campaign(con, campaign_id)
        return con.execute(ITEMS_SQL.replace("{where}", ""), {"cid": campaign_id}).df()


def my_campaigns(config: Config, actor: Actor) -> list[CampaignInfo]:
    """Campaigns in which the actor reviews something now (open ones first)."""
    if actor.employee_id is None:
        return []
    with review_view(config) as con:
        mine = {
            int(r[0])
            for r in con.execute(
                "SELECT DISTINCT campaign_id FROM campaign_item_reviewer WHERE reviewer_id = ?",
                [actor.employee_id],
            ).fetchall()
        }
        found = [c for c in list_campaigns(con) if c.campaign_id in mine]
    return sorted(found, key=lambda c: (c.closed_at is not None, -c.campaign_id))


QUEUE_SQL = """
WITH mine AS (
    SELECT r.item_id, r.reviewer_id FROM campaign_item_reviewer r
    WHERE r.campaign_id = :cid AND r.item_id IN (
        SELECT item_id FROM campaign_item WHERE campaign_id = :cid AND reviewer_id = :me
        UNION
        SELECT item_id FROM review_log
        WHERE campaign_id = :cid AND kind = 'delegation' AND reviewer_id = :me
    ) AND r.reviewer_id = :me
)
SELECT i.item_id, coalesce(i.person_name, '(no HR person)') AS person, i.title, i.department,
       i.app, coalesce(i.user_name, i.account_id) AS account,
       coalesce(i.entitlement, '(account)') AS access, i.privileged, i.flagged,
       coalesce((SELECT group_concat(json_extract(f.value, '$.kind'), ', ')
                 FROM json_each(i.findings) f), '') AS findings,
       i.last_sign_in, i.peer_share, i.recommendation, i.recommendation_reason,
       d.decision, d.reason, d.actor AS decided_by, d.decided_at, d.method,
       m.reviewer_id, i.employee_id, i.account_id, i.entitlement,
       i.person_status, i.findings AS findings_detail
FROM mine m
JOIN campaign_item i ON i.campaign_id = :cid AND i.item_id = m.item_id
LEFT JOIN campaign_decision_current d ON d.campaign_id = :cid AND d.item_id = m.item_id
ORDER BY person, i.app, account, i.entitlement NULLS FIRST
"""
"""ITEMS_SQL for one reviewer, in SQLite: a page re-run per click for hundreds of reviewers at
once must cost milliseconds, so it reads the review store directly (no DuckDB copy)."""


def my_queue(config: Config, actor: Actor, campaign_id: int) -> Queue:
    """The actor's own items in a campaign: never anyone else's, whatever their role."""
    if actor.employee_id is None:
        raise PermissionDeniedError(f"{actor.email} is not matched to an HR record: no queue")
    params = {"cid": campaign_id, "me": actor.employee_id}
    with review_db(config.store.path) as con:
        info = get_campaign(con, campaign_id)
        cur = con.execute(QUEUE_SQL, params)
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
        signed = con.execute(
            "SELECT min(recorded_at) FROM review_log WHERE campaign_id = :cid"
            " AND kind = 'signoff' AND reviewer_id = :me",
            params,
        ).fetchone()
    frame = pd.DataFrame.from_records(rows, columns=names)
    for col in ("privileged", "flagged"):
        frame[col] = frame[col].astype(bool)
    for col in ("last_sign_in", "decided_at"):
        frame[col] = pd.to_datetime(frame[col], utc=True, format="ISO8601").astype(
            "datetime64[us, UTC]"
        )
    frame["peer_share"] = frame["peer_share"].astype("float64")
    frame["item_id"] = frame["item_id"].astype("int32")
    frame["findings"] = frame["findings"].astype("str")
    frame["why"] = frame["recommendation_reason"].map(short_why).astype("str")
    signed_at = datetime.fromisoformat(signed[0]) if signed and signed[0] else None
    return Queue(info, frame, signed_at)


def people_summary(queue: Queue) -> pd.DataFrame:
    """The queue grouped by person: items, flagged, decided, revoke recommendations."""
    items = queue.items
    if items.empty:
        return pd.DataFrame(
            columns=["person", "title", "items", "flagged", "decided", "suggested_revoke"]
        )
    grouped = items.groupby(["person"], dropna=False, sort=True)
    return pd.DataFrame(
        {
            "title": grouped["title"].first(),
            "items": grouped.size(),
            "flagged": grouped["flagged"].sum(),
            "decided": grouped["decision"].count(),
            "suggested_revoke": grouped["recommendation"].apply(
                lambda s: int((s == "revoke").sum())
            ),
        }
    ).reset_index()


def filter_queue(
    items: pd.DataFrame,
    *,
    person: str | None = None,
    apps: list[str] | None = None,
    only_flagged: bool = False,
    only_undecided: bool = False,
    recommendation: str | None = None,
) -> pd.DataFrame:
    """The reviewer's filters, applied in one place (kept out of the page)."""
    mask = pd.Series(True, index=items.index)
    if person:
        mask &= items["person"] == person
    if apps:
        mask &= items["app"].isin(apps)
    if only_flagged:
        mask &= items["flagged"].astype(bool)
    if only_undecided:
        mask &= items["decision"].isna()
    if recommendation == "none":
        mask &= items["recommendation"].isna()
    elif recommendation:
        mask &= items["recommendation"] == recommendation
    return items[mask]


def status_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Frame rows as plain dicts (NaN/NaT → None) for CLI output."""
    return [
        {str(k): (None if _isna(v) else v) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]


def _isna(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
