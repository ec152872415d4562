"""Rate-limit benchmark: what counting each API request costs.

    .venv/bin/python -m bench.rate_limit_bench [--requests 2000] [--engine postgresql|sqlite|both]

On a new, migrated database of each engine (PostgreSQL: a throwaway cluster, as the tests
start), prints in milliseconds:

- STORE: one ``take`` of the engine's store alone, as the API runs it on the connection
  that read the key (PostgreSQL: the ``rate_limit`` upsert and its commit, on the database's
  clock; SQLite: the in-memory dict), from one thread, and from 4 threads taking from the
  SAME key at once (its row is the one point of contention); beside it, what one round trip
  to the server (``SELECT 1``) costs on the same machine;
- REQUEST: ``GET /v1/campaigns`` through the API in this process (no network), with the limit
  off (``LEADS_RATE_LIMIT_PER_MINUTE=0``) and on (a limit never reached), the two
  interleaved so that drift hits both alike; the p50 difference is the limiter's cost per
  request (target: about 1 ms or less).

The throwaway cluster runs without fsync, as the tests' does; the table is UNLOGGED, so
its commits wait for no log flush on a durable server either.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import NullPool, create_engine, text
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.applications import Starlette

from leads_core.api import create_api
from leads_core.api.serving import mount_api
from leads_core.config import load_settings
from leads_core.services import apikeys
from leads_core.storage.db import init_db, make_engine
from leads_core.storage.rate_limits import store_for
from tests.support.pgcluster import start_cluster

THREADS = 4
NEVER_REACHED = 10**7  # a minute


def figures(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"p50 {statistics.median(ordered):7.3f}  p95 {p95:7.3f}"


def timed(call: Callable[[], object], count: int) -> list[float]:
    times = []
    for _ in range(count):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return times


@contextmanager
def database(engine_name: str) -> Iterator[str]:
    """The URL of a new database of ``engine_name``, migrated to head."""
    if engine_name == "sqlite":
        with tempfile.TemporaryDirectory(prefix="ratelimit-bench-") as folder:
            url = f"sqlite:///{Path(folder) / 'bench.db'}"
            migrate(url)
            yield url
        return
    cluster = start_cluster()
    try:
        admin = create_engine(cluster.url(), poolclass=NullPool, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("CREATE DATABASE bench"))
        admin.dispose()
        migrate(cluster.url("bench"))
        yield cluster.url("bench")
    finally:
        cluster.stop()


def migrate(url: str) -> None:
    engine = make_engine(url)
    init_db(engine)
    engine.dispose()


def bench_store(engine: Engine, count: int) -> None:
    """``take`` as the API runs it: on a connection it holds, then a commit."""
    store = store_for(engine)
    name = type(store).__name__

    def takes(key: str, times: int) -> list[float]:
        with engine.connect() as connection:

            def take() -> None:
                store.take(key, NEVER_REACHED, connection)
                connection.commit()

            return timed(take, times)

    if engine.dialect.name == "postgresql":  # what one round trip costs, for comparison
        with engine.connect() as connection:
            ping = timed(lambda: connection.execute(text("SELECT 1")).one(), count)
        print(f"  ROUND TRIP: SELECT 1           : {figures(ping)}")
    print(f"  STORE   {name:14} 1 thread : {figures(takes('key_alone', count))}")
    with ThreadPoolExecutor(THREADS) as pool:
        runs = pool.map(lambda _n: takes("key_shared", count // THREADS), range(THREADS))
        together = [t for times in runs for t in times]
    print(f"  STORE   {name:14} {THREADS} threads, one key: {figures(together)}")


def bench_requests(engine: Engine, url: str, count: int) -> None:
    settings = load_settings({"DATABASE_URL": url})
    with Session(engine) as session:
        plain = apikeys.create_api_key(session, name="bench")[1]
    clients = {}
    for name, limit in (("off", 0), ("on", NEVER_REACHED)):
        api = create_api(engine, replace(settings, rate_limit_per_minute=limit))
        client = TestClient(Starlette(routes=[mount_api("/v1", api)]))
        client.headers["Authorization"] = f"Bearer {plain}"
        clients[name] = client
    times: dict[str, list[float]] = {"off": [], "on": []}
    with clients["off"], clients["on"]:
        for client in clients.values():  # warm up: the first answers build caches
            timed(lambda c=client: c.get("/v1/campaigns"), 50)
        for _ in range(count // 100):  # blocks of 100, alternating
            for name, client in clients.items():
                times[name] += timed(
                    lambda c=client, n=name: check(c.get("/v1/campaigns"), limited=n == "on"), 100
                )
    for name in ("off", "on"):
        print(f"  REQUEST limit {name:3}: {figures(times[name])}")
    overhead = statistics.median(times["on"]) - statistics.median(times["off"])
    print(f"  REQUEST p50 overhead of the limiter: {overhead:+.3f} ms")


def check(response: httpx.Response, *, limited: bool) -> None:
    """A 200, with the RateLimit headers exactly when the limit is on."""
    if response.status_code != 200:
        raise SystemExit(f"GET /v1/campaigns: {response.status_code} {response.text[:200]}")
    if ("ratelimit-remaining" in response.headers) != limited:
        raise SystemExit(f"RateLimit headers {'missing' if limited else 'present'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--engine", choices=("postgresql", "sqlite", "both"), default="both")
    args = parser.parse_args()
    engines = ("postgresql", "sqlite") if args.engine == "both" else (args.engine,)
    for engine_name in engines:
        print(f"{engine_name} (ms, {args.requests} each)")
        with database(engine_name) as url:
            engine = make_engine(url)
            try:
                bench_store(engine, args.requests)
                bench_requests(engine, url, args.requests)
            finally:
                engine.dispose()


if __name__ == "__main__":
    main()
