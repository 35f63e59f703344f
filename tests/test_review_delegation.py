"""Delegation rules (issue 15, item 6): not to oneself, not to someone who cannot sign in, a
warning for a peer of the person reviewed, and a delegated item arrives undecided."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from review_support import (
    CEO,
    DEV,
    MIA,
    OLE,
    ORG,
    SAM,
    SEC,
    SUE,
    A,
    P,
    actor,
    build_store,
    make_config,
)
from scimaudit.config import Config
from scimaudit.errors import ReviewError
from scimaudit.review.campaigns import start_campaign
from scimaudit.review.db import review_view
from scimaudit.review.decisions import decide, sign_off
from scimaudit.review.delegation import delegate, delegation_warnings
from scimaudit.review.queries import my_queue

DUE = date.today() + timedelta(days=7)
ACCOUNTS = [
    A("crm", "c-sam", "E4", ["Sales-Users"]),
    A("crm", "c-sue", "E5", ["Sales-Users"]),
    A("code", "k-dev", "E7", ["developers"]),
]


def setup(
    tmp_path: Path, users: list[tuple[str, str]], **dashboard: object
) -> tuple[Config, int, dict[str, int]]:
    extra = {"dashboard": {"auth": "header", **dashboard}} if dashboard else None
    config = make_config(
        tmp_path, apps={"crm": {"fallback_reviewer": "E2"}, "code": {}}, users=users, extra=extra
    )
    if extra:  # make_config's own dashboard table carries the users: merge them
        config = config.model_copy(
            update={"dashboard": config.dashboard.model_copy(update=dashboard)}
        )
    build_store(config, ORG, ACCOUNTS)
    cid = start_campaign(config, name="Q1", due=DUE, actor="cli:test")
    with review_view(config, cid) as con:
        rows = con.execute(
            "SELECT account_id, item_id FROM campaign_item WHERE entitlement IS NULL"
        ).fetchall()
    return config, cid, {a: int(i) for a, i in rows}


ALL = [(p.email, "manager") for p in ORG]


def test_self_delegation_is_refused(tmp_path: Path) -> None:
    config, cid, ids = setup(tmp_path, ALL)
    with pytest.raises(ReviewError, match="yourself"):
        delegate(config, actor(MIA), cid, [ids["c-sue"]], MIA.email, "me again")
    with pytest.raises(ReviewError, match="yourself"):  # also for security taking an item
        delegate(config, actor(OLE, "security"), cid, [ids["c-sue"]], OLE.id, "mine")
    with pytest.raises(ReviewError, match="already in"):
        delegate(config, actor(OLE, "security"), cid, [ids["c-sue"]], MIA.id, "no-op")
    with pytest.raises(ReviewError, match="yourself"):  # refused before any confirm, too
        delegation_warnings(config, cid, [ids["c-sue"]], MIA.email, actor=actor(MIA))


def test_delegates_who_cannot_sign_in_are_refused(tmp_path: Path) -> None:
    users = [(p.email, "manager") for p in ORG if p is not DEV] + [(SEC.email, "auditor")]
    users = [u for u in users if u[0] != SEC.email or u[1] == "auditor"]
    config, cid, ids = setup(tmp_path, users)
    item = ids["c-sue"]
    with pytest.raises(ReviewError, match="not a dashboard user"):
        delegate(config, actor(MIA), cid, [item], DEV.email, "cover")
    with pytest.raises(ReviewError, match="auditor"):
        delegate(config, actor(MIA), cid, [item], SEC.email, "cover")
    # Ole was active when the campaign started and has left since: the current HR data decides
    build_store(
        config,
        [
            *[p for p in ORG if p is not OLE],
            P("E3", "Ole", "Owner", manager="E1", status="terminated"),
        ],
        ACCOUNTS,
    )
    with pytest.raises(ReviewError, match="terminated"):
        delegate(config, actor(MIA), cid, [item], OLE.email, "cover")
    with pytest.raises(ReviewError, match="terminated"):
        delegation_warnings(config, cid, [item], OLE.email)
    assert delegate(config, actor(MIA), cid, [item], CEO.email, "cover") == 1


def test_proxy_sign_in_rules_decide_who_can_be_a_delegate(tmp_path: Path) -> None:
    config, cid, ids = setup(tmp_path, [(MIA.email, "manager")], unlisted_role="none")
    with pytest.raises(ReviewError, match="not a configured dashboard user"):
        delegate(config, actor(MIA), cid, [ids["c-sue"]], OLE.email, "cover")
    managers = config.model_copy(
        update={"dashboard": config.dashboard.model_copy(update={"unlisted_role": "manager"})}
    )
    assert delegate(managers, actor(MIA), cid, [ids["c-sue"]], OLE.email, "cover") == 1


def test_delegating_to_a_peer_of_the_person_reviewed_warns_and_records_the_warning(
    tmp_path: Path,
) -> None:
    config, cid, ids = setup(tmp_path, ALL)
    # Sam and Sue both report to Mia: Sam reviewing Sue's access is not independent
    warnings = delegation_warnings(config, cid, [ids["c-sue"]], SAM.email)
    assert len(warnings) == 1 and "peer" in warnings[0] and SUE.id in warnings[0]
    assert delegation_warnings(config, cid, [ids["c-sue"]], OLE.email) == []
    assert delegate(config, actor(MIA), cid, [ids["c-sue"]], SAM.email, "holiday") == 1
    with review_view(config, cid) as con:
        (reason,) = con.execute(
            "SELECT reason FROM review_log WHERE kind = 'delegation'"
        ).fetchone()
    assert reason.startswith("holiday [warned: ") and "peer" in reason


def test_a_pending_decision_does_not_travel_with_the_item(tmp_path: Path) -> None:
    config, cid, ids = setup(tmp_path, ALL)
    item = ids["c-sue"]
    assert decide(config, actor(MIA), cid, [item], "revoke", "moved teams") == 1
    assert delegate(config, actor(MIA), cid, [item], OLE.email, "ask Ole") == 1
    queue = my_queue(config, actor(OLE), cid)
    row = queue.items[queue.items["item_id"] == item].iloc[0]
    assert row["decision"] is None or row["decision"] != row["decision"]  # None / NaN
    assert queue.decided == 0
    others = [int(i) for i in queue.items["item_id"] if int(i) != item]
    assert decide(config, actor(OLE), cid, others, "keep", "ok") == len(others)
    with pytest.raises(ReviewError, match="1 item"):  # Mia's revoke does not count as Ole's
        sign_off(config, actor(OLE), cid)
    with review_view(config, cid) as con:  # Mia's decision stays in the log as evidence
        assert con.execute(
            "SELECT count(*) FROM campaign_decision_current WHERE item_id = ?", [item]
        ).fetchone() == (0,)
        assert con.execute(
            "SELECT actor FROM review_log WHERE kind = 'decision' AND item_id = ?", [item]
        ).fetchall() == [(MIA.email,)]
    assert decide(config, actor(OLE), cid, [item], "keep", "still needed") == 1
    assert sign_off(config, actor(OLE), cid) == len(others) + 1
