"""The frozen items of a new campaign: one SQL query for access and context, then policy in Python.

Who holds what is the one access answer (:func:`~scimaudit.analytics.access.access_frame`, as of
the run's date, nested groups included), loaded as ``access_item``; ``sql/campaign_items.sql``
adds the run's findings, activity, HR and pending-deprovisioning context and returns one row per
(active account, entitlement). Python adds what
is policy and configuration: privileged patterns, the access scope, peer shares over the configured
minimum, reviewer assignment (:mod:`assignment`) and recommendations (:mod:`recommendations`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import duckdb
import orjson
import pandas as pd

from scimaudit.analytics.access import access_frame
from scimaudit.analytics.privileged import is_privileged
from scimaudit.analytics.registry import NOTE_KINDS
from scimaudit.config import Config
from scimaudit.review.assignment import Assignment, HrDirectory, assign_reviewer
from scimaudit.review.db import fetch_one
from scimaudit.review.recommendations import recommend
from scimaudit.sqlfiles import SqlFolder
from scimaudit.store.review_state import relation_columns

AccessScope = Literal["all", "privileged", "changed"]
ACCESS_SCOPES: tuple[AccessScope, ...] = ("all", "privileged", "changed")

ITEM_COLUMNS = relation_columns("campaign_item")

REVIEW_SQL = SqlFolder("scimaudit.review")
"""``review/sql/``: the campaign item query (:mod:`scimaudit.sqlfiles`)."""


def _privileged(config: Config, app: str, entitlement: str | None) -> bool:
    if entitlement is None:
        return False
    patterns = next((a.privileged_groups for a in config.apps if a.name == app), [])
    return is_privileged(entitlement, patterns)


def _previous_keys(con: duckdb.DuckDBPyConnection) -> tuple[int | None, set[tuple[str, str, str]]]:
    row = fetch_one(con, "SELECT max(campaign_id) FROM campaign")
    prev = int(row[0]) if row and row[0] is not None else None
    if prev is None:
        return None, set()
    keys = con.execute(
        "SELECT app, account_id, coalesce(entitlement, '') FROM campaign_item"
        " WHERE campaign_id = ?",
        [prev],
    ).fetchall()
    return prev, {(str(a), str(b), str(c)) for a, b, c in keys}


def build_items(
    con: duckdb.DuckDBPyConnection,
    config: Config,
    *,
    run_id: int,
    hr_snapshot_id: int | None,
    snapshot_ids: dict[str, int],
    apps: Sequence[str],
    access: AccessScope,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The frozen items of a would-be campaign (without campaign_id) and scope details."""
    day_row = fetch_one(con, "SELECT as_of FROM analysis_run WHERE run_id = ?", [run_id])
    assert day_row is not None
    answer = access_frame(
        con, config, day_row[0], apps=list(apps), snapshot_ids=snapshot_ids, in_transaction=True
    )
    con.register("access_item", answer.frame)
    activity = [v for k, v in snapshot_ids.items() if k.startswith("activity:")]
    frame = REVIEW_SQL.run(
        con,
        "campaign_items",
        {
            "run_id": run_id,
            "apps": list(apps),
            "activity_snapshots": activity,
            "by_title": config.policy.peer_group == "department_title",
        },
    ).df()
    con.unregister("access_item")
    details: dict[str, Any] = {}
    finding_lists = [orjson.loads(f) for f in frame["findings"]]
    frame["privileged"] = [
        _privileged(config, app, ent) or any(f["kind"] == "privileged_account" for f in fl)
        for app, ent, fl in zip(
            frame["app"], _nullable(frame["entitlement"]), finding_lists, strict=True
        )
    ]
    frame["flagged"] = [
        any(f.get("status") == "open" and f.get("kind") not in NOTE_KINDS for f in fl)
        for fl in finding_lists
    ]
    keep = pd.Series(True, index=frame.index)
    if access == "privileged":
        keep = frame["privileged"]
    elif access == "changed":
        prev, keys = _previous_keys(con)
        details["previous_campaign_id"] = prev
        keep = pd.Series(
            [
                (a, b, c or "") not in keys
                for a, b, c in zip(
                    frame["app"], frame["account_id"], _nullable(frame["entitlement"]), strict=True
                )
            ],
            index=frame.index,
        )
    frame = frame[keep].reset_index(drop=True)
    finding_lists = [orjson.loads(f) for f in frame["findings"]]

    min_peers = config.policy.peer_min_group_size
    peer_count = _nullable(frame["peer_count"])
    peer_holders = _nullable(frame["peer_holders"])
    frame["peer_share"] = [
        (h / n) if n is not None and n >= min_peers and h is not None else None
        for h, n in zip(peer_holders, peer_count, strict=True)
    ]

    hr = HrDirectory.load(con, hr_snapshot_id)
    fallbacks = {a.name: a.fallback_reviewer for a in config.apps}
    memo: dict[tuple[str | None, str], Assignment] = {}
    reviewers: list[Assignment] = []
    memo_alias: dict[tuple[str, str], Assignment] = {}
    for subject, owner, app, user in zip(
        _nullable(frame["employee_id"]),
        _nullable(frame["owner_id"]),
        frame["app"],
        _nullable(frame["user_name"]),
        strict=True,
    ):
        lookalike = hr.by_email.get(str(user).lower()) if user and not (subject or owner) else None
        if lookalike is not None:
            akey = (lookalike.employee_id, str(app))
            if akey not in memo_alias:
                memo_alias[akey] = assign_reviewer(
                    hr, None, fallbacks.get(str(app)), lookalike_id=lookalike.employee_id
                )
            reviewers.append(memo_alias[akey])
            continue
        key = (subject or owner, str(app))
        if key not in memo:
            memo[key] = assign_reviewer(hr, key[0], fallbacks.get(str(app)))
        reviewers.append(memo[key])
    frame["reviewer_id"] = [r.reviewer_id for r in reviewers]
    frame["assignment_rule"] = [r.rule for r in reviewers]
    frame["reviewer_email"] = [_attr(hr, r.reviewer_id, "email") for r in reviewers]
    frame["reviewer_name"] = [_attr(hr, r.reviewer_id, "name") for r in reviewers]

    recs = [
        recommend(
            fl,
            peer_share=share,
            peer_holders=h,
            peer_count=n,
            peer_group=group,
            person_status=status,
            account_type=str(kind),
            pending_deadline=deadline,
        )
        for fl, share, h, n, group, status, kind, deadline in zip(
            finding_lists,
            _nullable(frame["peer_share"]),
            peer_holders,
            peer_count,
            _nullable(frame["peer_group"]),
            _nullable(frame["person_status"]),
            frame["account_type"],
            _nullable(frame["pending_deadline"]),
            strict=True,
        )
    ]
    frame["recommendation"] = [r.decision for r in recs]
    frame["recommendation_reason"] = [r.reason for r in recs]
    frame.insert(0, "item_id", range(1, len(frame) + 1))
    return frame, details


def _nullable(series: pd.Series) -> list[Any]:  # type: ignore[type-arg]
    return [None if pd.isna(v) else v for v in series]


def _attr(hr: HrDirectory, employee_id: str | None, attr: str) -> str | None:
    person = hr.get(employee_id)
    return getattr(person, attr) if person else None
