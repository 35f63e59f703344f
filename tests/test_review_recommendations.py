"""Recommendations: revoke on findings that say the access is wrong, keep what most peers hold."""

from __future__ import annotations

from datetime import datetime

from scimaudit.review.recommendations import CHECK_KINDS, REVOKE_KINDS, recommend, short_why


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


def test_every_reason_has_a_short_form_that_fits_the_queue_grid() -> None:
    """The grid's Why column is 200 px: each reason recommend() can write shortens to at most
    26 characters (the longest phrase, in the widest keep form), and the words keep the meaning."""
    reasons = [rec([{"kind": k}])[1] for k in [*REVOKE_KINDS, *CHECK_KINDS, "some_new_kind"]] + [
        rec([{"kind": "stale_access"}, {"kind": "role_drift"}])[1],
        rec([], peer_share=1.0, peer_holders=123, peer_count=456, peer_group="Sales / Engineer")[1],
        rec([], person_status="terminated", pending_deadline=datetime(2026, 1, 2, 3, 4))[1],
    ]
    shorts = [short_why(r) for r in reasons]
    assert all(s and len(s) <= 26 for s in shorts), shorts
    assert short_why("revoke: the person has left") == "Person has left"
    assert short_why("revoke: not used recently; the person's role does not explain it") == (
        "Not used lately +1"
    )
    assert short_why("keep: held by 6 of 6 Sales / Account Executive peers (100%)") == (
        "Usual for peers (6/6)"
    )
    assert short_why("your call: part of a conflicting (segregation of duties) pair") == (
        "Duties conflict"
    )
    assert short_why(None) == "" and short_why("an older wording") == "an older wording"
