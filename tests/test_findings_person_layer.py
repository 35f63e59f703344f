"""The person layer on tiny tables: rehires (old id on the account), leavers at the SLA boundary
(day-resolution HR date against the exact collection time), and the clean cases that must stay
clean: notice periods, converted contractors, messy HR emails, secondary SCIM emails, name twins."""

from __future__ import annotations

from sqlunit import World, account, evidence, person, rows


def rehire_world(collected: str = "2026-05-31", **new_row: object) -> World:
    w = World()
    w.hr(
        [
            person(
                "E10041",
                "Ann",
                "Rehire",
                status="terminated",
                hire_date="2021-01-04",
                termination_date="2024-07-05",
            ),
            person("E10402", "Ann", "Rehire", hire_date="2026-03-02", **new_row),
        ],
        as_of=collected,
    )
    w.app(
        "erp",
        [
            account("a1", "arehire", employee_number="E10041"),  # the old id, never updated
            account("a2", "ann.rehire@example.com", external_id="E10402"),
        ],
        as_of=collected,
    )
    return w


def test_rehire_with_old_employee_number_is_the_person_not_a_leaver() -> None:
    w = rehire_world()
    w.analyze(as_of="2026-06-01")
    assert w.findings("terminated_active") == []
    assert w.findings("orphaned_account") == []
    assert w.findings("ambiguous_identity") == []  # one email, two HR rows: one person
    links = w.links()
    assert links[("erp", "arehire")]["employee_id"] == "E10402"
    assert links[("erp", "arehire")]["note"] == (
        "linked by employeeNumber E10041 → rehired as E10402 on 2026-03-02"
    )
    assert links[("erp", "ann.rehire@example.com")]["note"] is None
    stale = w.findings("stale_identifier")
    assert rows(stale, "user_name", "employee_id", "severity") == {("arehire", "E10402", "low")}
    assert "update the id to E10402" in stale[0]["reason"]
    assert "linked by employeeNumber E10041 → rehired as E10402" in stale[0]["reason"]
    assert evidence(stale[0])["previous_employee_ids"] == ["E10041"]
    # two accounts of one person in one app: the duplicate check sees them as one person's
    assert rows(w.findings("duplicate_account"), "user_name") == {
        ("arehire",),
        ("ann.rehire@example.com",),
    }


def test_rehire_by_explicit_previous_employee_id_with_a_new_email() -> None:
    w = rehire_world(email="ann.r@example.com", previous_employee_id="E10041")
    w.analyze(as_of="2026-06-01")
    assert w.findings("terminated_active") == []
    assert rows(w.findings("stale_identifier"), "user_name") == {("arehire",)}
    # the old row's address still names the person (an earlier employment's email)
    w2 = rehire_world(email="ann.r@example.com", previous_employee_id="E10041")
    w2.app("chat", [account("c1", "ann.rehire@example.com")])
    w2.analyze(as_of="2026-06-01")
    assert w2.links()[("chat", "ann.rehire@example.com")]["employee_id"] == "E10402"


def test_rehire_that_has_not_started_yet_is_still_a_leaver() -> None:
    w = rehire_world("2026-01-15")  # HR already lists the coming rehire
    w.analyze(as_of="2026-02-01")  # rehired on 2026-03-02: on 2026-02-01 they had left
    got = w.findings("terminated_active")
    assert rows(got, "user_name", "employee_id") == {
        ("arehire", "E10041"),
        ("ann.rehire@example.com", "E10041"),
    }


def test_same_email_overlapping_employments_are_not_merged() -> None:
    w = World()
    w.hr(
        [
            person("E1", "Sam", "Box", email="team@example.com"),
            person("E2", "Kim", "Box", email="TEAM@example.com "),
        ]
    )
    w.app("chat", [account("a1", "team@example.com")])
    w.analyze()
    assert rows(w.findings("ambiguous_identity"), "user_name") == {("team@example.com",)}
    assert w.findings("stale_identifier") == []


def test_rehired_then_left_again_is_a_leaver_under_the_current_id() -> None:
    w = rehire_world(status="terminated", termination_date="2026-04-30")
    w.analyze(as_of="2026-06-01")
    got = w.findings("terminated_active")
    assert rows(got, "user_name", "employee_id") == {
        ("arehire", "E10402"),
        ("ann.rehire@example.com", "E10402"),
    }
    old_id = next(f for f in got if f["user_name"] == "arehire")
    assert "left on 2026-04-30" in old_id["reason"]
    assert "rehired as E10402" in evidence(old_id)["link_note"]


def sla_world(collected: str) -> World:
    w = World()
    w.hr([person("E1", "Lea", "Ver", status="terminated", termination_date="2026-06-01")])
    w.app("chat", [account("a1", "lea.ver@example.com")], as_of=collected)
    return w


def test_leaver_on_the_sla_day_is_pending_with_its_deadline() -> None:
    w = sla_world("2026-06-01T15:00:00")
    w.analyze(as_of="2026-06-01", policy={"deprovision_sla_hours": 24})
    assert w.findings("terminated_active") == []
    pending = w.pending()["lea.ver@example.com"]
    assert str(pending["deadline"]).startswith("2026-06-02 00:00")
    assert "deprovision by 2026-06-02 00:00 UTC" in pending["reason"]
    assert w.summary is not None and w.summary.open_findings == 0
    population = w.population("terminated_active")["chat"]
    assert (population["tested"], population["failed"]) == (1, 0)


def test_leaver_the_day_after_is_terminated_active() -> None:
    w = sla_world("2026-06-02T09:00:00")
    w.analyze(as_of="2026-06-02", policy={"deprovision_sla_hours": 24})
    got = w.findings("terminated_active")
    assert rows(got, "user_name", "severity") == {("lea.ver@example.com", "critical")}
    assert evidence(got[0])["sla_breached"] is True
    assert w.pending() == {}


def test_sla_boundary_is_the_exact_collection_time() -> None:
    # 36 h SLA: the deadline is 2026-06-02 12:00 UTC; the analysis date (06-02) is before it
    on_time = sla_world("2026-06-02T12:00:00")
    on_time.analyze(as_of="2026-06-02", policy={"deprovision_sla_hours": 36})
    assert on_time.findings("terminated_active") == []
    assert set(on_time.pending()) == {"lea.ver@example.com"}
    late = sla_world("2026-06-02T12:00:01")
    late.analyze(as_of="2026-06-02", policy={"deprovision_sla_hours": 36})
    assert rows(late.findings("terminated_active"), "user_name") == {("lea.ver@example.com",)}
    assert late.pending() == {}


def test_old_app_data_cannot_keep_an_overdue_leaver_pending() -> None:
    w = sla_world("2026-06-01T08:00:00")  # seen inside the SLA, never collected again
    w.analyze(as_of="2026-06-03", policy={"deprovision_sla_hours": 24})
    assert rows(w.findings("terminated_active"), "user_name") == {("lea.ver@example.com",)}
    assert w.pending() == {}


def test_clean_cases_stay_clean() -> None:
    w = World()
    w.hr(
        [
            person("N1", "Nora", "Notice", termination_date="2026-06-30"),  # notice period
            person(  # converted: employee now, an old contract end date left in the export
                "C1", "Carl", "Convert", worker_type="employee", contract_end_date="2025-12-31"
            ),
            person(  # converted with a new row: the contractor row ended, then hired
                "K1",
                "Kai",
                "Convert",
                worker_type="contractor",
                contract_end_date="2025-12-31",
            ),
            person("K2", "Kai", "Convert", hire_date="2026-01-05"),
            person("M1", "Mia", "Messy", email="  Mia.Messy@Example.COM "),
            person("S1", "Sid", "Second", email="sid.second@example.com"),
            person("T1", "Tom", "Twin", email="tom.twin@example.com"),
            person("T2", "Tom", "Twin", email="t.twin@example.com"),
        ]
    )
    w.app(
        "erp",
        [
            account("a1", "nora.notice@example.com"),
            account("a2", "carl.convert@example.com"),
            account("a3", "kai.convert@example.com", employee_number="K1"),
            account("a4", "mia.messy@example.com"),
            account(
                "a5",
                "sid",
                primary_email="sid@home.example.net",
                emails=["sid@home.example.net", "Sid.Second@example.com"],
            ),
            account("a6", "ttwin", given_name="Tom", family_name="Twin"),
        ],
    )
    w.analyze(
        as_of="2026-06-01",
        correlation={"rules": ["external_id", "employee_number", "email", "name"]},
    )
    kinds = {f["kind"] for f in w.findings()}
    assert "terminated_active" not in kinds and "contractor_expired" not in kinds
    links = w.links()
    assert links[("erp", "nora.notice@example.com")]["employee_id"] == "N1"
    assert links[("erp", "kai.convert@example.com")]["employee_id"] == "K2"
    assert links[("erp", "mia.messy@example.com")]["employee_id"] == "M1"
    assert links[("erp", "sid")]["employee_id"] == "S1"
    twin = links[("erp", "ttwin")]
    assert twin["employee_id"] is None and twin["account_type"] == "unmatched"
    assert sorted(twin["candidates"]) == ["T1", "T2"]
    assert rows(w.findings("orphaned_account"), "user_name") == {("ttwin",)}
    assert rows(w.findings("stale_identifier"), "user_name") == {("kai.convert@example.com",)}


def test_nested_privileged_group_is_found() -> None:
    w = World()
    w.hr([person("E1", "Ada", "Admin")])
    w.app(
        "erp",
        [account("a1", "ada.admin@example.com", groups=["ops-team"])],
        nested={"Domain Admins": ["ops-team"]},
        privileged_groups=[" domain admins "],
    )
    w.analyze()
    got = w.findings("privileged_account")
    assert rows(got, "user_name", "group_name") == {("ada.admin@example.com", "Domain Admins")}


def test_pending_leavers_are_listed_by_the_library_and_counted_nowhere() -> None:
    from scimaudit.analytics.results import pending_deprovisioning, run_summary

    w = sla_world("2026-06-01T15:00:00")
    summary = w.analyze(as_of="2026-06-01")
    listed = pending_deprovisioning(w.con)
    assert [(r["user_name"], r["employee_id"]) for r in listed] == [("lea.ver@example.com", "E1")]
    assert run_summary(w.con, summary.run_id).pending_deprovisioning == 1
    assert summary.open_findings == 0 and summary.by_kind()["terminated_active"] == (0, 0)


def test_old_id_is_noted_whichever_rule_decides_the_link() -> None:
    w = rehire_world()
    w.app("chat", [account("c1", "ann.rehire@example.com", external_id="E10041")])
    w.analyze(as_of="2026-06-01", correlation={"rules": ["email", "external_id"]})
    link = w.links()[("chat", "ann.rehire@example.com")]
    assert (link["employee_id"], link["rule"]) == ("E10402", "email")
    assert link["note"] == (
        "carries an earlier employment's externalId E10041 → rehired as E10402 on 2026-03-02"
    )
    assert ("chat", "ann.rehire@example.com") in rows(
        w.findings("stale_identifier"), "app", "user_name"
    )


def test_overrides_naming_an_earlier_id_mean_the_person() -> None:
    w = rehire_world()
    w.app("chat", [account("c1", "ann-laptop"), account("c2", "svc-report")])
    overrides = (
        "app,account,action,employee_id,owner,reason,expires\n"
        "chat,ann-laptop,link,E10041,,her second login,\n"
        "chat,svc-report,service,,E10041,reporting job,\n"
    )
    w.analyze(as_of="2026-06-01", overrides=overrides)
    links = w.links()
    assert links[("chat", "ann-laptop")]["employee_id"] == "E10402"
    assert links[("chat", "svc-report")]["service_owner"] == "E10402"
    assert w.findings("service_owner_left") == []  # the owner works here again
    assert w.findings("terminated_active") == []


def test_rehire_across_a_domain_alias_is_one_person() -> None:
    w = World()
    w.hr(
        [
            person(
                "H1",
                "Ida",
                "Alias",
                email="ida.alias@example-health.org",
                status="terminated",
                termination_date="2024-01-31",
            ),
            person("H2", "Ida", "Alias", email="Ida.Alias@example.com", hire_date="2025-02-03"),
        ]
    )
    w.app("ehr", [account("e1", "ialias", external_id="H1")])
    w.analyze(correlation={"domain_aliases": {"example-health.org": "example.com"}})
    assert w.findings("terminated_active") == []
    assert w.links()[("ehr", "ialias")]["employee_id"] == "H2"
    # without the alias the two rows are two people: the old id is a leaver's
    w.analyze()
    assert rows(w.findings("terminated_active"), "user_name") == {("ialias",)}
