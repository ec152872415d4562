"""Slowing down guessing: wrong passwords and wrong API keys, counted per account and per
client address (not per browser session, which a script can always start afresh).

Each name (``address:203.0.113.9``, ``account:ann@acme.com``) may fail ``limit`` times in
``window`` seconds; beyond, :meth:`FailureThrottle.check` raises ``RateLimited`` until the
oldest failure leaves the window. Kept in memory by each app process.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable

from leads_core.errors import RateLimited

LIMIT = 10
WINDOW_S = 300.0
MAX_NAMES = 100_000  # names remembered at most: the oldest are forgotten first


class FailureThrottle:
    def __init__(
        self,
        limit: int = LIMIT,
        window: float = WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, names: Iterable[str]) -> None:
        """``RateLimited`` (with Retry-After) when any of ``names`` failed too often lately.
        A limit of 0 throttles nothing."""
        if self.limit <= 0:
            return
        now = self.clock()
        wait = 0.0
        with self._lock:
            for name in names:
                times = self._recent(name, now)
                if len(times) >= self.limit:
                    wait = max(wait, times[0] + self.window - now)
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            raise RateLimited(
                f"too many failed attempts from here; try again in {retry_after} s",
                retry_after=retry_after,
            )

    def failed(self, names: Iterable[str]) -> None:
        if self.limit <= 0:
            return
        now = self.clock()
        with self._lock:
            for name in names:
                times = self._recent(name, now)
                times.append(now)
                self._failures[name] = times
            while len(self._failures) > MAX_NAMES:
                del self._failures[next(iter(self._failures))]

    def succeeded(self, names: Iterable[str]) -> None:
        with self._lock:
            for name in names:
                self._failures.pop(name, None)

    def _recent(self, name: str, now: float) -> deque[float]:
        times = self._failures.get(name, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times
