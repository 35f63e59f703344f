"""The committed sample data: deterministic, self-consistent, and exactly what the manifest says.

``sample_data/generate.py`` is loaded from its path (it is a script, not part of the package). The
heart of this file is :func:`reference_findings`, a deliberately naive pure-Python oracle of every
finding kind over the generated files: the manifest must list exactly what it finds, and no clean
look-alike may be found by it. The real analytics (SQL) should agree with this oracle.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import sys
import tomllib
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"
ALIASES = {"example-health.org": "example.com"}
NOT_DATA = {"generate.py", "README.md"}


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "sample_data_generate", SAMPLE_DIR / "generate.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    saved, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = saved
    return module


gen = _load_generator()


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name not in NOT_DATA and "__pycache__" not in p.parts
    }


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fresh")
    gen.generate(out)
    return out


# -- determinism and the committed copy ----------------------------------------------------------


def test_generator_is_deterministic(fresh: Path, tmp_path: Path) -> None:
    gen.generate(tmp_path)
    assert _files(tmp_path) == _files(fresh)


def test_committed_files_equal_a_fresh_generation(fresh: Path) -> None:
    committed, new = _files(SAMPLE_DIR), _files(fresh)
    assert sorted(committed) == sorted(new), "run: python sample_data/generate.py"
    stale = [name for name in new if committed[name] != new[name]]
    assert not stale, f"out of date, run python sample_data/generate.py: {stale}"


def test_readme_tables_match_the_manifest() -> None:
    readme = (SAMPLE_DIR / "README.md").read_text(encoding="utf-8")
    assert gen.readme_tables() in readme, "run: python sample_data/generate.py"


def test_as_of_moves_every_date(tmp_path: Path) -> None:
    gen.generate(tmp_path, as_of=date(2027, 3, 15))
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["as_of"] == "2027-03-15"
    assert manifest["previous_as_of"] == "2027-01-14"


# -- loading the files as a consumer would -------------------------------------------------------


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def load(root: Path) -> dict[str, Any]:
    apps = {}
    for app in gen.APPS:
        users = json.loads((root / "apps" / app / "users.json").read_text(encoding="utf-8"))
        groups = json.loads((root / "apps" / app / "groups.json").read_text(encoding="utf-8"))
        apps[app] = {"users": users, "groups": groups}
    return {
        "hr": _csv(root / "hr.csv"),
        "hr_previous": _csv(root / "hr_previous.csv"),
        "apps": apps,
        "signins": _csv(root / "signins.csv"),
        "overrides": _csv(root / "overrides.csv"),
        "policy": tomllib.loads((root / "policy.toml").read_text(encoding="utf-8")),
        "manifest": json.loads((root / "manifest.json").read_text(encoding="utf-8")),
    }


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    return load(SAMPLE_DIR)


# -- shape ---------------------------------------------------------------------------------------


def test_hr_export_shape(data: dict[str, Any]) -> None:
    with (SAMPLE_DIR / "hr.csv").open(encoding="utf-8") as fh:
        assert fh.readline().strip() == ",".join(gen.HR_COLUMNS)
    hr = data["hr"]
    assert 450 <= len(hr) <= 550
    ids = [r["Employee_ID"] for r in hr]
    assert len(set(ids)) == len(ids)
    assert len({r["Work_Email"] for r in hr}) == len(hr)
    assert all(r["Work_Email"].endswith("@example.com") for r in hr)
    assert {r["Worker_Status"] for r in hr} == {"Active", "Leave of Absence", "Terminated"}
    assert {r["Worker_Type"] for r in hr} == {"Employee", "Contingent Worker"}
    assert {r["Department"] for r in hr} == {*gen.DEPARTMENTS, "Executive"}
    for row in hr:
        for col in ("Hire_Date", "Termination_Date", "Contract_End_Date"):
            if row[col]:
                date.fromisoformat(row[col])
        assert row["Manager_ID"] == "" or row["Manager_ID"] in ids
        assert bool(row["Contract_End_Date"]) == (row["Worker_Type"] == "Contingent Worker")
        if row["Worker_Status"] == "Terminated":
            assert row["Termination_Date"]
    assert [r["Job_Title"] for r in hr if not r["Manager_ID"]] == ["Chief Executive Officer"]
    by_id = {r["Employee_ID"]: r for r in hr}
    heads = [
        r
        for r in hr
        if by_id.get(r["Manager_ID"], {}).get("Job_Title") == "Chief Executive Officer"
    ]
    assert sorted(r["Department"] for r in heads) == sorted(gen.DEPARTMENTS)


def test_previous_export_has_movers_and_later_leavers(data: dict[str, Any]) -> None:
    now = {r["Employee_ID"]: r for r in data["hr"]}
    before = {r["Employee_ID"]: r for r in data["hr_previous"]}
    assert set(before) < set(now)
    movers = [i for i in before if before[i]["Department"] != now[i]["Department"]]
    assert len(movers) >= 3
    later_leavers = [
        i
        for i in before
        if now[i]["Worker_Status"] == "Terminated" and before[i]["Worker_Status"] == "Active"
    ]
    assert len(later_leavers) >= 4


def test_users_and_groups_are_scim_resources_with_known_members(data: dict[str, Any]) -> None:
    for app, content in data["apps"].items():
        names = [u["userName"] for u in content["users"]]
        assert len({n.lower() for n in names}) == len(names), f"{app}: userNames clash"
        for user in content["users"]:
            assert "id" not in user and "meta" not in user
            assert user["schemas"][0] == gen.CORE_USER
            assert isinstance(user["active"], bool)
            assert user["emails"][0]["type"] == "work" and user["emails"][0]["primary"] is True
            assert (gen.ENTERPRISE_USER in user) == (gen.ENTERPRISE_USER in user["schemas"])
        for group in content["groups"]:
            assert "id" not in group and group["schemas"] == [gen.CORE_GROUP]
            for member in group["members"]:
                assert member["value"] in names, f"{app}/{group['displayName']}: {member}"
    sizes = {app: len(c["users"]) for app, c in data["apps"].items()}
    assert 440 <= sizes["chat"] <= 520 and all(60 <= sizes[a] <= 150 for a in gen.APPS[1:])
    assert all("externalId" not in u for u in data["apps"]["crm"]["users"])
    assert all(
        u["emails"][0]["value"].endswith("@example-health.org")
        for u in data["apps"]["ehr"]["users"]
    )


def test_signins_cover_four_apps_and_name_existing_logins(data: dict[str, Any]) -> None:
    rows = data["signins"]
    assert {r["application"] for r in rows} == set(gen.SIGNIN_APPS)
    for row in rows:
        names = {u["userName"] for u in data["apps"][row["application"]]["users"]}
        assert row["login"] in names
        assert datetime.strptime(row["last_sign_in"], "%Y-%m-%dT%H:%M:%SZ")


def test_policy_file_is_a_valid_policy_section(data: dict[str, Any]) -> None:
    from scimaudit.config import PolicyConfig

    policy = PolicyConfig.model_validate(data["policy"])
    groups = {app: {g["displayName"] for g in c["groups"]} for app, c in data["apps"].items()}
    for rule in policy.role_policy:
        assert set(rule.groups) <= groups[rule.app]
    for sod in policy.sod:
        if sod.app:
            assert set(sod.groups or []) <= groups[sod.app]
        else:
            assert sod.left and sod.right
            for side in (sod.left, sod.right):
                assert side["group"] in groups[side["app"]]


def test_manifest_entries_name_existing_users_and_people(data: dict[str, Any]) -> None:
    ids = {r["Employee_ID"] for r in data["hr"]}
    manifest = data["manifest"]
    for entry in manifest["planted"] + manifest["clean"]:
        assert set(entry) == {
            "kind",
            "subkind",
            "app",
            "user_name",
            "employee_id",
            "groups",
            "note",
        }
        users = {u["userName"] for u in data["apps"][entry["app"]]["users"]}
        assert entry["user_name"] in users, entry
        assert entry["employee_id"] is None or entry["employee_id"] in ids, entry
        assert entry["note"]


def test_each_finding_kind_is_planted_at_least_twice(data: dict[str, Any]) -> None:
    kinds = defaultdict(set)
    for entry in data["manifest"]["planted"]:
        kinds[entry["kind"]].add((entry["app"], entry["user_name"]))
    assert set(kinds) == {
        "orphaned_account",
        "terminated_active",
        "contractor_expired",
        "stale_access",
        "role_drift",
        "sod_conflict",
        "privileged_account",
        "duplicate_account",
        "service_owner_left",
    }
    for kind, cases in kinds.items():
        assert len(cases) >= 2, kind
        if kind not in ("service_owner_left",):
            assert len({app for app, _ in cases}) >= 2, f"{kind} sits in one app only"
    subkinds = {(e["kind"], e["subkind"]) for e in data["manifest"]["planted"]}
    for pair in [
        ("role_drift", "policy"),
        ("role_drift", "peer"),
        ("role_drift", "mover"),
        ("sod_conflict", "within_app"),
        ("sod_conflict", "cross_app"),
        ("stale_access", "stale"),
        ("stale_access", "never_used"),
        ("terminated_active", "within_sla"),
    ]:
        assert pair in subkinds


# -- the oracle ----------------------------------------------------------------------------------


def _norm_email(value: str) -> str:
    local, _, domain = value.strip().lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{ALIASES.get(domain, domain)}"


def reference_findings(d: dict[str, Any]) -> dict[tuple[str, str, str], set[str | None]]:
    """(kind, app, userName) → reasons/subkinds, by the rules README.md documents."""
    as_of = date.fromisoformat(d["manifest"]["as_of"])
    hr = {r["Employee_ID"]: r for r in d["hr"]}
    prev = {r["Employee_ID"]: r for r in d["hr_previous"]}
    by_email = {_norm_email(r["Work_Email"]): i for i, r in hr.items()}
    by_name: dict[tuple[str, str], list[str]] = defaultdict(list)
    for i, r in hr.items():
        by_name[r["First_Name"].lower(), r["Last_Name"].lower()].append(i)
    links = {
        (o["app"], o["account"]): o["employee_id"] for o in d["overrides"] if o["action"] == "link"
    }
    services = {
        (o["app"], o["account"].lower()): o for o in d["overrides"] if o["action"] == "service"
    }
    signins = {(r["application"], r["login"]): r["last_sign_in"] for r in d["signins"]}
    policy: dict[tuple[str, str], set[str]] = {
        (r["department"], r["app"]): set(r["groups"]) for r in d["policy"]["role_policy"]
    }
    governed = {app for _, app in policy}
    sod_within = [r for r in d["policy"]["sod"] if "app" in r]
    found: dict[tuple[str, str, str], set[str | None]] = defaultdict(set)

    def link(app: str, user: dict[str, Any]) -> str | None:
        if (app, user["userName"]) in links:
            return str(links[app, user["userName"]])
        if user.get("externalId") in hr:
            return str(user["externalId"])
        number = user.get(gen.ENTERPRISE_USER, {}).get("employeeNumber")
        if number in hr:
            return str(number)
        for value in [e["value"] for e in user.get("emails", [])] + [user["userName"]]:
            if "@" in value and _norm_email(value) in by_email:
                return by_email[_norm_email(value)]
        name = user.get("name", {})
        same = by_name.get(
            (name.get("givenName", "").lower(), name.get("familyName", "").lower()), []
        )
        return same[0] if len(same) == 1 else None

    accounts = []  # (app, userName, person id | None, groups)
    for app, content in d["apps"].items():
        members = defaultdict(set)
        for group in content["groups"]:
            for m in group["members"]:
                members[m["value"]].add(group["displayName"])
        for user in content["users"]:
            if user["active"]:
                accounts.append((app, user["userName"], link(app, user), members[user["userName"]]))

    per_person_app: dict[tuple[str, str], list[str]] = defaultdict(list)
    holders: dict[tuple[str, str], set[str]] = defaultdict(set)  # (app, group) → person ids
    for app, user, pid, groups in accounts:
        service = services.get((app, user.lower()))
        if service is not None:
            if hr[service["owner"]]["Worker_Status"] == "Terminated":
                found["service_owner_left", app, user].add(None)
        elif pid is None:
            found["orphaned_account", app, user].add(None)
        if groups & set(gen.PRIVILEGED_GROUPS[app]):
            found["privileged_account", app, user].add(None)
        if app in gen.SIGNIN_APPS:
            seen = signins.get((app, user))
            if seen is not None:
                moment = datetime.strptime(seen, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
                if moment < datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC) - timedelta(
                    90
                ):
                    found["stale_access", app, user].add("stale")
            elif pid is not None and date.fromisoformat(hr[pid]["Hire_Date"]) < as_of - timedelta(
                90
            ):
                found["stale_access", app, user].add("never_used")
        for rule in sod_within:
            if app == rule["app"] and set(rule["groups"]) <= groups:
                found["sod_conflict", app, user].add("within_app")
        if pid is None:
            continue
        person = hr[pid]
        per_person_app[pid, app].append(user)
        for g in groups:
            holders[app, g].add(pid)
        if person["Worker_Status"] == "Terminated" and person["Termination_Date"]:
            hours = (as_of - date.fromisoformat(person["Termination_Date"])).days * 24
            found["terminated_active", app, user].add(
                "sla_breached" if hours > 24 else "within_sla"
            )
        elif (
            person["Worker_Type"] == "Contingent Worker"
            and date.fromisoformat(person["Contract_End_Date"]) < as_of
        ):
            found["contractor_expired", app, user].add(None)
        if app in governed:
            allowed = policy.get((person["Department"], app), set())
            before = prev.get(pid)
            moved = before is not None and before["Department"] != person["Department"]
            for g in groups - allowed:
                found["role_drift", app, user].add("policy")
                if moved and g in policy.get((before["Department"], app), set()):
                    found["role_drift", app, user].add("mover")

    for (_pid, app), users in per_person_app.items():
        if len(users) > 1:
            for user in users:
                found["duplicate_account", app, user].add(None)

    peers: dict[tuple[str, str], set[str]] = defaultdict(set)
    for pid, r in hr.items():
        if r["Worker_Status"] != "Terminated":
            peers[r["Department"], r["Job_Title"]].add(pid)
    for app, user, pid, groups in accounts:
        if pid is None or hr[pid]["Worker_Status"] == "Terminated":
            continue
        group_peers = peers[hr[pid]["Department"], hr[pid]["Job_Title"]]
        for g in groups:
            share = len(holders[app, g] & group_peers) / len(group_peers)
            if len(group_peers) >= 5 and share < 0.1:
                found["role_drift", app, user].add("peer")

    for rule in (r for r in d["policy"]["sod"] if "left" in r):
        left, right = rule["left"], rule["right"]
        for pid in holders[left["app"], left["group"]] & holders[right["app"], right["group"]]:
            for side in (left, right):
                for app, user, owner, groups in accounts:
                    if owner == pid and app == side["app"] and side["group"] in groups:
                        found["sod_conflict", app, user].add("cross_app")
    return found


@pytest.mark.parametrize("as_of", [gen.DEFAULT_AS_OF, date(2027, 3, 15)])
def test_manifest_is_exactly_what_a_reference_analysis_finds(
    as_of: date, tmp_path: Path, data: dict[str, Any]
) -> None:
    if as_of != gen.DEFAULT_AS_OF:
        gen.generate(tmp_path, as_of=as_of)
        data = load(tmp_path)
    found = reference_findings(data)
    planted = {
        (e["kind"], e["app"], e["user_name"]): e["subkind"] for e in data["manifest"]["planted"]
    }
    assert len(planted) == len(data["manifest"]["planted"]), "one entry per (kind, app, userName)"
    missing = sorted(set(planted) - set(found))
    unexpected = sorted(set(found) - set(planted))
    assert not missing, f"planted but not found: {missing}"
    assert not unexpected, f"found but not planted: {unexpected}"
    for key, subkind in planted.items():
        assert subkind in found[key], (key, subkind, found[key])
    flagged = {(app, user) for _, app, user in found}
    wrongly = [e for e in data["manifest"]["clean"] if (e["app"], e["user_name"]) in flagged]
    assert not wrongly, f"clean look-alikes flagged: {wrongly}"
