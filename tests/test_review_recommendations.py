"""Recommendations: revoke on findings that say the access is wrong, keep what most peers hold."""

from __future__ import annotations

from scimaudit.review.recommendations import recommend


def rec(findings: list[dict[str, str]], **kw: object) -> tuple[str | None, str | None]:
    args: dict[str, object] = {
        "peer_share": None,
        "peer_holders": None,
        "peer_count": None,
        "peer_group": "Sales",
        "person_status": "active",
        "account_type": "human",
    }
    args.update(kw)
    r = recommend(findings, **args)  # type: ignore[arg-type]
    return r.decision, r.reason


def test_revoke_for_findings_that_say_the_access_is_wrong() -> None:
    assert rec([{"kind": "terminated_active"}]) == ("revoke", "revoke: the person has left")
    assert rec([{"kind": "stale_access"}, {"kind": "role_drift"}], peer_share=0.9) == (
        "revoke",
        "revoke: not used recently; the person's role does not explain it",
    )
    assert rec([], person_status="terminated")[0] == "revoke"
    assert rec([], account_type="unmatched") == ("revoke", "revoke: no HR person owns this account")


def test_keep_when_most_peers_hold_it_unless_a_finding_needs_judgement() -> None:
    assert rec([], peer_share=0.8, peer_holders=8, peer_count=10) == (
        "keep",
        "keep: held by 8 of 10 Sales peers (80%)",
    )
    assert rec([], peer_share=0.4, peer_holders=4, peer_count=10) == (None, None)
    assert rec([{"kind": "duplicate_account"}], peer_share=1.0, peer_holders=9, peer_count=9) == (
        None,
        "your call: one of several accounts this person has in the app",
    )


def test_exempted_findings_do_not_drive_a_revoke() -> None:
    exempted = [{"kind": "role_drift", "status": "exempted"}]
    assert rec(exempted, peer_share=0.9, peer_holders=9, peer_count=10)[0] == "keep"


def test_pending_leaver_is_not_due_yet_unless_another_finding_says_revoke() -> None:
    from datetime import UTC, datetime

    deadline = datetime(2026, 6, 2, 0, 0, tzinfo=UTC)
    assert rec([], person_status="terminated", pending_deadline=deadline) == (
        None,
        "pending deprovisioning: the person left; due by 2026-06-02 00:00 UTC",
    )
    assert rec(
        [{"kind": "stale_access"}], person_status="terminated", pending_deadline=deadline
    ) == ("revoke", "revoke: not used recently")


def test_a_stale_identifier_note_neither_revokes_nor_blocks_a_keep() -> None:
    note = {"kind": "stale_identifier"}
    assert rec([note]) == (None, None)
    assert rec([note], peer_share=0.8, peer_holders=4, peer_count=5)[0] == "keep"
