"""Vendor resilience (issue 13, items 3-5) on fault transports: count answered with a 500, recounts
that ignore count=0, trickled bodies, listings that never end. Each ends in a correct complete
snapshot or a clear failure with the earlier complete snapshot untouched and still current.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from faults.harness import TOKEN_ENV, collect, completeness, current_id, query
from faults.mock_scim import LIST, State, json_response, make_users
from scimaudit.collect.scim.collector import collect_apps_async
from test_scim_coherence import baseline, untouched


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, "test-token")


# 3. count answered with HTTP 500 --------------------------------------------------------------


def test_count_answered_with_500_falls_back_to_the_default_page_and_remembers(
    tmp_path: Path,
) -> None:
    config, server, good = baseline(tmp_path)
    seen: list[str] = []

    def crash_on_count(request: httpx.Request, state: State) -> httpx.Response | None:
        if request.url.path.endswith(("/Users", "/Groups")):
            seen.append(f"{request.url.path.rsplit('/', 1)[1]} {request.url.params}")
            if "count" in request.url.params:
                return httpx.Response(500, content=b"<h1>Internal Server Error</h1>")
        return None

    server.faults.append(crash_on_count)
    [result] = collect(config, {"app": server})
    assert result.status == "complete", result.error
    assert result.counts["users"] == 35
    record = completeness(config, result.snapshot_id or 0)
    assert record["count_refused"] is True
    assert "paged without count" in record["resources"]["User"]["notes"][0]
    # one failed request with count, then never again (Groups and the recounts omit it)
    assert sum("count" in s for s in seen) == 1
    assert record["resources"]["User"]["retries"] == 0
    assert current_id(config, "app") == result.snapshot_id != good


# 4. a recount response that ignores count=0 ---------------------------------------------------


def test_recount_ignoring_count_zero_is_never_loaded_as_accounts(tmp_path: Path) -> None:
    config, server, good = baseline(tmp_path)

    def full_page_for_count_zero(request: httpx.Request, state: State) -> httpx.Response | None:
        if request.url.path.endswith("/Users") and request.url.params.get("count") == "0":
            body = {"schemas": [LIST], "totalResults": 35, "Resources": server.users}
            return json_response(200, body)
        return None

    server.faults.append(full_page_for_count_zero)
    [result] = collect(config, {"app": server})
    assert result.status == "complete", result.error
    assert result.counts["users"] == 35
    users = completeness(config, result.snapshot_id or 0)["resources"]["User"]
    assert (users["loaded"], users["unique"], users["recount"]) == (35, 35, 35)
    kinds = query(
        config,
        "SELECT resource_type, count(*) FROM raw_scim_page WHERE snapshot_id = ?"
        " AND resource_type LIKE '%Recount' GROUP BY 1 ORDER BY 1",
        [result.snapshot_id],
    )
    assert kinds == [("GroupRecount", 1), ("UserRecount", 1)]
    assert current_id(config, "app") == result.snapshot_id != good


# 5. deadlines and paging that never ends ------------------------------------------------------


class Trickle(httpx.AsyncByteStream):
    """A body sent a few bytes at a time, each within the read timeout."""

    def __init__(self, body: bytes, every: float) -> None:
        self.body = body
        self.every = every

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for i in range(0, len(self.body), 20):
            await asyncio.sleep(self.every)
            yield self.body[i : i + 20]


def test_a_trickled_body_hits_the_request_deadline(tmp_path: Path) -> None:
    config, server, good = baseline(
        tmp_path, request_deadline_seconds=0.3, max_retries=1, timeout_seconds=5
    )
    original = server.handle

    class TrickleTransport(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            response = original(request)
            if request.url.path.endswith("/Users"):
                return httpx.Response(
                    200, headers=response.headers, stream=Trickle(response.content, 0.05)
                )
            return response

    async def run() -> Any:

        return await collect_apps_async(config, transport_factory=lambda app: TrickleTransport())

    [result] = asyncio.run(run())
    assert result.status == "failed"
    assert "no complete response within the 0s request deadline" in (result.error or "")
    assert "gave up after 2 attempts" in (result.error or "")
    assert result.duration_seconds < 5
    untouched(config, good)


def test_a_listing_without_total_that_never_ends_hits_the_app_deadline(tmp_path: Path) -> None:
    config, server, good = baseline(tmp_path, app_deadline_seconds=1.0)
    fresh = iter(range(10**9))

    def endless(request: httpx.Request, state: State) -> httpx.Response | None:
        if request.url.path.endswith("/Users"):
            page = make_users(10, prefix=f"n{next(fresh)}-")
            return json_response(200, {"schemas": [LIST], "Resources": page})
        return None

    server.faults.append(endless)
    [result] = collect(config, {"app": server})
    assert result.status == "failed"
    assert "app_deadline_seconds = 1" in (result.error or "")
    assert result.duration_seconds < 10
    untouched(config, good)


def test_paging_far_beyond_total_results_stops_with_a_clear_message(tmp_path: Path) -> None:
    config, server, good = baseline(tmp_path)
    fresh = iter(range(10**9))

    def inventive(request: httpx.Request, state: State) -> httpx.Response | None:
        if request.url.path.endswith("/Users"):
            page = make_users(10, prefix=f"n{next(fresh)}-")
            return json_response(200, {"schemas": [LIST], "totalResults": 35, "Resources": page})
        return None

    server.faults.append(inventive)
    [result] = collect(config, {"app": server})
    assert result.status == "failed"
    assert "no progress toward its end" in (result.error or "")
    assert server.state.list_requests["Users"] < 10
    untouched(config, good)
