"""Analysis on coherent snapshots: a suspect snapshot resolves nothing; look-alikes are named."""

from __future__ import annotations

from scimaudit.analytics.lookalike import describe, lookalike_problems
from scimaudit.store import snapshots
from sqlunit import World, account, person, rows


def leaver_world() -> World:
    w = World()
    w.hr(
        [
            person("E1", "Jo", "Lee", status="terminated", termination_date="2026-04-01"),
            person("E2", "Al", "Kim"),
        ],
        as_of="2026-05-01",
    )
    w.app("chat", [account("a1", "jo.lee@example.com"), account("a2", "al.kim@example.com")],
          as_of="2026-05-01")  # fmt: skip
    return w


def test_findings_never_resolve_on_a_suspect_snapshot() -> None:
    w = leaver_world()
    w.analyze(as_of="2026-05-02")
    [found] = w.findings()
    assert found["kind"] == "terminated_active"
    # a collapsed pull (no users) is held suspect: the next run keeps using the last complete one
    suspect = w.app("chat", [], as_of="2026-05-10", status="suspect")
    summary = w.analyze(as_of="2026-05-11")
    assert summary.snapshot_ids["app:chat"] != suspect
    assert any(f"newest snapshot {suspect} not used (suspect" in n for n in summary.notes)
    assert rows(w.findings(), "kind", "user_name") == {("terminated_active", "jo.lee@example.com")}
    resolved = w.con.execute("SELECT resolved_on FROM finding_history").fetchall()
    assert resolved == [(None,)]
    # once accepted (the fall is real), the finding resolves on the next run
    snapshots.accept(w.con, suspect, accepted_by="cli:auditor", reason="chat was shut down")
    w.analyze(as_of="2026-05-12")
    assert w.findings() == []
    resolved = w.con.execute("SELECT resolved_on::VARCHAR FROM finding_history").fetchall()
    assert resolved == [("2026-05-12",)]


def test_a_lookalike_account_says_so_in_its_finding_reason() -> None:
    w = World()
    w.hr([person("E1", "Ad", "Min")])
    w.app(
        "code",
        [
            account("a1", "ad.min@example.com", groups=["admins"]),
            account("a2", "аd.min@example.com", groups=["admins"]),  # Cyrillic а
            account("a3", "ad.min\u200b@example.com", groups=["admins"]),
            account("a4", "ｒoot", groups=["admins"]),
        ],
        privileged_groups=["admins"],
    )
    w.analyze()
    by_user = {f["account_id"]: f["reason"] for f in w.findings("privileged_account")}
    assert "look-alike" not in by_user["a1"]
    assert "mixed scripts (CYRILLIC+LATIN)" in by_user["a2"]
    assert "U+200B" in by_user["a3"]
    assert "fullwidth" in by_user["a4"]


def test_ordinary_non_ascii_names_are_not_flagged() -> None:
    for value in ("josé@example.com", "zoë.müller@example.de", "山田たろう@example.jp", "Ωμέγα"):
        assert lookalike_problems(value) == (), value
    assert describe("pаypal@example.com") is not None
