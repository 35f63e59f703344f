"""Pagination as pure state machines: which page to ask for next, and when a listing has ended.

No I/O here: the collector sends what :meth:`first` / :meth:`on_page` return and feeds each answer
back as a :class:`PageResult`. Tests drive the machines with hand-made results.

Index paging (RFC 7644 §3.4.2.4): ``startIndex`` is 1-based, ``count`` is a *maximum* the server may
lower. Once the first page gives ``totalResults`` and the server's real page size, every remaining
page is known and may be fetched concurrently. The machine trusts nothing blindly:

* ``itemsPerPage`` is ignored; the number of ``Resources`` received is what counts.
* A short page in the middle is followed by a request for the part it left out.
* After the last planned page one more page past ``totalResults`` is asked for: a server whose
  ``totalResults`` is too low is caught here, not silently truncated.
* Without ``totalResults`` pages are walked one by one until an empty page.
* The same set of resources served for two different ``startIndex`` values means the server
  ignores ``startIndex``; that is a protocol error, never an endless loop.

Cursor paging (RFC 9865 §2): ``cursor`` (empty on the first request) and ``count``; the listing ends
when a response carries no ``nextCursor``. A cursor seen twice is a loop and an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from scimaudit.errors import ScimProtocolError

MAX_PAGES = 2_000_000
"""A listing with more pages than this is refused as a runaway (1 resource per page, 2M users)."""


@dataclass(frozen=True)
class PageRequest:
    """One list request. Exactly one of ``start_index`` / ``cursor`` is set."""

    start_index: int | None = None
    count: int | None = None
    cursor: str | None = None
    probe: bool = False  # the extra page past totalResults

    def params(self) -> dict[str, str]:
        """The query parameters; ``None`` fields are left out (some servers refuse ``count``)."""
        out: dict[str, str] = {}
        if self.cursor is not None:
            out["cursor"] = self.cursor
        if self.start_index is not None:
            out["startIndex"] = str(self.start_index)
        if self.count is not None:
            out["count"] = str(self.count)
        return out


@dataclass(frozen=True)
class PageResult:
    """What the collector learned from one list response."""

    request: PageRequest
    items: int
    total_results: int | None = None
    next_cursor: str | None = None
    fingerprint: int | None = None  # hash of the page's ids; None for an empty page


EndReason = Literal["total_reached", "empty_page", "no_next_cursor", "count_ignored"]


@dataclass
class IndexPager:
    """Index pagination (RFC 7644 §3.4.2.4) with concurrent page planning."""

    page_size: int
    send_count: bool = True
    total: int | None = None
    effective_size: int | None = None
    received: int = 0
    pages: int = 0
    more_than_total: bool = False
    end_reason: EndReason | None = None
    _next_start: int = 1
    _outstanding: set[PageRequest] = field(default_factory=set)
    _empty_at: int | None = None
    _fingerprints: dict[int, int] = field(default_factory=dict)
    _probed: bool = False
    _started: bool = False

    @property
    def mode(self) -> str:
        """``"index"``: recorded with the listing so the evidence says how it was paged."""
        return "index"

    def _request(self, start: int, count: int, *, probe: bool = False) -> PageRequest:
        req = PageRequest(start_index=start, count=count if self.send_count else None, probe=probe)
        self._outstanding.add(req)
        return req

    def first(self) -> PageRequest:
        """The first request: ``startIndex=1``, ``count=page_size``."""
        self._started = True
        self._next_start = 1 + self.page_size
        return self._request(1, self.page_size)

    def drop_count(self) -> PageRequest:
        """Start over without ``count``: for servers that refuse the parameter outright."""
        self.send_count = False
        self._outstanding.clear()
        return self.first()

    @property
    def done(self) -> bool:
        """True once a page was asked for, none is in flight, and the end reason is known."""
        return self._started and not self._outstanding and self.end_reason is not None

    def on_page(self, result: PageResult) -> list[PageRequest]:
        """Record one page; return the requests to send next (possibly several at once)."""
        req = result.request
        self._outstanding.discard(req)
        assert req.start_index is not None
        self.pages += 1
        if self.pages > MAX_PAGES:
            raise ScimProtocolError(f"listing exceeded {MAX_PAGES} pages; refusing a runaway")
        self.received += result.items
        asked = req.count if req.count is not None else self.effective_size or self.page_size
        if result.fingerprint is not None:
            seen = self._fingerprints.get(result.fingerprint)
            if seen == 1 and req.probe and self.end_reason == "count_ignored":
                # It ignores count and startIndex alike: page 1 already held all totalResults.
                return []
            if seen is not None and seen != req.start_index:
                raise ScimProtocolError(
                    f"the server returned the same resources for startIndex={seen} and "
                    f"startIndex={req.start_index}: it ignores startIndex (RFC 7644 §3.4.2.4)"
                )
            self._fingerprints[result.fingerprint] = req.start_index
        if req.start_index == 1 and self.effective_size is None:
            return self._after_first(result, asked)
        return self._after_later(result, asked)

    def _after_first(self, result: PageResult, asked: int) -> list[PageRequest]:
        """Learn ``totalResults`` and the server's real page size from page 1, then plan the rest.

        An empty page 1 ends the listing with no probe; page 1 holding all ``totalResults`` ends it
        (``count_ignored`` when the server sent more than asked).
        """
        self.total = result.total_results
        n = result.items
        if n == 0:
            self.end_reason = "empty_page"
            self.effective_size = asked
            self._probed = True  # page 1 is empty: nothing lies beyond it
            return []
        if self.total is not None and n >= self.total:
            # Everything in one page (also: a server that ignores count and returns all).
            self.effective_size = max(n, 1)
            self.end_reason = "count_ignored" if n > asked else "total_reached"
            self._next_start = n + 1
            return self._maybe_probe()
        # A server may lower count (RFC 7644 §3.4.2.4) or ignore it: its page size is what it sent.
        self.effective_size = n
        self._next_start = 1 + n
        if self.total is None:
            return [self._request(self._next_start, self._size())]
        return self._plan_to_total()

    def _size(self) -> int:
        return self.effective_size or self.page_size

    def _plan_to_total(self) -> list[PageRequest]:
        """Every page up to ``totalResults`` at once (fetched concurrently), else the probe."""
        assert self.total is not None
        out = []
        while self._next_start <= self.total:
            out.append(self._request(self._next_start, self._size()))
            self._next_start += self._size()
        if not out:
            return self._maybe_probe()
        return out

    def _after_later(self, result: PageResult, asked: int) -> list[PageRequest]:
        """Handle a page after the first: the probe, an empty page, or a short page's missing part.

        A non-empty probe means ``totalResults`` was too low: the walk goes on page by page. Without
        ``totalResults`` the next page is asked for until an empty one.
        """
        req = result.request
        assert req.start_index is not None
        n = result.items
        if req.probe:
            if n == 0:
                self.end_reason = self.end_reason or "empty_page"
                return []
            # totalResults was too low: walk on one page at a time until an empty page.
            self.more_than_total = True
            self.end_reason = None
            self._probed = False
            self._next_start = req.start_index + n
            return [self._request(self._next_start, self._size(), probe=True)]
        if n == 0:
            self._empty_at = min(self._empty_at or req.start_index, req.start_index)
            if self.total is None:
                self.end_reason = "empty_page"
            return self._maybe_probe()
        out: list[PageRequest] = []
        if n < asked:
            # A short page: ask for what it left out, unless it was the end of the listing.
            gap_start = req.start_index + n
            gap_end = req.start_index + asked  # exclusive
            within_total = self.total is None or gap_start <= self.total
            before_empty = self._empty_at is None or gap_start < self._empty_at
            if within_total and before_empty:
                if self.total is not None:
                    gap_end = min(gap_end, self.total + 1)
                out.append(self._request(gap_start, gap_end - gap_start))
        if self.total is None and not out:
            self._next_start = req.start_index + n
            out.append(self._request(self._next_start, self._size()))
        return out or self._maybe_probe()

    def _maybe_probe(self) -> list[PageRequest]:
        """One extra page past the end, once nothing is in flight: catches a low ``totalResults``.

        No probe when page 1 was empty, or without ``totalResults`` once an empty page ended the
        walk.
        """
        if self._outstanding:
            return []
        if self.total is not None and self.end_reason is None:
            self.end_reason = "total_reached"
        if self._probed or (self.total is None and self.end_reason == "empty_page"):
            return []
        self._probed = True
        start = self._next_start if self._empty_at is None else self._empty_at
        if self.total is not None:
            start = max(start, self.total + 1)
        return [self._request(start, self._size(), probe=True)]


@dataclass
class CursorPager:
    """Cursor pagination (RFC 9865 §2): sequential, ends when ``nextCursor`` is absent."""

    page_size: int
    send_count: bool = True
    total: int | None = None
    received: int = 0
    pages: int = 0
    end_reason: EndReason | None = None
    more_than_total: bool = False
    effective_size: int | None = None
    _seen: set[str] = field(default_factory=set)
    _outstanding: bool = False
    _empty_run: int = 0

    @property
    def mode(self) -> str:
        """``"cursor"``: recorded with the listing so the evidence says how it was paged."""
        return "cursor"

    def first(self) -> PageRequest:
        """The first request: an empty ``cursor`` starts a cursor listing (RFC 9865)."""
        self._outstanding = True
        return PageRequest(cursor="", count=self.page_size if self.send_count else None)

    def drop_count(self) -> PageRequest:
        """Start over without ``count``: for servers that refuse the parameter outright."""
        self.send_count = False
        return self.first()

    @property
    def done(self) -> bool:
        """True when no request is in flight and the last page had no ``nextCursor``."""
        return not self._outstanding and self.end_reason is not None

    def on_page(self, result: PageResult) -> list[PageRequest]:
        """Record one page; return the next request, or none when ``nextCursor`` is absent.

        A repeated cursor (RFC 9865 §2.2) or three empty pages in a row that still carry a
        ``nextCursor`` are protocol errors, never an endless loop.
        """
        self._outstanding = False
        self.pages += 1
        if self.pages > MAX_PAGES:
            raise ScimProtocolError(f"listing exceeded {MAX_PAGES} pages; refusing a runaway")
        self.received += result.items
        if self.pages == 1:
            self.total = result.total_results
            self.effective_size = result.items or None
        self._empty_run = self._empty_run + 1 if result.items == 0 else 0
        nxt = result.next_cursor
        if not nxt:
            self.end_reason = "no_next_cursor"
            return []
        if nxt in self._seen or nxt == result.request.cursor:
            raise ScimProtocolError(
                "the server returned a nextCursor it had already returned: a paging loop "
                "(RFC 9865 §2.2)"
            )
        if self._empty_run >= 3:
            raise ScimProtocolError("three empty pages in a row, each with a nextCursor")
        self._seen.add(nxt)
        self._outstanding = True
        return [PageRequest(cursor=nxt, count=self.page_size if self.send_count else None)]


Pager = IndexPager | CursorPager
