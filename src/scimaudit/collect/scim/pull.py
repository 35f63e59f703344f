"""Pull one resource type of one app: drive a pager, fetch pages concurrently, land every response.

Python reads from each page only what paging needs (``totalResults``, ``nextCursor``, the number of
``Resources`` and their ids, for counting and loop detection); the bytes go to the spool untouched
and DuckDB parses them later. Index pages are fetched up to ``concurrency`` at a time once the
first page has told us the total; cursor pages one after another.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from scimaudit.collect.scim.completeness import IdLedger, ResourceRecord
from scimaudit.collect.scim.progress import ProgressSink
from scimaudit.errors import ScimHttpError, ScimProtocolError
from scimaudit.scim.fetch import Fetched, FetchStats, ScimFetcher
from scimaudit.scim.head import BodyHead, resource_id
from scimaudit.scim.paginate import CursorPager, IndexPager, PageRequest, PageResult

ENDPOINTS = {"User": "Users", "Group": "Groups"}


@dataclass
class AppSession:
    """What every pull of one app snapshot shares."""

    app: str
    fetcher: ScimFetcher
    concurrency: int
    land: Callable[[str, Fetched], int]
    progress: ProgressSink
    overrun_share: float = 0.1
    count_refused: bool = False  # remembered for the app: later listings and recounts omit count


@dataclass(frozen=True)
class ListPage:
    """The few facts read from one list response."""

    items: int
    total: int | None
    next_cursor: str | None
    ids: list[str | None]


def read_list_page(where: str, head: BodyHead) -> ListPage:
    """Read a ListResponse (RFC 7644 §3.4.2): ``Resources``, ``totalResults``, ``nextCursor``.

    ``itemsPerPage`` is deliberately not read: servers misreport it (SCIMMY echoes ``count``).
    """
    total = head.totalResults
    if isinstance(total, bool) or not isinstance(total, int) or total < 0:
        total = None
    resources = head.Resources
    if resources is None:
        if total not in (0, None):
            raise ScimProtocolError(
                f"{where}: list response without Resources but totalResults={total}"
            )
        resources = []
    if not isinstance(resources, list):
        raise ScimProtocolError(f"{where}: Resources is not a list (RFC 7644 §3.4.2)")
    ids = [resource_id(item) for item in resources]
    cursor = head.nextCursor
    return ListPage(
        items=len(resources),
        total=total,
        next_cursor=cursor if isinstance(cursor, str) and cursor else None,
        ids=ids,
    )


async def pull_listing(
    session: AppSession,
    resource_type: str,
    pager: IndexPager | CursorPager,
    record: ResourceRecord,
    *,
    extra_params: dict[str, str] | None = None,
    keep_ids: bool = False,
) -> list[str]:
    """List every resource of one type; fill ``record``; return the ids when ``keep_ids``."""
    path = ENDPOINTS[resource_type]
    extra = extra_params or {}
    stats = FetchStats()
    ledger = IdLedger()
    kept: list[str] = []
    started = time.monotonic()
    record.pagination = pager.mode
    record.page_size = pager.page_size
    announced = False

    if session.count_refused:
        pager.send_count = False

    async def fetch(req: PageRequest) -> tuple[PageRequest, Fetched]:
        """GET one page; the first request that sends ``count`` gives up fast on a 5xx."""
        # The first request with count fails fast on a 500: some servers (canaille 0.3.6) crash on
        # the parameter, and seven backed-off retries of a deterministic crash waste a minute.
        quick = pager.pages == 0 and req.count is not None and req.start_index in (1, None)
        params = {**req.params(), **extra}
        return req, await session.fetcher.get(path, params, stats, quick_5xx=quick)

    pending: deque[PageRequest] = deque([pager.first()])
    in_flight: set[asyncio.Task[tuple[PageRequest, Fetched]]] = set()
    try:
        while pending or in_flight:
            while pending and len(in_flight) < session.concurrency:
                in_flight.add(asyncio.create_task(fetch(pending.popleft())))
            done, in_flight = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                try:
                    req, fetched = task.result()
                except ScimHttpError as exc:
                    first = pager.pages == 0 and pager.send_count
                    if first and _refuses_count(exc.status) and not in_flight:
                        record.notes.append(
                            f"server failed on count ({exc}); "
                            "paged without count, at its default page size"
                        )
                        session.count_refused = True
                        pending.append(pager.drop_count())
                        continue
                    raise
                session.land(resource_type, fetched)
                page = read_list_page(f"app {session.app!r}: GET /{path}", fetched.head)
                ledger.add(page.ids)
                if keep_ids:
                    kept.extend(i for i in page.ids if i is not None)
                present = [i for i in page.ids if i is not None]
                fingerprint = hash(tuple(present)) if present else None
                pending.extend(
                    pager.on_page(
                        PageResult(req, page.items, page.total, page.next_cursor, fingerprint)
                    )
                )
                _check_progress(session, pager, path)
                if not announced:
                    announced = True
                    session.progress.start(session.app, resource_type, pager.total)
                session.progress.advance(session.app, resource_type, page.items)
    except BaseException:
        for task in in_flight:
            task.cancel()
        await asyncio.gather(*in_flight, return_exceptions=True)
        raise
    finally:
        record.requests += stats.requests
        record.retries += stats.retries
        record.retry_reasons.extend(stats.retry_reasons)
        record.duration_seconds += time.monotonic() - started
        record.pages = pager.pages
        record.received = pager.received
        record.expected = pager.total
        record.effective_page_size = pager.effective_size
        record.end = pager.end_reason
        record.more_than_total = pager.more_than_total
        record.unique = ledger.unique()
        record.without_id = ledger.without_id
        record.duplicates = ledger.with_id - record.unique
    return kept


def _refuses_count(status: int | None) -> bool:
    """A 400, or any 5xx, on the first request that sent ``count``: try again without it."""
    return status is not None and (status == 400 or status >= 500)


def _check_progress(session: AppSession, pager: IndexPager | CursorPager, path: str) -> None:
    """Stop a listing that runs past ``totalResults`` by more than the app's margin.

    A server that repeats pages, or invents resources as it is paged, would otherwise keep a pull
    going until the page cap (hours); what arrives beyond the total plus the margin (at least one
    page) is no progress toward the listing's end.
    """
    total = pager.total
    if total is None:
        return
    margin = max(int(total * session.overrun_share), pager.effective_size or pager.page_size, 1)
    if pager.received > total + margin:
        raise ScimProtocolError(
            f"app {session.app!r}: GET /{path}: received {pager.received:,} resources in "
            f"{pager.pages:,} pages against totalResults {total:,} (margin {margin:,}): the "
            "listing makes no progress toward its end; stopped"
        )


RECOUNT_SUFFIX = "Recount"
"""Recount responses are landed as ``UserRecount`` / ``GroupRecount``: kept as evidence, never
staged as resources (a server that ignores ``count=0`` sends a full page there)."""


async def recount(
    session: AppSession, resource_type: str, mode: str, record: ResourceRecord
) -> None:
    """Ask for ``totalResults`` again (``count=0``, RFC 7644 §3.4.2.4) and record it."""
    path = ENDPOINTS[resource_type]
    params = {"startIndex": "1", "count": "0"} if mode == "index" else {"cursor": "", "count": "0"}
    if session.count_refused:
        params.pop("count")
    stats = FetchStats()
    try:
        try:
            fetched = await session.fetcher.get(path, params, stats, quick_5xx="count" in params)
        except ScimHttpError as exc:
            if "count" not in params or not _refuses_count(exc.status):
                raise
            if exc.status == 400:
                params["count"] = "1"  # some servers refuse count=0
            else:
                params.pop("count")
                session.count_refused = True
            fetched = await session.fetcher.get(path, params, stats)
    finally:
        record.requests += stats.requests
        record.retries += stats.retries
    session.land(resource_type + RECOUNT_SUFFIX, fetched)
    record.recount = read_list_page(f"app {session.app!r}: GET /{path}", fetched.head).total


async def read_groups_one_by_one(
    session: AppSession, group_ids: list[str], record: ResourceRecord
) -> None:
    """GET /Groups/{id} for each listed group (members of large groups, RFC 7644 §3.4.1)."""
    stats = FetchStats()
    done = 0
    semaphore = asyncio.Semaphore(session.concurrency)
    started = time.monotonic()

    async def one(group_id: str) -> None:
        """GET one group by id (bounded by the app's concurrency) and land its page."""
        nonlocal done
        async with semaphore:
            fetched = await session.fetcher.get(f"Groups/{quote(group_id, safe='')}", {}, stats)
        session.land("Group", fetched)
        done += 1

    tasks = [asyncio.create_task(one(g)) for g in group_ids]
    try:
        if tasks:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in tasks:
                if task.done() and not task.cancelled() and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    finally:
        record.per_group_reads = done
        record.requests += stats.requests
        record.retries += stats.retries
        record.retry_reasons.extend(stats.retry_reasons)
        record.duration_seconds += time.monotonic() - started
