"""Pagination state machines (pure), retry policy, Retry-After parsing and the request budget."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

import pytest

from scimaudit.collect.scim.vendors import attribute_json_path
from scimaudit.errors import ConfigError, ScimProtocolError
from scimaudit.scim.paginate import CursorPager, IndexPager, PageRequest, PageResult
from scimaudit.scim.ratelimit import RateLimiter
from scimaudit.scim.retry import RetryPolicy, parse_retry_after


def serve_index(
    pager: IndexPager, n: int, *, cap: int = 10**9, lie: int = 0, report_total: bool = True
) -> list[PageRequest]:
    """Run an index pager against a fake listing of ``n`` resources; return every request made."""
    sent: list[PageRequest] = []
    queue = [pager.first()]
    while queue:
        req = queue.pop(0)
        sent.append(req)
        assert req.start_index is not None
        count = min(req.count if req.count is not None else 20, cap)
        items = max(0, min(count, n - req.start_index + 1))
        fingerprint = hash((req.start_index, items)) if items else None
        total = n + lie if report_total else None
        queue += pager.on_page(PageResult(req, items, total, None, fingerprint))
    assert pager.done
    return sent


def test_index_plans_all_pages_after_the_first_then_probes_past_the_end() -> None:
    pager = IndexPager(page_size=100)
    sent = serve_index(pager, 450)
    starts = [r.start_index for r in sent]
    assert starts == [1, 101, 201, 301, 401, 501]
    assert sent[-1].probe
    assert pager.received == 450 and pager.total == 450 and pager.end_reason == "total_reached"


def test_index_follows_a_server_that_lowers_count() -> None:
    pager = IndexPager(page_size=1000)
    sent = serve_index(pager, 95, cap=20)
    assert pager.effective_size == 20
    assert [r.start_index for r in sent] == [1, 21, 41, 61, 81, 101]
    assert pager.received == 95


def test_index_total_too_low_walks_on_until_an_empty_page() -> None:
    pager = IndexPager(page_size=10)
    serve_index(pager, 55, lie=-20)
    assert pager.received == 55
    assert pager.more_than_total and pager.total == 35


def test_index_without_total_results_stops_at_an_empty_page() -> None:
    pager = IndexPager(page_size=10)
    sent = serve_index(pager, 23, report_total=False)
    assert pager.received == 23 and pager.total is None
    assert pager.end_reason == "empty_page"
    assert [r.start_index for r in sent] == [1, 11, 21, 24]


def test_index_short_page_in_the_middle_asks_for_the_gap() -> None:
    pager = IndexPager(page_size=10)
    first = pager.first()
    planned = pager.on_page(PageResult(first, 10, 30, None, 1))
    assert [r.start_index for r in planned] == [11, 21]
    gap = pager.on_page(PageResult(planned[0], 6, 30, None, 2))
    assert [(r.start_index, r.count) for r in gap] == [(17, 4)]


def test_index_same_page_for_two_start_indexes_is_a_protocol_error() -> None:
    pager = IndexPager(page_size=10)
    first = pager.first()
    second = pager.on_page(PageResult(first, 10, 30, None, 42))[0]
    with pytest.raises(ScimProtocolError, match="ignores startIndex"):
        pager.on_page(PageResult(second, 10, 30, None, 42))


def test_index_empty_listing() -> None:
    pager = IndexPager(page_size=10)
    sent = serve_index(pager, 0)
    assert len(sent) == 1 and pager.received == 0 and pager.end_reason == "empty_page"


def test_index_drop_count_restarts_without_count() -> None:
    pager = IndexPager(page_size=10)
    pager.first()
    again = pager.drop_count()
    assert again.params() == {"startIndex": "1"}


def test_cursor_ends_without_next_cursor_and_detects_loops() -> None:
    pager = CursorPager(page_size=2)
    first = pager.first()
    assert first.params() == {"cursor": "", "count": "2"}
    [nxt] = pager.on_page(PageResult(first, 2, 5, "c1", None))
    assert nxt.params() == {"cursor": "c1", "count": "2"}
    [nxt2] = pager.on_page(PageResult(nxt, 2, 5, "c2", None))
    assert pager.on_page(PageResult(nxt2, 1, 5, None, None)) == []
    assert pager.done and pager.received == 5

    looping = CursorPager(page_size=2)
    req = looping.first()
    [req] = looping.on_page(PageResult(req, 2, 5, "a", None))
    with pytest.raises(ScimProtocolError, match="paging loop"):
        looping.on_page(PageResult(req, 2, 5, "a", None))


def test_retry_after_seconds_and_http_date() -> None:
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7", now=now) == 7.0
    assert parse_retry_after("Wed, 01 Jan 2025 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Wed, 01 Jan 2025 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None) is None


def test_retry_policy_backoff_is_capped_jittered_and_honours_retry_after() -> None:
    policy = RetryPolicy(max_retries=5, base_seconds=1.0, cap_seconds=4.0, max_wait_seconds=60)
    rng = random.Random(1)
    delays = [policy.delay(n, None, rng) for n in range(1, 6)]
    assert all(d is not None and 0 <= d <= min(4.0, 2 ** (n - 1)) for n, d in enumerate(delays, 1))
    assert policy.delay(6, None, rng) is None  # retries exhausted
    assert policy.delay(1, 10.0, rng) == 10.0  # the server's wait wins
    assert policy.delay(1, 61.0, rng) is None  # over the ceiling: give up instead


def test_rate_limiter_spaces_requests() -> None:
    clock = [0.0]
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    limiter = RateLimiter(5.0, burst=1, clock=lambda: clock[0], sleep=fake_sleep)

    async def run() -> None:
        for _ in range(6):
            await limiter.acquire()

    asyncio.run(run())
    assert len(slept) == 5
    assert sum(slept) == pytest.approx(1.0)  # 6 requests at 5/s with a burst of 1: 1 second


def test_activity_attribute_paths() -> None:
    assert attribute_json_path("meta.lastLogin") == "$.meta.lastLogin"
    urn = "urn:ietf:params:scim:schemas:extension:acme:2.0:User:signIn.last"
    assert attribute_json_path(urn) == (
        '$."urn:ietf:params:scim:schemas:extension:acme:2.0:User".signIn.last'
    )
    with pytest.raises(ConfigError):
        attribute_json_path("a..b")
