"""Runs: only complete snapshots feed findings, history across runs, exemptions, stable keys."""

from __future__ import annotations

import pytest

from scimaudit.errors import AnalysisError
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
    return w


def test_failed_newest_snapshot_falls_back_to_last_complete_and_says_so() -> None:
    w = leaver_world()
    w.app("chat", [account("a1", "jo.lee@example.com")], as_of="2026-05-01")
    # a later partial pull that missed the leaver's account must not hide it
    w.app("chat", [account("a2", "al.kim@example.com")], as_of="2026-05-20", status="failed")
    summary = w.analyze()
    assert rows(w.findings(), "kind", "user_name") == {("terminated_active", "jo.lee@example.com")}
    assert summary.snapshot_ids["app:chat"] == 2
    assert any("newest snapshot 3 not used (failed" in n for n in summary.notes)


def test_no_complete_snapshot_refuses_and_records_nothing() -> None:
    w = leaver_world()
    w.app("chat", [account("a1", "jo.lee@example.com")], status="failed")
    with pytest.raises(AnalysisError, match="no complete snapshot as of 2026-06-01"):
        w.analyze()
    assert w.con.execute("SELECT count(*) FROM finding").fetchone() == (0,)
    assert w.con.execute("SELECT count(*) FROM analysis_run").fetchone() == (0,)


def test_missing_hr_snapshot_refuses() -> None:
    w = World()
    w.hr([person("E1")], status="failed")
    w.app("chat", [account("a1", "x@example.com")])
    with pytest.raises(AnalysisError, match="HR export: no complete snapshot"):
        w.analyze()


def test_history_first_seen_last_seen_resolved_and_reopened() -> None:
    w = leaver_world()
    w.app("chat", [account("a1", "jo.lee@example.com")], as_of="2026-05-01")
    w.analyze(as_of="2026-05-02")
    w.analyze(as_of="2026-05-03")
    [f] = w.findings()
    assert (str(f["first_seen"]), str(f["last_seen"]), f["resolved_on"]) == (
        "2026-05-02",
        "2026-05-03",
        None,
    )
    w.app("chat", [account("a1", "jo.lee@example.com", active=False)], as_of="2026-05-04")
    w.analyze(as_of="2026-05-05")
    assert w.findings() == []
    history = w.con.execute(
        "SELECT first_seen::VARCHAR, last_seen::VARCHAR, resolved_on::VARCHAR FROM finding_history"
    ).fetchall()
    assert history == [("2026-05-02", "2026-05-03", "2026-05-05")]
    w.app("chat", [account("a1", "jo.lee@example.com")], as_of="2026-05-06")
    w.analyze(as_of="2026-05-07")
    [again] = w.findings()
    assert again["finding_key"] == f["finding_key"]
    assert (str(again["first_seen"]), again["resolved_on"]) == ("2026-05-02", None)


def test_exemptions_stay_visible_and_expire() -> None:
    w = World()
    w.hr([person("E1", "Ad", "Min"), person("E2", "Ro", "Ot")])
    w.app(
        "code",
        [
            account("a1", "ad.min@example.com", groups=["admins", "owners"]),
            account("a2", "ro.ot@example.com", groups=["admins"]),
        ],
        privileged_groups=["admins", "owners"],
    )
    exemptions = [
        {
            "kind": "privileged_account",
            "app": "code",
            "account": "AD.MIN@example.com",
            "group": "admins",
            "owner": "CISO",
            "reason": "on-call admin",
            "expires": "2026-12-31",
        },
        {
            "kind": "privileged_account",
            "app": "code",
            "account": "E2",
            "owner": "CISO",
            "reason": "was approved",
            "expires": "2026-05-01",
        },
    ]
    w.analyze(policy={"exemptions": exemptions})
    got = {(f["user_name"], f["group_name"]): f for f in w.findings("privileged_account")}
    exempted = got[("ad.min@example.com", "admins")]
    assert exempted["status"] == "exempted"
    assert exempted["exemption"] == {
        "owner": "CISO",
        "reason": "on-call admin",
        "expires": "2026-12-31",
        "expired": False,
        "config_index": 0,
    }
    assert got[("ad.min@example.com", "owners")]["status"] == "open"  # other group: not covered
    lapsed = got[("ro.ot@example.com", "admins")]
    assert lapsed["status"] == "open" and lapsed["exemption"]["expired"] is True
    assert {f["status"] for f in w.findings(status="exempted")} == {"exempted"}
    assert w.summary is not None and w.summary.exempted_findings == 1


def test_bad_exemption_is_a_config_error() -> None:
    from scimaudit.errors import ConfigError

    w = World()
    w.hr([person("E1")])
    w.app("code", [account("a1", "x")])
    bad = [
        {
            "kind": "privileged",
            "app": "code",
            "account": "x",
            "owner": "o",
            "reason": "r",
            "expires": "soon",
        }
    ]
    with pytest.raises(
        ConfigError, match=r"(?s)exemptions\[0\]\.kind: .privileged.*\[0\]\.expires: .soon."
    ):
        from scimaudit.analytics.exemptions import load_exemptions

        load_exemptions(w.config(policy={"exemptions": bad}))


def test_finding_keys_are_unique_per_run_and_populations_cover_every_finding() -> None:
    w = World()
    w.hr([person("E1", "Jo", "Lee", status="terminated", termination_date="2026-01-01")])
    w.app(
        "chat",
        [
            account("a1", "jo.lee@example.com", groups=["admins", "Admins"]),
            account("a2", "jo.lee2", emails=["jo.lee@example.com"], groups=["admins"]),
        ],
        privileged_groups=["admins"],
    )
    summary = w.analyze()
    dupes = w.con.execute(
        "SELECT finding_key FROM finding GROUP BY run_id, finding_key HAVING count(*) > 1"
    ).fetchall()
    assert dupes == []
    uncovered = w.con.execute(
        "SELECT f.kind, f.app FROM finding f ANTI JOIN finding_population p"
        " ON p.run_id = f.run_id AND p.kind = f.kind AND p.app = coalesce(f.app, '*')"
    ).fetchall()
    assert uncovered == []
    total = w.con.execute(
        "SELECT sum(failed) FROM finding_population WHERE run_id = ?", [summary.run_id]
    ).fetchone()
    assert total == (summary.open_findings + summary.exempted_findings,)
