"""A per-app request budget: at most N requests per second, so an audit pull never starves the IdP.

Identity providers throttle per tenant; a collector that fires as fast as it can slows the
provisioning jobs that share the tenant's quota. A token bucket (capacity = one second's worth, at
least 1) spaces requests evenly while allowing the first few to start at once. The clock and the
sleep are injectable so the arithmetic is tested without waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class RateLimiter:
    """Token bucket shared by every request to one app.

    :param rate: requests per second; ``None`` means unlimited (acquire returns at once).
    :param burst: bucket capacity; defaults to ``max(1, rate)``.
    """

    def __init__(
        self,
        rate: float | None,
        *,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate is not None and rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.capacity = burst if burst is not None else max(1.0, rate or 1.0)
        self._tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._last = clock()
        self._lock = asyncio.Lock()
        self.waited_seconds = 0.0

    def _refill(self) -> None:
        """Add the tokens earned since the last refill, up to the bucket's capacity."""
        now = self._clock()
        assert self.rate is not None
        self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
        self._last = now

    async def acquire(self) -> None:
        """Wait until one request may be sent."""
        if self.rate is None:
            return
        async with self._lock:
            self._refill()
            if self._tokens < 1:
                wait = (1 - self._tokens) / self.rate
                self.waited_seconds += wait
                await self._sleep(wait)
                self._refill()
            self._tokens -= 1
