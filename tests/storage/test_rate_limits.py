"""The allowance stores (``leads_core.storage.rate_limits``), on the store each engine uses:
GCRA's figures are exact, a refused request costs nothing, and on PostgreSQL concurrent
requests of one key through many connections are counted once each."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from leads_core.storage.rate_limits import (
    MemoryStore,
    PostgresStore,
    Quota,
    QuotaStore,
    store_for,
    take_at,
)

START = 1_000_000.0  # seconds


@pytest.fixture
def clock() -> list[float]:
    return [START]


@pytest.fixture
def store(engine: Engine, clock: list[float]) -> QuotaStore:
    """The engine's store, on a clock the test moves."""
    if engine.dialect.name == "postgresql":
        return PostgresStore(engine, clock=lambda: clock[0])
    return MemoryStore(clock=lambda: clock[0])


def takes(store: QuotaStore, count: int, key: str = "key_a", limit: int = 6) -> list[Quota]:
    return [store.take(key, limit) for _ in range(count)]


def test_the_engine_picks_its_store(engine: Engine) -> None:
    expected = PostgresStore if engine.dialect.name == "postgresql" else MemoryStore
    assert type(store_for(engine)) is expected


def test_a_burst_of_the_limit_then_refusals(store: QuotaStore) -> None:
    quotas = takes(store, 8)  # 6 a minute: one more every 10 s

    assert [q.allowed for q in quotas] == [True] * 6 + [False] * 2
    assert [q.remaining for q in quotas] == [5, 4, 3, 2, 1, 0, 0, 0]
    assert [q.reset for q in quotas] == [10, 20, 30, 40, 50, 60, 60, 60]
    assert [q.retry_after for q in quotas] == [0] * 6 + [10, 10]
    assert {q.limit for q in quotas} == {6}


def test_the_figures_hold_as_time_passes(store: QuotaStore, clock: list[float]) -> None:
    takes(store, 6)
    clock[0] += 9.5  # not yet a whole request's worth
    refused = store.take("key_a", 6)
    assert (refused.allowed, refused.retry_after, refused.reset) == (False, 1, 51)

    clock[0] += 0.5  # Retry-After was right: one request is allowed, only one
    allowed, again = takes(store, 2)
    assert (allowed.allowed, allowed.remaining, allowed.reset) == (True, 0, 60)
    assert (again.allowed, again.retry_after) == (False, 10)

    clock[0] += 60  # Reset was right: the whole allowance is back
    back = takes(store, 6)
    assert [q.allowed for q in back] == [True] * 6
    assert back[0].remaining == 5


def test_a_quiet_key_saves_no_more_than_its_limit(store: QuotaStore, clock: list[float]):
    store.take("key_a", 6)
    clock[0] += 3600

    assert [q.allowed for q in takes(store, 7)] == [True] * 6 + [False]


def test_each_key_has_its_own_allowance(store: QuotaStore) -> None:
    takes(store, 7, key="key_a")

    other = store.take("key_b", 6)

    assert (other.allowed, other.remaining) == (True, 5)


def test_a_changed_limit_applies_at_once(store: QuotaStore) -> None:
    takes(store, 3, limit=6)  # half of the allowance used: 30 s ahead

    bigger = store.take("key_a", 60)  # 1 s each: 31 s of the minute used

    assert (bigger.allowed, bigger.remaining, bigger.reset) == (True, 29, 31)


def test_the_arithmetic_is_exact_at_a_limit_that_does_not_divide_a_minute() -> None:
    tat = None
    allowed = 0
    for _ in range(1001):
        new, quota = take_at(0, tat, 7)
        if new is not None:
            tat, allowed = new, allowed + 1
    assert allowed == 7
    assert take_at(0, tat, 7)[1].remaining == 0


def test_postgresql_counts_concurrent_requests_once_each(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the shared store is PostgreSQL's")
    store = PostgresStore(engine, clock=lambda: START)  # still: no refill during the test

    with ThreadPoolExecutor(8) as pool:
        quotas = list(pool.map(lambda _n: store.take("key_a", 50), range(120)))

    assert sum(q.allowed for q in quotas) == 50
    assert sorted(q.remaining for q in quotas if q.allowed) == list(range(50))


def test_postgresql_uses_the_database_clock(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the shared store is PostgreSQL's")
    store = store_for(engine)

    first, second = takes(store, 2, limit=60)

    assert (first.remaining, second.remaining) == (59, 58)
    assert (first.reset, second.reset) == (1, 2)


def test_sqlite_never_writes_to_count_a_request(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's store")
    statements: list[str] = []
    record: Callable[..., None] = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", record)
    try:
        takes(store_for(engine), 10)
    finally:
        event.remove(engine, "before_cursor_execute", record)

    assert statements == []
