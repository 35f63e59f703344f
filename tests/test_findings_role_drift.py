"""role_drift on tiny tables: role policy, peers (with the numbers) and movers from HR history."""

from __future__ import annotations

from sqlunit import World, account, evidence, person, rows


def team(prefix: str, n: int, dept: str, title: str, **kw: object) -> list[dict[str, object]]:
    return [
        person(f"{prefix}{i}", "P", f"{prefix}{i}", department=dept, title=title, **kw)
        for i in range(n)
    ]


def accounts_for(people: list[dict[str, object]], groups: list[str]) -> list[dict[str, object]]:
    return [
        account(f"acc-{p['employee_id']}", str(p["email"]), groups=list(groups)) for p in people
    ]


def test_peer_outlier_with_numbers_and_lookalike_held_by_enough_peers() -> None:
    sales = team("S", 45, "Sales", "Account Executive")
    w = World()
    w.hr(sales)
    accts = accounts_for(sales, ["sales"])
    accts[0]["groups"] = ["sales", "admins"]  # 1 of 45: drift
    for a in accts[1:6]:
        a["groups"] = ["sales", "reports"]  # 5 of 45 = 11%: above the 10% threshold
    w.app("code", accts)
    w.analyze()
    [f] = w.findings("role_drift")
    assert f["user_name"] == "p.s0@example.com" and f["group_name"] == "admins"
    assert f["reason"] == "1 of 45 Sales / Account Executive peers hold code/admins (2%)"
    assert evidence(f)["basis"] == "peer" and evidence(f)["peers"] == 45


def test_small_peer_groups_are_not_assessable() -> None:
    legal = team("L", 4, "Legal", "Counsel")
    w = World()
    w.hr(legal)
    accts = accounts_for(legal, ["legal"])
    accts[0]["groups"] = ["legal", "admins"]
    w.app("chat", accts)
    w.analyze(policy={"peer_min_group_size": 5})
    assert w.findings("role_drift") == []
    population = w.population("role_drift")["chat"]
    assert (population["tested"], population["not_assessable"]) == (0, 5)


def test_peers_by_department_only_when_configured() -> None:
    eng = team("E", 30, "Engineering", "Software Engineer") + team(
        "X", 6, "Engineering", "Security Engineer"
    )
    w = World()
    w.hr(eng)
    accts = accounts_for(eng, ["developers"])
    for a in accts[30:]:
        a["groups"] = ["developers", "security"]
    w.app("code", accts)
    w.analyze()  # department + title: every Security Engineer holds security
    assert w.findings("role_drift") == []
    w.analyze(policy={"peer_group": "department"})  # 6 of 36 = 17%: still explained
    assert w.findings("role_drift") == []
    w.analyze(policy={"peer_group": "department", "peer_threshold": 0.2})
    assert len(w.findings("role_drift")) == 6
    assert (
        "6 of 36 Engineering peers hold code/security (17%)"
        in w.findings("role_drift")[0]["reason"]
    )


def test_role_policy_governs_an_app_and_a_department_without_entry_may_hold_nothing() -> None:
    people = team("F", 6, "Finance", "Accountant") + team("S", 6, "Sales", "Rep")
    w = World()
    w.hr(people)
    accts = accounts_for(people[:6], ["GL-Poster"]) + accounts_for(people[6:], [])
    accts[6]["groups"] = ["Vendor-Master"]
    accts[0]["groups"] = ["GL-Poster", "Finance-Admins"]
    w.app("erp", accts)
    policy = {
        "role_policy": [
            {"department": "finance", "app": "erp", "groups": ["gl-poster", "AP-Clerk"]},
            {
                "department": "Finance",
                "title": "Controller",
                "app": "erp",
                "groups": ["Finance-Admins"],
            },
        ]
    }
    w.analyze(policy=policy)
    got = {(f["user_name"], f["group_name"]): f for f in w.findings("role_drift")}
    assert set(got) == {
        ("p.s0@example.com", "Vendor-Master"),
        ("p.f0@example.com", "Finance-Admins"),
    }
    assert got[("p.s0@example.com", "Vendor-Master")]["reason"] == (
        "role policy for Sales in erp does not include Vendor-Master"
    )
    # the title-specific entry allows Finance-Admins to a Controller only
    assert evidence(got[("p.f0@example.com", "Finance-Admins")])["basis"] == "policy"
    assert any("'AP-Clerk' is not a group" in n for n in (w.summary.notes if w.summary else ()))


def test_mover_who_kept_previous_department_access_and_a_clean_mover() -> None:
    before = team("F", 6, "Finance", "AP") + team("M", 6, "Marketing", "Marketer")
    after = [dict(p) for p in before]
    after[0]["department"], after[0]["title"] = "Marketing", "Marketer"  # kept AP-Approver
    after[1]["department"], after[1]["title"] = "Marketing", "Marketer"  # clean: access changed
    w = World()
    w.hr(before, as_of="2026-03-01")
    w.hr(after)
    accts = accounts_for(after[:6], ["AP-Approver"]) + accounts_for(after[6:], ["Campaigns"])
    accts[1]["groups"] = ["Campaigns"]
    w.app("erp", accts)
    policy = {
        "role_policy": [
            {"department": "Finance", "app": "erp", "groups": ["AP-Approver"]},
            {"department": "Marketing", "app": "erp", "groups": ["Campaigns"]},
        ]
    }
    w.analyze(policy=policy)
    [f] = w.findings("role_drift")
    assert (f["user_name"], f["group_name"]) == ("p.f0@example.com", "AP-Approver")
    assert evidence(f)["basis"] == "mover"
    assert f["reason"].startswith("moved from Finance to Marketing (HR export of 2026-03-01)")
    assert "allowed for Finance by role policy, not for Marketing" in f["reason"]


def test_mover_in_an_ungoverned_app_is_judged_by_department_peers() -> None:
    before = team("S", 8, "Support", "Agent") + team("A", 8, "Sales", "Rep")
    after = [dict(p) for p in before]
    after[0]["department"], after[0]["title"] = "Sales", "Rep"
    w = World()
    w.hr(before, as_of="2026-03-01")
    w.hr(after)
    accts = accounts_for(after[:8], ["Support"]) + accounts_for(after[8:], ["Sales"])
    accts[0]["groups"] = ["Support", "Sales"]
    w.app("chat", accts)
    w.analyze()
    [f] = w.findings("role_drift")
    assert (f["user_name"], f["group_name"], evidence(f)["basis"]) == (
        "p.s0@example.com",
        "Support",
        "mover",
    )
    assert "7 of 7 Support people hold it, 0 of 8 other Sales people" in f["reason"]


def test_terminated_people_are_not_peers_and_not_judged_for_drift() -> None:
    sales = team("S", 10, "Sales", "Rep")
    sales[0]["status"], sales[0]["termination_date"] = "terminated", "2026-05-01"
    w = World()
    w.hr(sales)
    accts = accounts_for(sales, ["sales"])
    accts[0]["groups"] = ["sales", "admins"]
    w.app("chat", accts)
    w.analyze()
    assert rows(w.findings(), "kind") == {("terminated_active",)}


def test_a_person_with_two_accounts_counts_once_among_peers() -> None:
    sales = team("S", 11, "Sales", "Rep")
    w = World()
    w.hr(sales)
    accts = accounts_for(sales, ["sales"])
    accts[0]["groups"] = ["sales", "admins"]
    # the same person's second account also in admins: still 1 holder of 11, not 2
    accts.append(account("acc-S0-b", "s0-alt", emails=[str(sales[0]["email"])], groups=["admins"]))
    w.app("chat", accts)
    w.analyze()
    drift = w.findings("role_drift")
    assert {f["user_name"] for f in drift} == {"p.s0@example.com", "s0-alt"}
    assert all(
        f["reason"].startswith("1 of 11 Sales / Rep peers hold chat/admins (9%)") for f in drift
    )
    assert rows(w.findings("duplicate_account"), "user_name") == {
        ("p.s0@example.com",),
        ("s0-alt",),
    }
