"""When to retry a SCIM request and how long to wait: capped exponential backoff with full jitter.

Why hand-written rather than tenacity or httpx-retries: the collector must *count* every retry and
keep the reason in the completeness record, must also retry a 200 whose body is cut short (which a
transport-level retry never sees), and must refuse to sleep longer than a configured ceiling when a
server asks for it. The decision logic is three small pure functions, tested without a network;
the loop that uses them lives in :mod:`scimaudit.scim.fetch`.

* Backoff: ``random.uniform(0, min(cap, base * 2**attempt))`` ("full jitter"), so many clients
  hitting one overloaded IdP do not retry in lock-step.
* ``Retry-After`` (RFC 9110 §10.2.3) is honoured as delay-seconds or an HTTP-date; the server's
  value wins over our backoff when it is longer.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
"""Statuses worth another try: timeouts, throttling (RFC 6585 §4) and transient server errors."""


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header, or None when absent or unreadable.

    RFC 9110 §10.2.3: either a non-negative integer of seconds or an HTTP-date. A date in the past
    means "now" (0 seconds).
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return float(int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    moment = now or datetime.now(UTC)
    return max(0.0, (when - moment).total_seconds())


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry one request.

    :param max_retries: retries after the first attempt (``max_retries + 1`` attempts in all).
    :param base_seconds: first backoff ceiling; doubles each retry.
    :param cap_seconds: the backoff never exceeds this (before jitter).
    :param max_wait_seconds: a server's ``Retry-After`` longer than this is not waited out; the
        request fails instead, so an audit pull never hangs for an hour on one page.
    """

    max_retries: int = 6
    base_seconds: float = 0.5
    cap_seconds: float = 30.0
    max_wait_seconds: float = 120.0

    def backoff(self, retry: int, rng: random.Random | None = None) -> float:
        """Full-jitter delay before retry number ``retry`` (1-based)."""
        ceiling = min(self.cap_seconds, self.base_seconds * (2 ** max(retry - 1, 0)))
        return (rng or random).uniform(0, ceiling)

    def delay(
        self, retry: int, retry_after: float | None, rng: random.Random | None = None
    ) -> float | None:
        """Seconds to sleep before retry ``retry``, or None when we must give up.

        None when retries are exhausted or the server asks for a wait above ``max_wait_seconds``.
        """
        if retry > self.max_retries:
            return None
        if retry_after is not None and retry_after > self.max_wait_seconds:
            return None
        jittered = self.backoff(retry, rng)
        if retry_after is None:
            return jittered
        return max(retry_after, min(jittered, self.base_seconds))


def is_retryable_status(status: int) -> bool:
    """True for statuses a later attempt may fix."""
    return status in RETRYABLE_STATUS
