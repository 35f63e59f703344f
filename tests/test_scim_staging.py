"""Staging SQL: what lands in account / scim_group / membership from raw pages, with quirks."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import orjson
import pytest

from faults.harness import TOKEN_ENV, app_table, collect, completeness, make_config, query
from faults.mock_scim import ENTERPRISE, GROUP, USER, MockScim
from scimaudit.collect.scim.archive_check import (
    page_body,
    resource_as_received,
    verify_snapshot_pages,
)
from scimaudit.store.connect import connect

VENDOR_EXT = "urn:example:params:scim:schemas:extension:acme:2.0:User"


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, "test-token")


def user(i: int, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "schemas": [USER, ENTERPRISE, VENDOR_EXT],
        "id": f"id-{i}",
        "userName": f"user{i}",
        "externalId": f"ext-{i}",
        "displayName": f"User {i}",
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "active": True,
        "emails": [
            {"value": f"home{i}@example.net", "type": "home"},
            {"value": f"work{i}@example.com", "type": "work", "primary": True},
        ],
        ENTERPRISE: {
            "employeeNumber": f"E{i}",
            "department": "Finance",
            "manager": {"value": "id-0"},
        },
        VENDOR_EXT: {"lastLogin": "2025-03-04T05:06:07Z", "costCenter": "CC-9"},
        "meta": {
            "created": "2024-01-02T03:04:05Z",
            "lastModified": "2024-06-07T08:09:10Z",
            "version": f'W/"v{i}"',
        },
    }
    body.update(extra)
    return body


def test_user_fields_extension_emails_and_unknown_extension(tmp_path: Path) -> None:
    server = MockScim([user(0), user(1)])
    config = make_config(
        tmp_path, app_table("hr-app", activity_attribute=f"{VENDOR_EXT}:lastLogin")
    )
    [result] = collect(config, {"hr-app": server})
    assert result.status == "complete", result.error
    row = query(
        config,
        "SELECT user_name, external_id, employee_number, display_name, given_name, family_name,"
        " emails, primary_email, active, department, manager_ref, created::VARCHAR,"
        " last_modified::VARCHAR, last_activity::VARCHAR, etag, raw_seq, raw_index"
        " FROM account WHERE account_id = 'id-1'",
    )[0]
    assert row[:11] == (
        "user1", "ext-1", "E1", "User 1", "Ada", "Lovelace",
        ["home1@example.net", "work1@example.com"], "work1@example.com", True, "Finance", "id-0",
    )  # fmt: skip
    assert row[11:14] == (
        "2024-01-02 03:04:05+00",
        "2024-06-07 08:09:10+00",
        "2025-03-04 05:06:07+00",
    )
    assert row[14] == 'W/"v1"'
    # the resource as received, unknown extension included, is one lookup away in the archive
    with connect(config.store.path, read_only=True) as con:
        page = orjson.loads(page_body(con, config.store.path, result.snapshot_id, row[15]))
    assert page["Resources"][row[16]]["id"] == "id-1"
    assert page["Resources"][row[16]][VENDOR_EXT]["costCenter"] == "CC-9"
    with connect(config.store.path, read_only=True) as con:
        got = resource_as_received(con, config.store.path, result.snapshot_id or 0, "id-1")
        assert resource_as_received(con, config.store.path, result.snapshot_id or 0, "x") is None
    assert got is not None and got.resource == user(1) and got.seq == row[15]
    assert len(got.page_sha256) == 64


def test_raw_pages_keep_exact_bytes_and_hashes(tmp_path: Path) -> None:
    server = MockScim([user(0), user(1)])
    config = make_config(tmp_path, app_table("a"))
    [result] = collect(config, {"a": server})
    rows = query(
        config,
        "SELECT resource_type, body_sha256, seq, archive_file, body FROM raw_scim_page"
        " WHERE snapshot_id = ? ORDER BY seq",
        [result.snapshot_id],
    )
    assert {r[0] for r in rows} >= {"ServiceProviderConfig", "User", "Group"}
    assert all(r[3] and r[4] is None for r in rows)  # bodies live in the archive, not the store
    with connect(config.store.path, read_only=True) as con:
        bodies = {r[2]: page_body(con, config.store.path, result.snapshot_id, r[2]) for r in rows}
        check = verify_snapshot_pages(con, config.store.path, result.snapshot_id)
    for _, digest, seq, _, _ in rows:
        assert hashlib.sha256(bodies[seq]).hexdigest() == digest
    listed = hashlib.sha256("".join(r[1] + "\n" for r in rows).encode()).hexdigest()
    assert listed == result.sha256
    first_user_page = next(bodies[r[2]] for r in rows if r[0] == "User")
    assert first_user_page == orjson.dumps(
        server.page(server.users, {"startIndex": "1", "count": "10"})
    )
    assert check.ok and check.checked == len(rows), check.problems
    assert check.recomputed_sha256 == result.sha256


def test_active_as_string_is_a_vendor_option(tmp_path: Path) -> None:
    users = [user(0, active="True"), user(1, active="false")]
    strict = make_config(tmp_path / "a", app_table("a"))
    [failed] = collect(strict, {"a": MockScim(users)})
    assert failed.status == "failed"
    assert "set active_as_string = true" in (failed.error or "")

    lenient = make_config(tmp_path / "b", app_table("b", active_as_string=True))
    [ok] = collect(lenient, {"b": MockScim(users)})
    assert ok.status == "complete", ok.error
    assert query(lenient, "SELECT account_id, active FROM account ORDER BY 1") == [
        ("id-0", True),
        ("id-1", False),
    ]


def test_one_malformed_resource_is_reported_not_the_whole_page(tmp_path: Path) -> None:
    users = [user(i) for i in range(5)]
    del users[3]["userName"]
    config = make_config(tmp_path, app_table("a"))
    [result] = collect(config, {"a": MockScim(users)})
    assert result.status == "failed"
    record = completeness(config, result.snapshot_id or 0)
    assert record["resources"]["User"]["malformed"] == 1
    [bad] = record["malformed_resources"]
    assert (bad["index"], bad["id"], bad["problem"]) == (
        3,
        "id-3",
        "userName is missing or not a string",
    )
    assert result.counts["users"] == 5  # the others (and the bad one, keyed by id) were loaded


@pytest.mark.parametrize("mode", ["inline", "per_group"])
def test_malformed_groups_are_reported_one_by_one(tmp_path: Path, mode: str) -> None:
    """Each malformed group is named with its problem; the good groups of the same page load."""
    users = [user(i) for i in range(3)]
    groups = [
        {"schemas": [GROUP], "id": "g-ok", "displayName": "ok", "members": [{"value": "id-0"}]},
        {"schemas": [GROUP], "id": "g-obj", "displayName": "obj", "members": {"value": "id-1"}},
        {"schemas": [GROUP], "id": "g-novalue", "displayName": "nv",
         "members": [{"value": "id-1"}, {"type": "User"}, {"value": {"id": "id-2"}}]},
        {"schemas": [GROUP], "id": "g-noname", "members": [{"value": "id-2"}]},
    ]  # fmt: skip
    if mode == "inline":  # (the fake server looks groups up by string id)
        groups.append(
            {"schemas": [GROUP], "id": 7, "displayName": "numeric id", "members": [{"value": 12}]}
        )
    config = make_config(tmp_path, app_table("a", group_members=mode))
    [result] = collect(config, {"a": MockScim(users, groups)})
    assert result.status == "failed"
    record = completeness(config, result.snapshot_id or 0)
    problems = {b["id"]: b["problem"] for b in record["malformed_resources"]}
    assert problems == {
        "g-obj": "members is not a list",
        "g-novalue": "a member has no value (member id)",
        "g-noname": "displayName is missing or not a string",
    }
    assert record["resources"]["Group"]["malformed"] == 3
    loaded = query(
        config,
        "SELECT g.group_id, list_sort(list(m.account_id)) FROM scim_group g"
        " LEFT JOIN membership m USING (snapshot_id, group_id) GROUP BY 1 ORDER BY 1",
    )
    # the ok and the numeric-id groups load whole (a JSON number id reads as its digits); a group
    # with a bad member loads its good members; a group without a name cannot be loaded
    numeric = [("7", ["12"])] if mode == "inline" else []
    assert loaded == [*numeric, ("g-novalue", ["id-1"]), ("g-obj", [None]), ("g-ok", ["id-0"])]


def test_groups_inline_and_per_group_give_the_same_memberships(tmp_path: Path) -> None:
    users = [user(i) for i in range(6)]
    admins = [
        {"value": "id-1", "type": "User"},
        {"value": "id-2"},
        {"value": "g-ops", "type": "Group"},
    ]
    groups = [
        {"schemas": [GROUP], "id": "g-admins", "displayName": "admins", "members": admins},
        {"schemas": [GROUP], "id": "g-ops", "displayName": "ops",
         "members": [{"value": "id-3", "$ref": "https://x/scim/v2/Users/id-3"}]},
        {"schemas": [GROUP], "id": "g-empty", "displayName": "empty"},
    ]  # fmt: skip
    found = []
    for mode in ("inline", "per_group"):
        config = make_config(tmp_path / mode, app_table("a", group_members=mode))
        [result] = collect(config, {"a": MockScim(users, groups)})
        assert result.status == "complete", result.error
        found.append(
            (
                query(
                    config, "SELECT group_id, display_name, member_count FROM scim_group ORDER BY 1"
                ),
                query(
                    config, "SELECT group_id, account_id, member_type FROM membership ORDER BY 1, 2"
                ),
            )
        )
    assert found[0] == found[1]
    assert found[0][0] == [("g-admins", "admins", 3), ("g-empty", "empty", 0), ("g-ops", "ops", 1)]
    assert found[0][1] == [
        ("g-admins", "g-ops", "Group"),
        ("g-admins", "id-1", "User"),
        ("g-admins", "id-2", None),
        ("g-ops", "id-3", "User"),
    ]


def test_duplicates_across_pages_are_dropped_and_counted(tmp_path: Path) -> None:
    users = [user(i) for i in range(12)]
    server = MockScim(users)
    config = make_config(tmp_path, app_table("a", page_size=5))
    real_page = server.page

    def shifted(items: list[dict[str, Any]], params: dict[str, str]) -> dict[str, Any]:
        body = real_page(items, params)
        if params.get("startIndex") == "6" and items is server.users:
            body["Resources"] = [users[4], *body["Resources"][:4]]  # one repeat, one dropped
            body["Resources"].append(users[9])
        return body

    server.page = shifted  # type: ignore[method-assign]
    [result] = collect(config, {"a": server})
    record = result.completeness["resources"]["User"]
    assert record["duplicates_dropped"] >= 1
    assert result.counts["users"] == 12
    assert query(config, "SELECT count(*) FROM account")[0][0] == 12


def test_progress_lines_without_a_terminal(tmp_path: Path) -> None:
    import io

    from scimaudit.collect.scim.progress import LogProgress, make_progress

    stream = io.StringIO()
    config = make_config(tmp_path, app_table("a"))
    [result] = collect(
        config, {"a": MockScim([user(i) for i in range(3)])}, progress=LogProgress(stream)
    )
    assert result.status == "complete"
    lines = stream.getvalue().splitlines()
    assert lines[0] == "collect a: User started, server reports 3"
    assert lines[-1].startswith("collect a: complete: snapshot 1: 3 users")
    assert isinstance(make_progress(True, io.StringIO()), LogProgress)  # not a TTY: log lines
