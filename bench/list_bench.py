"""List benchmark: ``GET /v1/leads`` (filters, sorts, pages) and ``GET /v1/leads/{id}`` over
real HTTP on N demo leads.

    .venv/bin/python bench/list_bench.py [--engine sqlite|postgresql] [--leads 1000000]
        [--campaigns 20] [--requests 500] [--db PATH]

1. Database: ``DATABASE_URL=... python -m leads_core seed-demo --leads N --campaigns K``,
   timed (wall time of the command: Python's start, the schema, the bulk import). SQLite:
   a file in a temporary folder, or ``--db PATH``, reused when it already holds N leads or
   more (no seeding then), else seeded into ``PATH.partial`` and renamed when done (kept).
   PostgreSQL: a throwaway cluster (``leads_core.pgcluster``; durability off) and a new
   database, stopped at the end. Nobody runs ANALYZE: PostgreSQL's planner statistics are
   whatever autovacuum made; the report says whether it had analyzed the table.
2. Starts the product as a user does, ``streamlit run app.py`` on a free port on that
   database, makes an API key with the CLI, reads the campaign ids (``GET /v1/campaigns``)
   and sends one untimed warm-up request.
3. Sends ``--requests`` ``GET /v1/leads`` built from a fixed seed, the kinds in turn: no
   filter, ``campaignId`` (a real one), ``minScore=85``, ``source``, ``status``, ``q`` (names
   and company words found in the demo data, ``leads_core.demo``), and 2-3 of those
   combined; each with a sort (the default ``-createdAt`` or one of several), a page from
   1 to 100 and a limit of 50 or 200. Then ``GET /v1/leads/{id}`` for 200 ids drawn (same
   seed) from the ids the list requests and the warm-up returned.
4. Every timed request goes on a NEW TCP connection (an httpx client that pools no
   keep-alive connection; checked by counting httpcore's TCP connects): under ``streamlit
   run`` a reused keep-alive connection currently adds ~40 ms per request (Nagle's
   algorithm meeting delayed ACKs; a separate issue fixes it), which would hide the
   server's own time. For comparison, the first 50 list requests are sent again on ONE
   reused connection and their p50 is printed on a second line.
5. Prints the engine, N, versions, the seeding time and a table of p50/p95/max in ms,
   overall, per kind of query and per sort, then the slowest requests.

Exit status 1 when a request fails (transport error, not HTTP 200, unexpected body), a
connection check fails or the server log has a Traceback. Times are reported, not judged.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import fastapi  # noqa: E402
import httpx  # noqa: E402
import psycopg  # noqa: E402
import sqlalchemy  # noqa: E402
import streamlit  # noqa: E402
from import_bench import (  # noqa: E402  (bench/ is this script's folder)
    ENGINES,
    cli,
    create_database,
    postgres_cluster,
    postgres_version,
    psycopg_conninfo,
    start_server,
)

from leads_core.devserver import free_port, stop_app  # noqa: E402

SEED = 11
MIN_SCORE = 85
SOURCES = ("linkedin", "website", "referral", "event", "instagram", "webinar", "purchased_list")
STATUSES = ("new", "contacted", "replied", "qualified", "converted", "rejected")
WORDS = (  # first and last names, company and mail words of leads_core.demo; folded like q
    "marie",
    "thomas",
    "emma",
    "james",
    "martin",
    "smith",
    "muller",
    "garcia",
    "techcorp",
    "cloudhaven",
    "analytics",
    "labs",
    "gmail",
    "marie dubois",
    "james smith",
)
DEFAULT_SORT = "-createdAt (default)"
SORTS = (
    None,
    "-qualityScore",
    "qualityScore",
    "createdAt",
    "-updatedAt",
    "lastName",
    "-lastName",
    "company",
    "email",
)
FILTERS = ("campaignId", "minScore", "source", "status", "q")
KINDS = ("no filter", *FILTERS, "combined")
MAX_PAGE = 100
LIMITS = (50, 200)
DETAIL_REQUESTS = 200
REUSED_REQUESTS = 50
SLOWEST_SHOWN = 5
NEW_CONNECTION_NOTE = (
    "each request timed on a NEW TCP connection (a reused keep-alive connection adds ~40 ms "
    "under streamlit run: Nagle + delayed ACK, fixed separately)"
)


# --------------------------------------------------------------------------- database


@dataclass
class Target:
    engine: str
    url: str  # DATABASE_URL
    version: str
    seeding: str  # what the report says about the seeding


@contextlib.contextmanager
def database(args: argparse.Namespace, workdir: Path) -> Iterator[Target]:
    """The seeded database on ``args.engine``; a PostgreSQL cluster is stopped on exit."""
    version = f"SQLite {sqlite3.sqlite_version}"
    if args.engine == "sqlite":
        path = args.db or workdir / "leads.db"
        found = count_sqlite_leads(path) if path.exists() else 0
        if found >= args.leads:
            yield Target(args.engine, sqlite_url(path), version, f"reused {path} ({found:,} leads)")
            return
        if path.exists():
            sys.exit(f"{path} holds {found:,} leads, fewer than {args.leads:,}: give another --db")
        partial = path.with_name(path.name + ".partial")
        seeding = seed(sqlite_url(partial), args.leads, args.campaigns)
        finish_sqlite(partial, path)
        yield Target(args.engine, sqlite_url(path), version, seeding)
        return
    with postgres_cluster() as cluster:
        create_database(cluster, "leads")
        url = cluster.url("leads")
        seeding = seed(url, args.leads, args.campaigns)
        yield Target(args.engine, url, postgres_version(psycopg_conninfo(url)), seeding)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"


def count_sqlite_leads(path: Path) -> int:
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        try:
            return conn.execute("SELECT count(*) FROM lead").fetchone()[0]
        except sqlite3.DatabaseError:
            return 0


def seed(url: str, leads: int, campaigns: int) -> str:
    """``seed-demo`` into ``url`` (progress on stderr); the timing line for the report."""
    command = ["seed-demo", "--leads", str(leads), "--campaigns", str(campaigns)]
    print(f"seeding: {' '.join(command)} (~4-5 min per million leads on SQLite) ...", flush=True)
    env = {**os.environ, "DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "leads_core", *command],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    seconds = time.perf_counter() - started
    return f"{' '.join(command)}: {seconds:.1f} s ({result.stdout.splitlines()[-1]})"


def finish_sqlite(partial: Path, path: Path) -> None:
    """Fold the WAL into ``partial`` and rename it: a half-seeded file is never reused."""
    with contextlib.closing(sqlite3.connect(partial)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for suffix in ("-wal", "-shm"):
        partial.with_name(partial.name + suffix).unlink(missing_ok=True)
    partial.rename(path)


def pg_analyzed(url: str) -> str:
    """When autovacuum (or anyone) last analyzed the lead table."""
    with psycopg.connect(psycopg_conninfo(url)) as conn:
        row = conn.execute(
            "SELECT greatest(last_analyze, last_autoanalyze) FROM pg_stat_user_tables "
            "WHERE relname = 'lead'"
        ).fetchone()
    return "never" if row is None or row[0] is None else row[0].strftime("%H:%M:%S")


# --------------------------------------------------------------------------- requests


@dataclass(frozen=True)
class Query:
    kind: str
    params: dict[str, str | int]

    @property
    def sort(self) -> str:
        return str(self.params.get("sort", DEFAULT_SORT))

    @property
    def url(self) -> str:
        return f"/v1/leads?{urlencode(self.params)}"


def build_queries(count: int, campaign_ids: list[str], seed: int) -> list[Query]:
    """``count`` list requests, the kinds in turn, everything else drawn from ``seed``."""
    rng = random.Random(seed)
    values: dict[str, Callable[[], str | int]] = {
        "campaignId": lambda: rng.choice(campaign_ids),
        "minScore": lambda: MIN_SCORE,
        "source": lambda: rng.choice(SOURCES),
        "status": lambda: rng.choice(STATUSES),
        "q": lambda: rng.choice(WORDS),
    }
    queries = []
    for i in range(count):
        kind = KINDS[i % len(KINDS)]
        if kind == "combined":
            names = sorted(rng.sample(FILTERS, rng.randint(2, 3)), key=FILTERS.index)
        else:
            names = [kind] if kind in FILTERS else []
        params: dict[str, str | int] = {name: values[name]() for name in names}
        sort = rng.choice(SORTS)
        if sort:
            params["sort"] = sort
        params["page"] = rng.randint(1, MAX_PAGE)
        params["limit"] = rng.choice(LIMITS)
        queries.append(Query(kind, params))
    return queries


@dataclass
class Fetch:
    label: str
    ms: float
    connects: int = 0  # TCP connections opened for the request (httpcore's trace)
    body: Any = None
    error: str | None = None


def fetch(client: httpx.Client, label: str, path: str, params: Any = None) -> Fetch:
    """One timed GET: from sending it to the last byte of the body."""
    connects = 0

    def trace(event: str, _info: dict[str, Any]) -> None:
        nonlocal connects
        connects += event == "connection.connect_tcp.complete"

    started = time.perf_counter()
    try:
        response = client.get(path, params=params, extensions={"trace": trace})
    except httpx.HTTPError as exc:
        ms = (time.perf_counter() - started) * 1000
        return Fetch(label, ms, connects, error=f"{type(exc).__name__}: {exc}")
    ms = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        error = f"HTTP {response.status_code}: {response.text[:300]}"
        return Fetch(label, ms, connects, error=error)
    return Fetch(label, ms, connects, response.json())


def api_client(base_url: str, key: str, *, keep_alive: bool) -> httpx.Client:
    """Without ``keep_alive`` no connection is pooled: every request opens a new one."""
    limits = httpx.Limits() if keep_alive else httpx.Limits(max_keepalive_connections=0)
    return httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=120, limits=limits
    )


@dataclass
class Results:
    total: int = 0
    campaigns: int = 0
    lists: list[tuple[Query, Fetch]] = field(default_factory=list)
    details: list[Fetch] = field(default_factory=list)
    reused: list[Fetch] = field(default_factory=list)
    analyzed: list[str] = field(default_factory=list)  # PostgreSQL: before, after
    problems: list[str] = field(default_factory=list)

    def check(self, fetched: Fetch, what: str) -> Fetch:
        if fetched.error:
            self.problems.append(f"{what}: {fetched.error}")
        return fetched


def run_requests(base_url: str, key: str, args: argparse.Namespace, results: Results) -> None:
    with api_client(base_url, key, keep_alive=False) as client:
        campaigns = results.check(fetch(client, "campaigns", "/v1/campaigns"), "/v1/campaigns")
        warm_up = results.check(fetch(client, "warm-up", "/v1/leads", {"limit": 200}), "warm-up")
        if campaigns.error or warm_up.error:
            return
        campaign_ids = [c["id"] for c in campaigns.body["campaigns"]]
        results.campaigns, results.total = len(campaign_ids), warm_up.body["total"]
        queries = build_queries(args.requests, campaign_ids, SEED)
        print(f"timing {len(queries)} list requests ...", flush=True)
        for query in queries:
            fetched = results.check(fetch(client, query.kind, "/v1/leads", query.params), query.url)
            if not fetched.error and not isinstance(fetched.body.get("leads"), list):
                results.problems.append(f"{query.url}: no leads list in {fetched.body!r:.200}")
            results.lists.append((query, fetched))
        pages = [warm_up.body, *(f.body for _, f in results.lists if f.body)]
        seen = sorted({lead["id"] for page in pages for lead in page["leads"]})
        ids = random.Random(SEED).sample(seen, min(DETAIL_REQUESTS, len(seen)))
        print(f"timing {len(ids)} detail requests ...", flush=True)
        for lead_id in ids:
            path = f"/v1/leads/{lead_id}"
            results.details.append(results.check(fetch(client, "detail", path), path))
    with api_client(base_url, key, keep_alive=True) as client:
        for query, _ in results.lists[:REUSED_REQUESTS]:
            fetched = fetch(client, query.kind, "/v1/leads", query.params)
            results.reused.append(results.check(fetched, f"reused connection {query.url}"))
    check_connections(results)


def check_connections(results: Results) -> None:
    """Each timed request opened one connection; the keep-alive series opened one in all."""
    fresh = [f for _, f in results.lists] + results.details
    if any(f.connects != 1 for f in fresh):
        opened = sum(f.connects for f in fresh)
        results.problems.append(f"{len(fresh)} requests opened {opened} connections, not one each")
    opened = sum(f.connects for f in results.reused)
    if results.reused and opened != 1:
        results.problems.append(f"the keep-alive requests opened {opened} connections, not 1")


def run_server(target: Target, args: argparse.Namespace, workdir: Path) -> Results:
    env = {**os.environ, "DATABASE_URL": target.url, "PYTHONUNBUFFERED": "1"}
    port = free_port()
    print(f"starting streamlit run app.py on port {port} ({target.engine}) ...", flush=True)
    proc = start_server(env, port, workdir / "server.log")
    results = Results()
    try:
        key = cli(env, "create-api-key", "list-bench")
        if target.engine == "postgresql":
            results.analyzed.append(pg_analyzed(target.url))
        run_requests(f"http://127.0.0.1:{port}", key, args, results)
        if target.engine == "postgresql":
            results.analyzed.append(pg_analyzed(target.url))
    finally:
        stop_app(proc)
    log = (workdir / "server.log").read_text(errors="replace")
    if "Traceback" in log:
        results.problems.append("server log has a Traceback:\n" + log[-4000:])
    return results


# --------------------------------------------------------------------------- report


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def row(label: str, fetches: list[Fetch]) -> str:
    ms = [f.ms for f in fetches]
    if not ms:
        return f"{label:34} {0:>5}"
    return (
        f"{label:34} {len(ms):>5} {statistics.median(ms):>8.1f} {percentile(ms, 95):>8.1f} "
        f"{max(ms):>8.1f}"
    )


def report(target: Target, results: Results, load: float) -> None:
    lists = [f for _, f in results.lists]
    print()
    print(
        f"engine: {target.engine} ({target.version}); N = {results.total:,} leads in "
        f"{results.campaigns} campaigns"
    )
    print(
        f"python {platform.python_version()}, streamlit {streamlit.__version__}, fastapi "
        f"{fastapi.__version__}, sqlalchemy {sqlalchemy.__version__}, httpx {httpx.__version__}"
        + (f", psycopg {psycopg.__version__}" if target.engine == "postgresql" else "")
        + f"; {os.cpu_count()} cores, load {load:.2f} at start, {os.getloadavg()[0]:.2f} at end"
    )
    print(f"seeding: {target.seeding}")
    if results.analyzed:
        print(
            "PostgreSQL statistics of lead (autovacuum, no manual ANALYZE): last analyzed "
            f"{results.analyzed[0]} before the timed requests, {results.analyzed[-1]} after"
        )
    print(f"timing: {NEW_CONNECTION_NOTE}")
    print()
    print(f"{'ms':34} {'n':>5} {'p50':>8} {'p95':>8} {'max':>8}")
    print(row("GET /v1/leads, all", lists))
    print("  by kind:")
    for kind in KINDS:
        print(row(f"  {kind}", [f for q, f in results.lists if q.kind == kind]))
    print("  by sort:")
    for sort in (s or DEFAULT_SORT for s in SORTS):
        print(row(f"  {sort}", [f for q, f in results.lists if q.sort == sort]))
    print(row("GET /v1/leads/{id}", results.details))
    reused, same = results.reused, lists[: len(results.reused)]
    if reused:
        print(
            f"one reused keep-alive connection, the first {len(reused)} list requests: p50 "
            f"{statistics.median(f.ms for f in reused):.1f} ms (on new connections: "
            f"{statistics.median(f.ms for f in same):.1f} ms)"
        )
    slowest = sorted(results.lists, key=lambda qf: qf[1].ms, reverse=True)[:SLOWEST_SHOWN]
    print("slowest list requests:")
    for query, fetched in slowest:
        total = fetched.body["total"] if fetched.body else "?"
        print(f"  {fetched.ms:8.1f} ms  {query.url}  (total {total})")


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=ENGINES, default="sqlite")
    parser.add_argument("--leads", type=int, default=1_000_000, help="default 1000000")
    parser.add_argument("--campaigns", type=int, default=20, help="default 20")
    parser.add_argument("--requests", type=int, default=500, help="list requests (default 500)")
    parser.add_argument("--db", type=Path, help="SQLite file to reuse (or seed and keep)")
    args = parser.parse_args(argv)
    if args.db and args.engine != "sqlite":
        parser.error("--db is an SQLite file: only with --engine sqlite")
    if args.leads < 1 or args.campaigns < 1 or args.requests < 1:
        parser.error("--leads, --campaigns and --requests must be at least 1")

    load = os.getloadavg()[0]
    workdir = Path(tempfile.mkdtemp(prefix="leads-list-bench-"))
    try:
        with database(args, workdir) as target:
            results = run_server(target, args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    report(target, results, load)
    for problem in results.problems:
        print(f"FAILED: {problem}")
    return 1 if results.problems else 0


if __name__ == "__main__":
    sys.exit(main())
