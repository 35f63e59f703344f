"""Decisions: who may decide what, reasons, changes until sign-off, bulk, delegation, the hash
chain."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from review_support import CEO, DEV, LEO, MIA, OLE, ORG, SAM, SEC, SUE, A, F, actor, build_store
from review_support import make_config as _make_config
from scimaudit.config import Config
from scimaudit.errors import PermissionDeniedError, ReviewError
from scimaudit.review import chain
from scimaudit.review.actors import cli_actor
from scimaudit.review.campaigns import start_campaign
from scimaudit.review.decisions import decide, keep_all_unflagged, sign_off, verify_chain
from scimaudit.review.delegation import delegate
from scimaudit.store.connect import connect
from scimaudit.store.review_state import review_db

DUE = date.today() + timedelta(days=7)


def setup(tmp_path: Path) -> tuple[Config, int, dict[tuple[str, str | None], int]]:
    # correlation by externalId only: the account named after Mia's email stays unmatched (with
    # the email rule on, campaign items, which read the one access answer, would link it to her)
    config = _make_config(
        tmp_path,
        apps={"crm": {"fallback_reviewer": "E2"}, "code": {"fallback_reviewer": "E3"}},
        users=[(p.email, "manager") for p in ORG if p is not SEC],  # delegates must sign in
        extra={"correlation": {"rules": ["external_id"]}},
    )
    build_store(
        config,
        ORG,
        [
            A("crm", "c-sam", "E4", ["Sales-Users"]),
            A("crm", "c-sue", "E5", ["Sales-Users"]),
            A("crm", "c-leo", "E6", ["Sales-Users"]),
            A("crm", "c-mia", "E2", ["Sales-Users"]),
            A("crm", "c-alias", None, user_name=MIA.email),  # unmatched, but it is Mia's
            A("code", "k-dev", "E7", ["developers"]),
        ],
        [F("terminated_active", "crm", "c-leo")],
    )
    cid = start_campaign(config, name="Q1", due=DUE, actor="cli:test")
    with connect(config.store.path) as con:
        rows = con.execute(
            "SELECT account_id, entitlement, item_id FROM campaign_item WHERE campaign_id = ?",
            [cid],
        ).fetchall()
    return config, cid, {(a, e): int(i) for a, e, i in rows}


def current(config: Config, cid: int) -> dict[int, tuple[str, str | None, str]]:
    with connect(config.store.path) as con:
        rows = con.execute(
            "SELECT item_id, decision, reason, method FROM campaign_decision_current"
            " WHERE campaign_id = ?",
            [cid],
        ).fetchall()
    return {int(i): (d, r, m) for i, d, r, m in rows}


def test_reasons_required_for_revoke_and_for_keeping_flagged(tmp_path: Path) -> None:
    config, cid, ids = setup(tmp_path)
    mia = actor(MIA)
    assert decide(config, mia, cid, [ids[("c-sam", None)]], "keep") == 1
    with pytest.raises(ReviewError, match="revoking needs a reason"):
        decide(config, mia, cid, [ids[("c-sue", None)]], "revoke", "  ")
    with pytest.raises(ReviewError, match="flagged"):
        decide(config, mia, cid, [ids[("c-leo", None)]], "keep")
    assert decide(config, mia, cid, [ids[("c-leo", None)]], "keep", "rehired next week") == 1
    assert decide(config, mia, cid, [ids[("c-sue", None)]], "revoke", "moved teams") == 1
    got = current(config, cid)
    assert got[ids[("c-sam", None)]] == ("keep", None, "single")
    assert got[ids[("c-leo", None)]] == ("keep", "rehired next week", "single")
    assert got[ids[("c-sue", None)]] == ("revoke", "moved teams", "single")
    with pytest.raises(ReviewError, match="keep or revoke"):
        decide(config, mia, cid, [ids[("c-sam", None)]], "approve")


def test_changes_are_appended_until_sign_off_then_locked(tmp_path: Path) -> None:
    config, cid, ids = setup(tmp_path)
    mia = actor(MIA)
    item = ids[("c-sam", "Sales-Users")]
    decide(config, mia, cid, [item], "revoke", "not needed")
    decide(config, mia, cid, [item], "keep")
    assert decide(config, mia, cid, [item], "keep") == 0  # same decision again: no new record
    assert current(config, cid)[item][0] == "keep"
    with connect(config.store.path) as con:
        history = con.execute(
            "SELECT decision FROM review_log WHERE campaign_id = ? AND item_id = ? ORDER BY seq",
            [cid, item],
        ).fetchall()
    assert [h[0] for h in history] == ["revoke", "keep"]

    with pytest.raises(ReviewError, match="undecided"):
        sign_off(config, mia, cid)
    keep_all_unflagged(config, mia, cid)
    decide(
        config, mia, cid, [ids[("c-leo", None)], ids[("c-leo", "Sales-Users")]], "revoke", "left"
    )
    assert sign_off(config, mia, cid) == 6  # sam, sue, leo: account + group each
    with pytest.raises(ReviewError, match="signed off"):
        decide(config, mia, cid, [item], "revoke", "changed my mind")
    with pytest.raises(ReviewError, match="signed off"):
        sign_off(config, mia, cid)
    with pytest.raises(ReviewError, match="signed off"):
        delegate(config, actor(SEC, "security"), cid, [ids[("k-dev", None)]], MIA.id, "help")
    assert verify_chain(config, cid).ok


def test_bulk_keep_skips_flagged_and_decided_and_is_recorded_as_bulk(tmp_path: Path) -> None:
    config, cid, ids = setup(tmp_path)
    mia = actor(MIA)
    decide(config, mia, cid, [ids[("c-sam", None)]], "revoke", "duplicate")
    assert keep_all_unflagged(config, mia, cid) == 3  # sam's group, sue's two; leo is flagged
    got = current(config, cid)
    assert got[ids[("c-sam", None)]][0] == "revoke"
    assert ids[("c-leo", None)] not in got
    with connect(config.store.path) as con:
        bulk = con.execute(
            "SELECT count(*), count(DISTINCT bulk_id), min(method) FROM review_log"
            " WHERE campaign_id = ? AND reason = 'bulk: keep all unflagged'",
            [cid],
        ).fetchone()
    assert bulk == (3, 1, "bulk")


def test_only_the_assigned_reviewer_decides(tmp_path: Path) -> None:
    config, cid, ids = setup(tmp_path)
    sam_item = [ids[("c-sam", None)]]
    for intruder in (actor(OLE), actor(CEO, "admin"), actor(SEC, "security")):
        with pytest.raises(PermissionDeniedError, match="not in your review queue"):
            decide(config, intruder, cid, sam_item, "keep")
        with pytest.raises(PermissionDeniedError):
            keep_all_unflagged(config, intruder, cid, sam_item)
    with pytest.raises(PermissionDeniedError, match="read-only"):
        decide(config, actor(MIA, "auditor"), cid, sam_item, "keep")
    with pytest.raises(PermissionDeniedError, match="signed-in"):
        decide(config, cli_actor(), cid, sam_item, "keep")
    with pytest.raises(PermissionDeniedError, match="HR record"):
        decide(config, replace(actor(MIA), employee_id=None), cid, sam_item, "keep")
    assert current(config, cid) == {}


def test_nobody_decides_their_own_access(tmp_path: Path) -> None:
    config, cid, ids = setup(tmp_path)
    alias = ids[("c-alias", None)]
    # the unmatched account named after Mia: the app fallback is Mia, so it went to her manager
    with connect(config.store.path) as con:
        assert con.execute(
            "SELECT reviewer_id, assignment_rule FROM campaign_item WHERE campaign_id = ?"
            " AND item_id = ?",
            [cid, alias],
        ).fetchone() == (CEO.id, "manager_of_lookalike")
    # a delegation cannot route someone's own access to them
    with pytest.raises(PermissionDeniedError, match="own"):
        delegate(config, actor(CEO), cid, [ids[("c-mia", None)]], MIA.email, "busy")
    # and should the log ever route it there, deciding is still refused (defence in depth)
    with review_db(config.store.path) as con:
        for item in (alias, ids[("c-mia", None)]):
            record = chain.NewRecord(
                kind="delegation", item_id=item, reviewer_id=MIA.id, actor="test", method="single"
            )
            chain.append(con, cid, [record])
    for item in (alias, ids[("c-mia", None)]):
        with pytest.raises(PermissionDeniedError, match="own access"):
            decide(config, actor(MIA), cid, [item], "keep")
    with pytest.raises(PermissionDeniedError, match="own access"):
        keep_all_unflagged(config, actor(MIA), cid)


def test_delegation_moves_items_with_a_reason(tmp_path: Path) -> None:
    config, cid, ids = setup(tmp_path)
    item = ids[("c-sue", None)]
    with pytest.raises(ReviewError, match="reason"):
        delegate(config, actor(MIA), cid, [item], OLE.id, "")
    with pytest.raises(PermissionDeniedError, match="not in their queue"):
        delegate(config, actor(OLE), cid, [item], OLE.id, "mine now")
    with pytest.raises(ReviewError, match="has left"):
        delegate(config, actor(MIA), cid, [item], LEO.id, "cover")
    with pytest.raises(PermissionDeniedError, match="read-only"):
        delegate(config, actor(SEC, "auditor"), cid, [item], OLE.id, "x")
    assert delegate(config, actor(MIA), cid, [item], OLE.email, "on leave") == 1
    with pytest.raises(PermissionDeniedError):
        decide(config, actor(MIA), cid, [item], "keep")
    assert decide(config, actor(OLE), cid, [item], "keep") == 1
    with connect(config.store.path) as con:
        row = con.execute(
            "SELECT reviewer_id, from_reviewer_id, reason, actor FROM review_log"
            " WHERE campaign_id = ? AND kind = 'delegation'",
            [cid],
        ).fetchone()
    assert row == (OLE.id, MIA.id, "on leave", MIA.email)
    # security may reassign anything, e.g. to unblock a queue
    assert delegate(config, actor(SEC, "security"), cid, [ids[("c-sam", None)]], DEV.id, "x") == 1


def test_chain_detects_edited_and_deleted_records(tmp_path: Path) -> None:
    config, cid, ids = setup(tmp_path)
    mia = actor(MIA)
    decide(config, mia, cid, [ids[("c-sue", None)]], "revoke", "moved teams")
    keep_all_unflagged(config, mia, cid)
    good = verify_chain(config, cid)
    assert good.ok and good.records == 4 and good.problems == []

    with review_db(config.store.path) as con:
        con.execute(
            "UPDATE review_log SET decision = 'keep' WHERE campaign_id = ? AND seq = 1", [cid]
        )
    bad = verify_chain(config, cid)
    assert not bad.ok and any("seq 1" in p and "record_hash" in p for p in bad.problems)

    with review_db(config.store.path) as con:
        con.execute(
            "UPDATE review_log SET decision = 'revoke' WHERE campaign_id = ? AND seq = 1", [cid]
        )
        con.execute("DELETE FROM review_log WHERE campaign_id = ? AND seq = 2", [cid])
    gone = verify_chain(config, cid)
    assert not gone.ok and any("seq 3" in p for p in gone.problems)


def test_chain_detects_changed_frozen_items(tmp_path: Path) -> None:
    config2, cid2, _ = setup(tmp_path)
    with review_db(config2.store.path) as con:
        con.execute(
            "UPDATE campaign_item SET person_name = 'Someone Else'"
            " WHERE campaign_id = ? AND item_id = 1",
            [cid2],
        )
    assert any("frozen items changed" in p for p in verify_chain(config2, cid2).problems)


def test_concurrent_decisions_in_one_process_are_all_kept(tmp_path: Path) -> None:
    config, cid, ids = setup(tmp_path)
    mia, ceo = actor(MIA), actor(CEO)
    mine = [i for (acct, _), i in ids.items() if acct in ("c-sam", "c-sue")]
    errors: list[BaseException] = []

    def run(who: object, items: list[int], decision: str) -> None:
        try:
            for item in items:
                decide(config, who, cid, [item], decision, "r")  # type: ignore[arg-type]
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=(mia, mine, "keep")),
        threading.Thread(target=run, args=(ceo, [ids[("c-mia", None)]] * 3, "revoke")),
        threading.Thread(target=run, args=(mia, list(reversed(mine)), "revoke")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    chain = verify_chain(config, cid)
    assert chain.ok, chain.problems
    # every item got records from both of Mia's threads unless they were no-ops; none lost
    with connect(config.store.path) as con:
        n = con.execute(
            "SELECT count(DISTINCT item_id) FROM review_log WHERE campaign_id = ?", [cid]
        ).fetchone()
    assert n == (len(mine) + 1,)
    assert {SUE.id, SAM.id} <= {p.id for p in ORG}
