"""terminated_active, contractor_expired, service_owner_left on tiny tables: positives, negatives,
look-alikes (leave of absence, pending leaver, deprovisioned leaver, rehire, SLA boundary)."""

from __future__ import annotations

from sqlunit import World, account, evidence, person, rows

OVERRIDES_HEADER = "app,account,action,employee_id,owner,reason,expires\n"


def test_terminated_active_with_sla_and_lookalikes() -> None:
    w = World()
    w.hr(
        [
            person("E1", "Old", "Leaver", status="terminated", termination_date="2026-05-01"),
            person("E2", "Fresh", "Leaver", status="terminated", termination_date="2026-05-31"),
            person("E3", "Gone", "Properly", status="terminated", termination_date="2026-04-01"),
            person("E4", "On", "Leave", status="leave"),
            person("E5", "Pending", "Leaver", termination_date="2026-06-14"),
            person("E6", "Re", "Hired", hire_date="2026-03-01", termination_date="2025-01-31"),
            person("E7", "Export", "Lag", termination_date="2026-05-20"),
            person("E8", "No", "Date", status="terminated"),
        ]
    )
    w.app(
        "chat",
        [
            account("a1", "old.leaver@example.com"),
            account("a2", "fresh.leaver@example.com"),
            account("a3", "gone.properly@example.com", active=False),
            account("a4", "on.leave@example.com"),
            account("a5", "pending.leaver@example.com"),
            account("a6", "re.hired@example.com"),
            account("a7", "export.lag@example.com", active=None),
            account("a8", "no.date@example.com"),
        ],
    )
    w.analyze(as_of="2026-06-01", policy={"deprovision_sla_hours": 24})
    got = {f["user_name"]: f for f in w.findings("terminated_active")}
    assert set(got) == {
        "old.leaver@example.com",
        "fresh.leaver@example.com",
        "export.lag@example.com",
        "no.date@example.com",
    }
    old = got["old.leaver@example.com"]
    assert old["severity"] == "critical"
    assert evidence(old)["days_since_termination"] == 31
    assert evidence(old)["sla_breached"] is True
    assert "left on 2026-05-01 (31 days ago)" in old["reason"]
    # seen active inside the SLA, but the analysis date has reached the deadline: no longer pending
    fresh = got["fresh.leaver@example.com"]
    assert fresh["severity"] == "critical" and evidence(fresh)["sla_breached"] is True
    assert evidence(fresh)["deprovision_deadline"].startswith("2026-06-01 00:00")
    assert "(1 day ago)" in fresh["reason"]
    assert w.pending() == {}
    assert got["no.date@example.com"]["severity"] == "critical"
    population = w.population("terminated_active")["chat"]
    assert (population["tested"], population["failed"]) == (7, 4)


def test_terminated_active_respects_the_analysis_date() -> None:
    w = World()
    # HR already records the leaving date; the account was pulled before it
    w.hr(
        [person("E1", "Jo", "Lee", status="terminated", termination_date="2026-05-20")],
        as_of="2026-05-01",
    )
    w.app("chat", [account("a1", "jo.lee@example.com")], as_of="2026-05-01")
    w.analyze(as_of="2026-05-31")
    assert len(w.findings("terminated_active")) == 1
    w.analyze(as_of="2026-05-19")
    assert w.findings("terminated_active") == []


def test_contractor_expired_and_not_expired() -> None:
    w = World()
    w.hr(
        [
            person("C1", "Past", "End", worker_type="contractor", contract_end_date="2026-05-10"),
            person("C2", "Future", "End", worker_type="contractor", contract_end_date="2026-06-08"),
            person("C3", "Ends", "Today", worker_type="contractor", contract_end_date="2026-06-01"),
            person(
                "C4",
                "Left",
                "Already",
                worker_type="contractor",
                contract_end_date="2026-05-01",
                status="terminated",
                termination_date="2026-05-01",
            ),
            person("E5", "Employee", "Withdate", contract_end_date="2026-01-01"),
        ]
    )
    w.app(
        "code",
        [
            account(f"a{i}", u)
            for i, u in enumerate(
                [
                    "past.end@example.com",
                    "future.end@example.com",
                    "ends.today@example.com",
                    "left.already@example.com",
                    "employee.withdate@example.com",
                ]
            )
        ],
    )
    w.analyze(as_of="2026-06-01")
    assert rows(w.findings("contractor_expired"), "user_name", "employee_id") == {
        ("past.end@example.com", "C1")
    }
    [f] = w.findings("contractor_expired")
    assert evidence(f)["contract_end_date"] == "2026-05-10" and "22 days ago" in f["reason"]
    # the terminated contractor is a terminated_active finding, not both
    assert rows(w.findings("terminated_active"), "employee_id") == {("C4",)}
    assert w.population("contractor_expired")["code"]["tested"] == 4


def test_service_owner_left() -> None:
    w = World()
    w.hr(
        [
            person("E1", "Still", "Here"),
            person("E2", "Long", "Gone", status="terminated", termination_date="2026-01-01"),
        ]
    )
    w.app(
        "chat",
        [
            account("a1", "svc-standup"),
            account("a2", "svc-deploy"),
            account("a3", "svc-ghost"),
            account("a4", "svc-retired", active=False),
            account("a5", "svc-plain"),
        ],
        service_accounts=["svc-plain"],
    )
    w.analyze(
        overrides=OVERRIDES_HEADER
        + "chat,svc-standup,service,,E2,stand-up bot,2030-01-01\n"
        + "chat,svc-deploy,service,,still.here@example.com,deploys,2030-01-01\n"
        + "chat,svc-ghost,service,,E999,no longer in HR,2030-01-01\n"
        + "chat,svc-retired,service,,E2,retired bot,2030-01-01\n"
    )
    got = {f["user_name"]: f for f in w.findings("service_owner_left")}
    assert set(got) == {"svc-standup", "svc-ghost"}
    assert got["svc-standup"]["employee_id"] == "E2"
    assert "Long Gone (E2) left on 2026-01-01" in got["svc-standup"]["reason"]
    assert "E999 is not in the HR export" in got["svc-ghost"]["reason"]
    assert w.links()[("chat", "svc-deploy")]["service_owner"] == "E1"  # owner given by email
    population = w.population("service_owner_left")["chat"]
    assert (population["tested"], population["not_assessable"]) == (3, 1)
    assert w.findings("orphaned_account") == []
