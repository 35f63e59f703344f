"""stale_access, privileged_account, duplicate_account and sod_conflict on tiny tables."""

from __future__ import annotations

from sqlunit import World, account, evidence, person, rows


def test_stale_access_from_an_activity_export() -> None:
    w = World()
    w.hr(
        [
            person("E1", "Cam", "Old"),
            person("E2", "Lu", "Recent"),
            person("E3", "Ep", "Never"),
            person("E4", "Mo", "New", hire_date="2026-05-20"),
            person("E5", "Bo", "Email"),
        ]
    )
    w.app(
        "chat",
        [
            account("a1", "cam.old@example.com"),
            account("a2", "LU.RECENT@example.com"),
            account("a3", "ep.never@example.com"),
            account("a4", "mo.new@example.com"),
            account("a5", "bo", emails=["bo.email@example.com"]),
        ],
    )
    w.activity(
        [
            ("chat", "cam.old@example.com", "2026-02-01T10:00:00"),
            ("chat", "lu.recent@example.com", "2026-03-04T09:00:00"),  # 89 days: not stale
            ("chat", "BO.EMAIL@example.com", "2026-01-01T09:00:00"),  # matched through emails
        ]
    )
    w.analyze(as_of="2026-06-01", policy={"never_used_since": "hire_date"})
    got = {f["user_name"]: f for f in w.findings("stale_access")}
    assert set(got) == {"cam.old@example.com", "ep.never@example.com", "bo"}
    assert evidence(got["cam.old@example.com"])["days_since_sign_in"] == 120
    assert evidence(got["ep.never@example.com"])["never_used"] is True
    assert "never signed in; hire date 2020-01-01" in got["ep.never@example.com"]["reason"]
    population = w.population("stale_access")["chat"]
    assert (population["tested"], population["failed"], population["not_assessable"]) == (5, 3, 0)


def test_app_without_activity_signal_is_not_assessable_never_stale() -> None:
    w = World()
    w.hr([person("E1", "Jo", "Lee")])
    w.app("ehr", [account("a1", "jo.lee@example.com", created="2019-01-01")])
    w.app("chat", [account("b1", "jo.lee@example.com")])
    w.activity([("chat", "jo.lee@example.com", "2026-05-30T10:00:00")])
    w.analyze()
    assert w.findings("stale_access") == []
    ehr = w.population("stale_access")["ehr"]
    assert (ehr["tested"], ehr["not_assessable"]) == (0, 1)
    assert "no activity signal" in ehr["note"]


def test_activity_attribute_is_a_signal_and_account_created_is_the_default_age() -> None:
    w = World()
    w.hr([person("E1", "Jo", "Lee"), person("E2", "Al", "Kim")])
    w.app(
        "code",
        [
            account("a1", "jo.lee@example.com", last_activity="2025-01-01"),
            account("a2", "al.kim@example.com", created="2026-05-25"),
        ],
        activity_attribute="urn:example:lastLogin",
    )
    w.analyze()
    # a2 never used, but created a week ago: not stale (its person was hired in 2020)
    assert rows(w.findings("stale_access"), "user_name") == {("jo.lee@example.com",)}


def test_privileged_groups_by_name_and_pattern_including_nested() -> None:
    w = World()
    w.hr([person("E1", "Ad", "Min"), person("E2", "Pl", "Ain"), person("E3", "Ne", "Sted")])
    w.app(
        "code",
        [
            account("a1", "ad.min@example.com", groups=["Org-Admins", "developers"]),
            account("a2", "pl.ain@example.com", groups=["developers", "admin-readers-x"]),
            account("a3", "ne.sted@example.com", groups=["oncall"]),
            account("a4", "svc-bot", groups=["org-admins"]),
            account("a5", "old.admin@example.com", groups=["org-admins"], active=False),
        ],
        nested={"org-admins": ["oncall"]},
        privileged_groups=["*-admins", "security"],
        service_accounts=["svc-bot"],
    )
    w.analyze()
    got = rows(w.findings("privileged_account"), "user_name", "group_name")
    assert got == {
        ("ad.min@example.com", "Org-Admins"),
        ("ne.sted@example.com", "org-admins"),
        ("svc-bot", "org-admins"),
    }
    nested = next(
        f for f in w.findings("privileged_account") if f["user_name"] == "ne.sted@example.com"
    )
    assert evidence(nested)["via_group"] == "oncall"
    assert "(service account)" in next(
        f["reason"] for f in w.findings("privileged_account") if f["user_name"] == "svc-bot"
    )
    assert any("'security' matches no group" in n for n in (w.summary.notes if w.summary else ()))


def test_duplicate_accounts_all_listed() -> None:
    w = World()
    w.hr([person("E1", "Ava", "Hall"), person("E2", "Solo", "One")])
    w.app(
        "code",
        [
            account("a1", "ahall", emails=["ava.hall@example.com"]),
            account("a2", "ava-hall", emails=["Ava.Hall@example.com"]),
            account("a3", "ahall-old", emails=["ava.hall@example.com"], active=False),
            account("a4", "solo", emails=["solo.one@example.com"]),
        ],
    )
    w.app("chat", [account("b1", "ava.hall@example.com")])
    w.analyze()
    found = w.findings("duplicate_account")
    assert rows(found, "app", "user_name") == {("code", "ahall"), ("code", "ava-hall")}
    assert all(evidence(f)["accounts"] == ["ahall", "ava-hall"] for f in found)


def test_sod_within_app_and_across_apps() -> None:
    w = World()
    w.hr(
        [
            person("E1", "Kay", "Both"),
            person("E2", "Gil", "Cross"),
            person("E3", "Pat", "Split"),
            person("E4", "Ok", "One"),
        ]
    )
    w.app(
        "erp",
        [
            account("a1", "kay.both@example.com", groups=["Vendor-Master", "AP-Approver"]),
            account("a2", "gil.cross@example.com", groups=["GL-Poster"]),
            account("a3", "pat.split@example.com", groups=["vendor-master"]),
            account("a4", "pat.split2", emails=["pat.split@example.com"], groups=["AP-Approver"]),
            account("a5", "ok.one@example.com", groups=["GL-Poster"]),
            account("a6", "orphan@partner.example", groups=["Vendor-Master", "AP-Approver"]),
        ],
    )
    w.app(
        "code",
        [
            account("b1", "gil.cross@example.com", groups=["maintainers"]),
            account("b2", "ok.one@example.com", groups=["developers"]),
        ],
    )
    w.analyze(
        policy={
            "sod": [
                {"name": "vm-vs-ap", "app": "erp", "groups": ["Vendor-Master", "AP-Approver"]},
                {
                    "name": "gl-vs-code",
                    "left": {"app": "erp", "group": "GL-Poster"},
                    "right": {"app": "code", "group": "maintainers"},
                    "severity": "critical",
                },
            ]
        }
    )
    found = w.findings("sod_conflict")
    assert rows(found, "app", "user_name", "severity") == {
        ("erp", "kay.both@example.com", "high"),
        ("erp", "pat.split@example.com", "high"),
        ("erp", "pat.split2", "high"),
        ("erp", "orphan@partner.example", "high"),
        ("erp", "gil.cross@example.com", "critical"),
        ("code", "gil.cross@example.com", "critical"),
    }
    cross = next(f for f in found if f["app"] == "code")
    assert evidence(cross)["holdings"] == [
        "code/maintainers as gil.cross@example.com",
        "erp/GL-Poster as gil.cross@example.com",
    ]
    assert evidence(cross)["scope"] == "cross_app"
