"""Correlation rules on tiny tables: every rule's positive, negative and look-alike cases."""

from __future__ import annotations

import pytest

from sqlunit import World, account, person, rows

OVERRIDES_HEADER = "app,account,action,employee_id,owner,reason,expires\n"


def linked(w: World) -> dict[str, tuple[str | None, str | None, str | None, str]]:
    """``{user_name: (employee_id, rule, confidence, account_type)}`` of the latest run."""
    return {
        key[1]: (r["employee_id"], r["rule"], r["confidence"], r["account_type"])
        for key, r in w.links().items()
    }


def test_external_id_links_case_insensitively_and_a_wrong_one_does_not() -> None:
    w = World()
    w.hr([person("E1001", "Jo", "Lee"), person("E1002", "Al", "Kim")])
    w.app(
        "chat",
        [
            account("a1", "u1", external_id="e1001 "),
            account("a2", "u2", external_id="E9999"),
        ],
    )
    w.analyze()
    got = linked(w)
    assert got["u1"] == ("E1001", "external_id", "high", "human")
    assert got["u2"] == (None, None, None, "unmatched")
    assert rows(w.findings("orphaned_account"), "user_name") == {("u2",)}


def test_employee_number_links_when_external_id_is_absent() -> None:
    w = World()
    w.hr([person("E1001", "Jo", "Lee")])
    w.app("erp", [account("a1", "JLEE", employee_number="E1001")])
    w.analyze()
    assert linked(w)["JLEE"] == ("E1001", "employee_number", "high", "human")
    assert w.findings() == []


def test_email_rule_case_alias_domain_and_plus_folding() -> None:
    w = World()
    w.hr(
        [
            person("E1", "Liam", "Hoffmann"),
            person("E2", "Dmitri", "Baker"),
            person("E3", "Kai", "Campbell"),
            person("E4", "Ada", "Byron"),
        ]
    )
    w.app(
        "crm",
        [
            account("a1", "Liam.Hoffmann@Example.com"),  # email-shaped userName, other case
            account("a2", "dbaker", emails=["dmitri.baker@example-health.org"]),  # alias domain
            account("a3", "kai.campbell+crm@example.com"),  # plus address
            account(
                "a4", "ada", emails=["ada.byron@elsewhere.example"]
            ),  # look-alike: other domain
        ],
    )
    w.analyze(correlation={"domain_aliases": {"example-health.org": "example.com"}})
    got = linked(w)
    assert got["Liam.Hoffmann@Example.com"] == ("E1", "email", "high", "human")
    assert got["dbaker"] == ("E2", "email", "medium", "human")
    assert got["kai.campbell+crm@example.com"] == ("E3", "email", "medium", "human")
    assert got["ada"][0] is None
    assert rows(w.findings(), "kind", "user_name") == {("orphaned_account", "ada")}


def test_plus_folding_and_aliases_can_be_switched_off() -> None:
    w = World()
    w.hr([person("E3", "Kai", "Campbell"), person("E2", "Dmitri", "Baker")])
    w.app(
        "crm",
        [
            account("a3", "kai.campbell+crm@example.com"),
            account("a2", "dmitri.baker@example-health.org"),
        ],
    )
    w.analyze(correlation={"fold_plus_addressing": False})
    assert {r["user_name"] for r in w.findings("orphaned_account")} == {
        "kai.campbell+crm@example.com",
        "dmitri.baker@example-health.org",
    }


def test_renamed_person_links_by_the_email_of_an_earlier_hr_snapshot() -> None:
    w = World()
    w.hr([person("E7", "Kevin", "Lindqvist")], as_of="2026-03-01")
    w.hr([person("E7", "Kevin", "Silva")])
    w.app("chat", [account("a1", "kevin.lindqvist@example.com")])
    w.analyze()
    assert linked(w)["kevin.lindqvist@example.com"] == ("E7", "email_history", "medium", "human")
    assert w.findings() == []


def test_current_email_outranks_someone_elses_old_email() -> None:
    w = World()
    w.hr(
        [person("E1", "Sam", "Roe", email="sam@example.com"), person("E2", "Al", "Kim")],
        as_of="2026-01-01",
    )
    # E1 changed address; E2 now owns sam@example.com
    w.hr(
        [
            person("E1", "Sam", "Roe", email="sam.roe@example.com"),
            person("E2", "Al", "Kim", email="sam@example.com"),
        ]
    )
    w.app("chat", [account("a1", "sam@example.com")])
    w.analyze()
    assert linked(w)["sam@example.com"][0] == "E2"


def test_name_alone_never_clears_an_orphan_but_is_shown() -> None:
    w = World()
    w.hr([person("E5", "Grace", "Hopper")])
    w.app("code", [account("a1", "ghopper", given_name="Grace", family_name="Hopper")])
    w.analyze()
    link = w.links()[("code", "ghopper")]
    assert (link["employee_id"], link["rule"], link["confidence"]) == (None, "name", "low")
    assert link["candidates"] == ["E5"]
    [finding] = w.findings("orphaned_account")
    assert "name resembles E5" in finding["reason"]
    assert finding["evidence"]["name_candidates"] == ["E5"]


def test_ambiguous_email_is_surfaced_not_guessed() -> None:
    w = World()
    w.hr(
        [
            person("E1", "Pat", "A", email="team@example.com"),
            person("E2", "Pat", "B", email="Team@Example.com"),
        ]
    )
    w.app("chat", [account("a1", "team@example.com")])
    w.analyze()
    link = w.links()[("chat", "team@example.com")]
    assert link["employee_id"] is None and link["ambiguous"] is True
    assert link["candidates"] == ["E1", "E2"]
    assert rows(w.findings(), "kind") == {("ambiguous_identity",)}


def test_namesakes_link_by_email_not_by_name() -> None:
    w = World()
    w.hr(
        [
            person("E1", "Michael", "Perez", email="michael.perez@example.com"),
            person("E2", "Michael", "Perez", email="michael.perez2@example.com"),
        ]
    )
    w.app(
        "chat",
        [account("a1", "michael.perez2@example.com", given_name="Michael", family_name="Perez")],
    )
    w.analyze()
    assert linked(w)["michael.perez2@example.com"][:2] == ("E2", "email")
    assert w.findings() == []


def test_rule_order_is_configurable_and_disagreement_is_noted() -> None:
    w = World()
    w.hr([person("E1", "Jo", "Lee"), person("E2", "Al", "Kim")])
    w.app("chat", [account("a1", "al.kim@example.com", external_id="E1")])
    w.analyze()
    link = w.links()[("chat", "al.kim@example.com")]
    assert (link["employee_id"], link["rule"]) == ("E1", "external_id")
    assert link["note"] == "other rules point to E2"
    w.analyze(correlation={"rules": ["email", "external_id"]})
    assert linked(w)["al.kim@example.com"][:2] == ("E2", "email")
    w.analyze(correlation={"rules": ["employee_number"]})
    assert linked(w)["al.kim@example.com"][0] is None


def test_overrides_win_and_are_listed() -> None:
    w = World()
    w.hr([person("E1", "Jo", "Lee"), person("E2", "Al", "Kim")])
    w.app(
        "code",
        [
            account("a1", "ghost-rider-77"),
            account("a2", "jo.lee@example.com"),
            account("a3", "svc-build"),
        ],
    )
    w.analyze(
        overrides=OVERRIDES_HEADER
        + "code,GHOST-RIDER-77,link,E2,,handle from before SSO,\n"
        + "code,a2,link,E2,,shared laptop account reassigned,2030-01-01\n"
        + "code,svc-build,service,,E1,CI builds,2030-01-01\n"
        + "code,nobody,service,,E1,gone,2030-01-01\n"
    )
    got = linked(w)
    assert got["ghost-rider-77"] == ("E2", "override", "high", "human")
    assert got["jo.lee@example.com"] == ("E2", "override", "high", "human")
    assert got["svc-build"] == (None, "override", "high", "service")
    assert w.links()[("code", "svc-build")]["service_owner"] == "E1"
    status = dict(
        w.con.execute(
            "SELECT line_no, status FROM correlation_override WHERE run_id = ?",
            [w.summary.run_id if w.summary else 0],
        ).fetchall()
    )
    assert status == {2: "applied", 3: "applied", 4: "applied", 5: "no_such_account"}
    assert rows(w.findings(), "kind", "user_name") == {
        ("duplicate_account", "ghost-rider-77"),
        ("duplicate_account", "jo.lee@example.com"),
    }


def test_expired_override_no_longer_applies_and_says_so() -> None:
    w = World()
    w.hr([person("E1", "Jo", "Lee")])
    w.app("code", [account("a1", "svc-old")])
    w.analyze(overrides=OVERRIDES_HEADER + "code,svc-old,service,,E1,legacy job,2026-05-01\n")
    [finding] = w.findings()
    assert finding["kind"] == "orphaned_account"
    assert "override expired 2026-05-01" in finding["reason"]


def test_override_to_unknown_person_is_not_applied() -> None:
    w = World()
    w.hr([person("E1", "Jo", "Lee")])
    w.app("code", [account("a1", "x1")])
    w.analyze(overrides=OVERRIDES_HEADER + "code,x1,link,E404,,typo,\n")
    assert linked(w)["x1"][0] is None
    assert w.con.execute("SELECT status FROM correlation_override").fetchall() == [
        ("unknown_employee",)
    ]


def test_declared_service_accounts_are_not_orphans_and_match_any_case() -> None:
    w = World()
    w.hr([person("E1", "Jo", "Lee")])
    w.app(
        "erp",
        [account("a1", "SVC-BACKUP"), account("a2", "SVC-LEGACY-IMPORT")],
        service_accounts=["svc-backup"],
    )
    w.analyze()
    assert linked(w)["SVC-BACKUP"] == (None, "service_config", "high", "service")
    assert rows(w.findings(), "kind", "user_name") == {("orphaned_account", "SVC-LEGACY-IMPORT")}


def test_inactive_and_null_active_accounts() -> None:
    w = World()
    w.hr([person("E1", "Jo", "Lee")])
    w.app(
        "chat",
        [
            account("a1", "old.intern@example.com", active=False),
            account("a2", "ghost@example.com", active=None),
        ],
    )
    w.analyze()
    # active NULL counts as active: an orphan; an inactive orphan is no finding
    assert rows(w.findings(), "kind", "user_name") == {("orphaned_account", "ghost@example.com")}
    assert w.links()[("chat", "ghost@example.com")]["active"] is True


@pytest.mark.parametrize(
    "bad", ["code,x,delete,,,why,", "code,x,link,,,why,", "code,x,service,,,,"]
)
def test_bad_override_lines_are_refused_with_line_numbers(bad: str) -> None:
    from scimaudit.analytics.overrides import parse_overrides
    from scimaudit.errors import InputError

    with pytest.raises(InputError, match=r"overrides.csv:2: "):
        parse_overrides(OVERRIDES_HEADER + bad + "\n", "overrides.csv")
