"""Faults real servers will not produce on demand, each with its documented outcome.

Every test first takes a clean complete snapshot, then collects again with a fault injected, and
checks both the outcome and that the earlier complete snapshot is untouched and still current.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from faults.harness import (
    TOKEN_ENV,
    account_ids,
    app_table,
    collect,
    completeness,
    current_id,
    make_config,
)
from faults.mock_scim import (
    ERROR,
    MockScim,
    State,
    json_response,
    make_groups,
    make_users,
    on_list,
)
from scimaudit.config import Config


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, "test-token")


def baseline(tmp_path: Path, **options: Any) -> tuple[Config, MockScim, int]:
    users = make_users(35)
    server = MockScim(users, make_groups(users, 4))
    config = make_config(tmp_path, app_table("app", **options))
    [result] = collect(config, {"app": server})
    assert result.status == "complete", result.error
    assert result.snapshot_id is not None
    server.state = State()  # faults count requests from the second run on
    return config, server, result.snapshot_id


def assert_previous_untouched(config: Config, good: int, expected_users: int = 35) -> None:
    assert current_id(config, "app") == good
    assert len(account_ids(config, good)) == expected_users


def always(n: int) -> bool:
    return True


def nth(*which: int) -> Callable[[int], bool]:
    return lambda n: n in which


def test_429_storm_with_retry_after_is_waited_out(tmp_path: Path) -> None:
    config, server, good = baseline(tmp_path)
    server.faults.append(
        on_list("Users", nth(2, 3, 4), lambda: json_response(429, {}, {"Retry-After": "0"}))
    )
    [result] = collect(config, {"app": server})
    assert result.status == "complete", result.error
    users = result.completeness["resources"]["User"]
    assert users["retries"] == 3
    assert all("HTTP 429" in r for r in users["retry_reasons"])
    assert current_id(config, "app") == result.snapshot_id != good


def test_retry_after_beyond_ceiling_fails_without_waiting(tmp_path: Path) -> None:
    config, server, good = baseline(tmp_path)
    server.faults.append(
        on_list("Users", always, lambda: json_response(429, {}, {"Retry-After": "86400"}))
    )
    [result] = collect(config, {"app": server})
    assert result.status == "failed"
    assert "Retry-After" in (result.error or "")
    assert result.exit_code == 5
    assert_previous_untouched(config, good)


def test_500_mid_pull_is_retried_then_succeeds(tmp_path: Path) -> None:
    config, server, _ = baseline(tmp_path)
    server.faults.append(on_list("Users", nth(3, 4), lambda: json_response(500, {"status": "500"})))
    [result] = collect(config, {"app": server})
    assert result.status == "complete"
    assert result.completeness["resources"]["User"]["retries"] == 2


def test_persistent_500_mid_pull_fails_and_keeps_previous(tmp_path: Path) -> None:
    config, server, good = baseline(tmp_path)
    server.faults.append(
        on_list("Users", lambda n: n >= 3, lambda: json_response(500, {"detail": "db down"}))
    )
    [result] = collect(config, {"app": server})
    assert result.status == "failed"
    assert "gave up after 4 attempts" in (result.error or "")
    assert "db down" in (result.error or "")
    record = completeness(config, result.snapshot_id or 0)
    assert record["complete"] is False
    assert_previous_untouched(config, good)


def _timeout() -> httpx.Response:
    raise httpx.ReadTimeout("timed out")


def test_a_page_that_times_out_once_is_retried(tmp_path: Path) -> None:
    config, server, _ = baseline(tmp_path)
    server.faults.append(on_list("Users", nth(2), _timeout))
    [result] = collect(config, {"app": server})
    assert result.status == "complete"
    assert "timeout" in result.completeness["resources"]["User"]["retry_reasons"][0]


def test_a_page_that_always_times_out_fails(tmp_path: Path) -> None:
    config, server, good = baseline(tmp_path)
    server.faults.append(on_list("Users", lambda n: n >= 2, _timeout))
    [result] = collect(config, {"app": server})
    assert result.status == "failed"
    assert "timeout" in (result.error or "")
    assert_previous_untouched(config, good)


def _truncated(server: MockScim) -> Callable[[], httpx.Response]:
    def respond() -> httpx.Response:
        body = orjson_page(server)
        return httpx.Response(200, content=body[: len(body) // 2])

    return respond


def orjson_page(server: MockScim) -> bytes:
    import orjson

    return orjson.dumps(server.page(server.users, {"startIndex": "1", "count": "10"}))


def test_truncated_json_once_is_retried(tmp_path: Path) -> None:
    config, server, _ = baseline(tmp_path)
    server.faults.append(on_list("Users", nth(2), _truncated(server)))
    [result] = collect(config, {"app": server})
    assert result.status == "complete"
    assert "not JSON" in result.completeness["resources"]["User"]["retry_reasons"][0]


def test_truncated_json_always_fails_as_protocol_error(tmp_path: Path) -> None:
    config, server, good = baseline(tmp_path)
    server.faults.append(on_list("Users", lambda n: n >= 2, _truncated(server)))
    [result] = collect(config, {"app": server})
    assert result.status == "failed"
    assert "body is not JSON" in (result.error or "")
    assert_previous_untouched(config, good)


def _lying_total(
    server: MockScim, delta: int
) -> Callable[[httpx.Request, Any], httpx.Response | None]:
    def fault(request: httpx.Request, state: Any) -> httpx.Response | None:
        if not request.url.path.endswith("/Users"):
            return None
        body = server.page(server.users, dict(request.url.params))
        body["totalResults"] += delta
        return json_response(200, body)

    return fault


def test_total_results_too_high_fails(tmp_path: Path) -> None:
    config, server, good = baseline(tmp_path)
    server.faults.append(_lying_total(server, +5))
    [result] = collect(config, {"app": server})
    assert result.status == "failed"
    assert "received 35 unique resources, server reported totalResults 40" in (result.error or "")
    assert result.attempts and len(result.attempts) == 1  # a consistent lie is not re-pulled
    assert_previous_untouched(config, good)


def test_total_results_too_low_is_caught_by_the_probe_page(tmp_path: Path) -> None:
    config, server, good = baseline(tmp_path)
    server.faults.append(_lying_total(server, -8))
    [result] = collect(config, {"app": server})
    assert result.status == "failed"
    record = result.completeness["resources"]["User"]
    assert record["received"] == 35 and record["expected"] == 27
    assert_previous_untouched(config, good)


def test_resource_deleted_during_pull_triggers_a_second_pull(tmp_path: Path) -> None:
    config, server, good = baseline(tmp_path)
    deleted: list[str] = []

    def delete_once(request: httpx.Request, state: Any) -> httpx.Response | None:
        if (
            request.url.path.endswith("/Users")
            and not deleted
            and state.list_requests["Users"] >= 2
        ):
            deleted.append(server.users.pop(0)["id"])
            for group in server.groups:  # as a real server does: the user leaves its groups
                group["members"] = [m for m in group["members"] if m["value"] != deleted[0]]
        return None

    server.faults.append(delete_once)
    [result] = collect(config, {"app": server})
    assert result.status == "complete", result.error
    assert len(result.attempts) == 2
    first = completeness(config, result.attempts[0])
    assert first["complete"] is False
    assert any("count changed during the pull" in s for s in first["shortfalls"])
    assert result.counts["users"] == 34
    assert deleted[0] not in account_ids(config, result.snapshot_id or 0)
    assert current_id(config, "app") == result.snapshot_id != good


def test_resources_added_during_every_pull_fail_after_limited_attempts(tmp_path: Path) -> None:
    config, server, good = baseline(tmp_path)
    extra = iter(make_users(100, prefix="new"))

    def add_each_time(request: httpx.Request, state: Any) -> httpx.Response | None:
        if request.url.path.endswith("/Users") and request.url.params.get("startIndex") == "11":
            server.users.append(next(extra))
        return None

    server.faults.append(add_each_time)
    [result] = collect(config, {"app": server})
    assert result.status == "failed"
    assert len(result.attempts) == 3
    assert "count changed" in (result.error or "")
    assert_previous_untouched(config, good)


def test_server_ignoring_count_returns_everything(tmp_path: Path) -> None:
    config, server, _ = baseline(tmp_path)
    server.faults.append(
        lambda r, s: (
            json_response(
                200,
                server.page(
                    server.users, {**dict(r.url.params), "count": "1000", "startIndex": "1"}
                ),
            )
            if r.url.path.endswith("/Users") and r.url.params.get("count") != "0"
            else None
        )
    )
    [result] = collect(config, {"app": server})
    assert result.status == "complete", result.error
    assert result.completeness["resources"]["User"]["effective_page_size"] == 35


def test_server_lowering_count_is_followed(tmp_path: Path) -> None:
    config, server, _ = baseline(tmp_path, page_size=500)
    server.max_results = 7
    server.discovery = False
    [result] = collect(config, {"app": server})
    assert result.status == "complete"
    users = result.completeness["resources"]["User"]
    assert users["effective_page_size"] == 7 and users["pages"] == 6  # 5 pages + probe


def test_server_refusing_count_is_paged_without_it(tmp_path: Path) -> None:
    config, server, _ = baseline(tmp_path)
    server.faults.append(
        lambda r, s: (
            json_response(400, {"schemas": [ERROR], "scimType": "invalidValue"})
            if r.url.path.endswith("/Users") and r.url.params.get("count") not in (None, "0")
            else None
        )
    )
    [result] = collect(config, {"app": server})
    assert result.status == "complete", result.error
    assert "paged without count" in result.completeness["resources"]["User"]["notes"][0]


def test_server_ignoring_start_index_is_a_protocol_error_not_a_loop(tmp_path: Path) -> None:
    config, server, good = baseline(tmp_path)
    server.faults.append(
        lambda r, s: (
            json_response(200, server.page(server.users, {**dict(r.url.params), "startIndex": "1"}))
            if r.url.path.endswith("/Users")
            else None
        )
    )
    [result] = collect(config, {"app": server})
    assert result.status == "failed"
    assert "ignores startIndex" in (result.error or "")
    assert_previous_untouched(config, good)


def test_cursor_loop_is_an_error(tmp_path: Path) -> None:
    config, server, good = baseline(tmp_path, pagination="cursor")
    server.faults.append(
        lambda r, s: (
            json_response(
                200, {"totalResults": 35, "nextCursor": "same", "Resources": server.users[:10]}
            )
            if r.url.path.endswith("/Users") and r.url.params.get("count") != "0"
            else None
        )
    )
    [result] = collect(config, {"app": server})
    assert result.status == "failed"
    assert "paging loop" in (result.error or "")
    assert current_id(config, "app") == good


def test_non_scim_error_body_is_described(tmp_path: Path) -> None:
    config, server, good = baseline(tmp_path)
    html = httpx.Response(
        502, content=b"<html><body>Bad Gateway</body></html>", headers={"Content-Type": "text/html"}
    )
    server.faults.append(on_list("Users", always, lambda: html))
    [result] = collect(config, {"app": server})
    assert result.status == "failed"
    assert "non-SCIM error body (text/html" in (result.error or "")
    assert_previous_untouched(config, good)


def test_html_login_page_with_200_is_a_protocol_error(tmp_path: Path) -> None:
    config, server, good = baseline(tmp_path)
    page = httpx.Response(
        200, content=b"<html>Sign in</html>", headers={"Content-Type": "text/html"}
    )
    server.faults.append(on_list("Users", always, lambda: page))
    [result] = collect(config, {"app": server})
    assert result.status == "failed"
    assert "body is not JSON (text/html" in (result.error or "")
    assert_previous_untouched(config, good)


@pytest.mark.parametrize(
    ("status", "words"), [(401, "credentials rejected"), (403, "under-scoped")]
)
def test_401_and_403_fail_at_once_with_a_clear_message(
    tmp_path: Path, status: int, words: str
) -> None:
    config, server, good = baseline(tmp_path)
    server.faults.append(lambda r, s: json_response(status, {"schemas": [ERROR], "detail": "nope"}))
    before = server.state.requests
    [result] = collect(config, {"app": server})
    assert result.status == "failed"
    assert words in (result.error or "") and "nope" in (result.error or "")
    assert server.state.requests - before == 1  # no retries, no more discovery
    assert_previous_untouched(config, good)


def test_one_failed_app_does_not_stop_the_others(tmp_path: Path) -> None:
    users = make_users(12)
    good_server, bad_server = MockScim(users), MockScim(users, token="other")
    config = make_config(tmp_path, app_table("good"), app_table("bad"))
    results = {r.app: r for r in collect(config, {"good": good_server, "bad": bad_server})}
    assert results["good"].status == "complete"
    assert results["bad"].status == "failed" and "401" in (results["bad"].error or "")
    assert current_id(config, "bad") is None
