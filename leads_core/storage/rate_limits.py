"""Each API key's allowance of requests, kept by GCRA (the generic cell rate algorithm): a
token bucket of ``limit`` requests refilled evenly over a minute, stored as one number per
key, its *theoretical arrival time* (TAT): when the bucket would be full again.

A request at ``now`` is allowed when ``max(TAT, now) + interval - now <= limit * interval``
(``interval`` = 60 s / ``limit``), and then moves the TAT to ``max(TAT, now) + interval``. From
the TAT follow, exactly, the figures the ``RateLimit-*`` headers give: requests left now
(``(limit * interval - (TAT - now)) // interval``), seconds until the allowance is whole again
(``TAT - now``), and for a refused request, seconds until the next one is allowed. A fixed
window would let a key send twice its limit across a window's edge, and a sliding-window
counter only estimates what is left; GCRA's figures are the bucket's own.

Times are whole microseconds, so the arithmetic is exact on both stores.

- :class:`MemoryStore`: a dict in the process. For SQLite, whose deployments are one process,
  and which must never take the database's write lock per request (it would queue behind an
  import).
- :class:`PostgresStore`: the ``rate_limit`` table (migration 0012, UNLOGGED: a crash may
  forget it, nothing else needs it), one atomic ``INSERT ... ON CONFLICT DO UPDATE ... WHERE
  ... RETURNING`` per request, so every app process on the database shares one allowance
  per key. Its clock is the database's, the same for all of them. The API runs it on the
  connection that just read the request's API key, in the same transaction: one more round
  trip per request, no connection of its own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

MICROS = 1_000_000
WINDOW = 60 * MICROS  # the allowance is per minute


@dataclass(frozen=True)
class Quota:
    """Where a key stands after one request: the ``RateLimit-*`` headers' figures."""

    allowed: bool
    limit: int  # requests a minute
    remaining: int  # requests that would be allowed right now, after this one
    reset: int  # seconds until all ``limit`` are allowed again
    retry_after: int  # refused: seconds until the next request is allowed; allowed: 0


class QuotaStore(Protocol):
    def take(self, key: str, limit: int, connection: Connection | None = None) -> Quota:
        """Count one request of ``key`` if its allowance of ``limit`` a minute has room
        (``connection``: the database connection to use, if the store needs one)."""
        ...


def interval_of(limit: int) -> int:
    """Microseconds between two requests at the steady rate (at least 1)."""
    return max(1, WINDOW // limit)


def _ceil_seconds(micros: int) -> int:
    return max(0, -(-micros // MICROS))


def quota_at(now: int, tat: int, limit: int, *, allowed: bool) -> Quota:
    """The figures for a key whose TAT is ``tat`` at ``now`` (after the request if it was
    allowed)."""
    interval = interval_of(limit)
    ahead = max(0, tat - now)  # how far the bucket is from full
    remaining = min(limit, max(0, (limit * interval - ahead) // interval))
    retry_after = 0
    if not allowed:  # allowed once max(tat, now) + interval - now <= limit * interval
        retry_after = max(1, _ceil_seconds(ahead + interval - limit * interval))
    return Quota(allowed, limit, remaining, _ceil_seconds(ahead), retry_after)


def take_at(now: int, tat: int | None, limit: int) -> tuple[int | None, Quota]:
    """GCRA for one request at ``now``: the key's new TAT (None: refused, unchanged) and
    its quota."""
    interval = interval_of(limit)
    after = max(tat if tat is not None else now, now) + interval
    if after - now > limit * interval:
        return None, quota_at(now, tat if tat is not None else now, limit, allowed=False)
    return after, quota_at(now, after, limit, allowed=True)


class MemoryStore:
    """The TATs in this process's memory (one process: SQLite)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock  # seconds
        self._tats: dict[str, int] = {}
        self._lock = threading.Lock()

    def take(self, key: str, limit: int, connection: Connection | None = None) -> Quota:
        with self._lock:  # ``connection`` unused: nothing is written to the database
            now = round(self.clock() * MICROS)
            tat, quota = take_at(now, self._tats.get(key), limit)
            if tat is not None:
                self._tats[key] = tat
            return quota


# The database's clock, or the one given (tests): microseconds since the epoch, the same
# value throughout a statement.
NOW = (
    "COALESCE(CAST(:now AS bigint), "
    "CAST(floor(extract(epoch FROM statement_timestamp()) * 1000000) AS bigint))"
)

# Atomic: the row is inserted, or moved on only when the request is allowed (PostgreSQL
# re-checks the WHERE on the newest row version after waiting for a concurrent request of
# the same key). No row back: refused.
TAKE = text(
    f"""
INSERT INTO rate_limit AS r (key, tat) VALUES (:key, {NOW} + :interval)
ON CONFLICT (key) DO UPDATE SET tat = GREATEST(r.tat, {NOW}) + :interval
    WHERE GREATEST(r.tat, {NOW}) + :interval - {NOW} <= :burst
RETURNING r.tat, {NOW} AS now
"""
)
# For a refused request's figures (refusals are the rare case: a second statement is fine).
CURRENT = text(f"SELECT tat, {NOW} AS now FROM rate_limit WHERE key = :key")


class PostgresStore:
    """The TATs in the ``rate_limit`` table, shared by every process on the database."""

    def __init__(self, engine: Engine, clock: Callable[[], float] | None = None) -> None:
        self.engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.clock = clock  # seconds; None: the database's clock

    def take(self, key: str, limit: int, connection: Connection | None = None) -> Quota:
        """On ``connection`` (in the caller's transaction, which the caller commits: the
        request's authentication shares it) or on one of its own."""
        if connection is None:
            with self.engine.connect() as own:
                return self.take(key, limit, own)
        interval = interval_of(limit)
        now = None if self.clock is None else round(self.clock() * MICROS)
        params = {"key": key, "now": now, "interval": interval, "burst": limit * interval}
        taken = connection.execute(TAKE, params).one_or_none()
        if taken is not None:
            return quota_at(taken.now, taken.tat, limit, allowed=True)
        current = connection.execute(CURRENT, params).one()
        return quota_at(current.now, current.tat, limit, allowed=False)


def store_for(engine: Engine) -> QuotaStore:
    """Shared on PostgreSQL; in memory on SQLite (one process, and no write per request)."""
    if engine.dialect.name == "postgresql":
        return PostgresStore(engine)
    return MemoryStore()
