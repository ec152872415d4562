"""List benchmark: ``GET /v1/leads`` (filters, sorts, pages) and ``GET /v1/leads/{id}`` over
real HTTP on N demo leads.

    .venv/bin/python -m bench.list_bench [--engine sqlite|postgresql] [--leads 1000000]
        [--campaigns 20] [--requests 500] [--db PATH] [--peer datasette]

1. Database: ``DATABASE_URL=... python -m leads_core seed-demo --leads N --campaigns K``,
   timed (wall time of the command: Python's start, the schema, the bulk import). SQLite:
   a file in a temporary folder, or ``--db PATH``, reused when it already holds N leads or
   more (no seeding then), else seeded into ``PATH.partial`` and renamed when done (kept).
   PostgreSQL: a throwaway cluster (``tests.support.pgcluster``; durability off) and a new
   database, stopped at the end. Nobody runs ANALYZE: PostgreSQL's planner statistics are
   whatever autovacuum made; the report says whether it had analyzed the table.
2. Starts the product as a user does, ``streamlit run app.py`` on a free port on that
   database, makes an API key with the CLI, reads the campaign ids (``GET /v1/campaigns``)
   and sends one untimed warm-up request.
3. Sends ``--requests`` ``GET /v1/leads`` built from a fixed seed, the kinds in turn: no
   filter, ``campaignId`` (a real one), ``minScore=85``, ``source``, ``status``, ``q`` (names
   and company words found in the demo data, ``leads_core.ingest.demo``), and 2-3 of those
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

6. ``--peer datasette`` (SQLite only) answers the same list requests with Datasette's JSON
   API on the same file, side by side in the same run: ``datasette serve --immutable FILE``
   from the bench-only virtualenv ``bench/.venv-peer`` (``python3 -m venv bench/.venv-peer
   && bench/.venv-peer/bin/pip install -r bench/requirements-peer.txt``), started after the
   app, with ``DATASETTE_SETTINGS``. Each of our requests is followed by its Datasette
   twin, on a new connection too; each ``GET /v1/leads/{id}`` by ``/DB/lead/ID.json``. The
   translation (``datasette_params``):

   - campaignId, minScore, source, status -> ``campaign_id=``, ``quality_score__gte=85``,
     ``source=``, ``status=``; the columns of ``LeadPublic`` with ``_col=``; ``_size=`` our
     limit.
   - q -> one ``search_text__contains=WORD`` (``search_text LIKE '%WORD%'``) per folded
     word: the same rows as ours, but Datasette scans ``lead`` for them where ours reads
     the FTS5 trigram index ``lead_search``. (Datasette does not detect that index as a
     search index of ``lead``: its ``_search=`` is ignored on this table.)
   - sort -> ``_sort=``/``_sort_desc=`` on the same column. Differences: the name sorts
     (lastName, company, email) use the plain column, ours ``lower(column)``; ascending,
     SQLite puts NULLs first where ours says NULLS LAST (so those pages hold other rows);
     Datasette's tie-break is ``id`` ascending in both directions, ours follows the sort,
     and its first page has no tie-break at all.
   - page P > 1 -> ``_next=`` a keyset token (sort value, id), as Datasette's own "next"
     link would carry: the last row of an untimed look-up (``_size=`` (P-1) x limit, from
     a token before the first row, so in the keyset's order; ``_nocount``), checked
     against Datasette's ``next`` when it has one. So Datasette seeks to page P
     (``WHERE (col < :v OR (col = :v AND id > :id))``) where ours skips (P-1) x limit rows
     with OFFSET: the same rows (apart from the above), not the same work.

   Checked: HTTP 200 and a ``rows`` list; the report says on how many pages the row
   counts and ids agree with ours, how ``filtered_table_rows_count`` compares with our
   ``total`` (null when its count is interrupted by ``sql_time_limit_ms``), Datasette's
   slowest requests and those where it is furthest ahead of ours, with its SQL.

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

import fastapi
import httpx
import psycopg
import sqlalchemy
import streamlit

from bench.import_bench import (
    ENGINES,
    cli,
    create_database,
    postgres_cluster,
    postgres_version,
    psycopg_conninfo,
    start_server,
)
from leads_core.schemas import LeadPublic
from leads_core.services.queries import DEFAULT_SORT as API_DEFAULT_SORT
from leads_core.services.queries import SORTABLE
from leads_core.text import fold
from tests.support.devserver import NO_RATE_LIMIT, free_port, stop_app

REPO = Path(__file__).resolve().parent.parent

SEED = 11
MIN_SCORE = 85
SOURCES = ("linkedin", "website", "referral", "event", "instagram", "webinar", "purchased_list")
STATUSES = ("new", "contacted", "replied", "qualified", "converted", "rejected")
WORDS = (  # first and last names, company and mail words of leads_core.ingest.demo; folded like q
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
    path: Path | None = None  # the SQLite file


@contextlib.contextmanager
def database(args: argparse.Namespace, workdir: Path) -> Iterator[Target]:
    """The seeded database on ``args.engine``; a PostgreSQL cluster is stopped on exit."""
    version = f"SQLite {sqlite3.sqlite_version}"
    if args.engine == "sqlite":
        path = args.db or workdir / "leads.db"
        found = count_sqlite_leads(path) if path.exists() else 0
        if found >= args.leads:
            seeding = f"reused {path} ({found:,} leads)"
            yield Target(args.engine, sqlite_url(path), version, seeding, path)
            return
        if path.exists():
            sys.exit(f"{path} holds {found:,} leads, fewer than {args.leads:,}: give another --db")
        partial = path.with_name(path.name + ".partial")
        seeding = seed(sqlite_url(partial), args.leads, args.campaigns)
        finish_sqlite(partial, path)
        yield Target(args.engine, sqlite_url(path), version, seeding, path)
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


def api_client(base_url: str, key: str | None, *, keep_alive: bool) -> httpx.Client:
    """Without ``keep_alive`` no connection is pooled: every request opens a new one."""
    limits = httpx.Limits() if keep_alive else httpx.Limits(max_keepalive_connections=0)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(base_url=base_url, headers=headers, timeout=120, limits=limits)


@dataclass
class PeerResults:
    """Datasette's answers, in the order of ``Results.lists`` and ``Results.details``."""

    version: str = ""
    lists: list[Fetch] = field(default_factory=list)
    details: list[Fetch] = field(default_factory=list)
    cursor_seconds: float = 0.0  # the untimed _next look-ups
    cursors: int = 0


@dataclass
class Results:
    total: int = 0
    campaigns: int = 0
    lists: list[tuple[Query, Fetch]] = field(default_factory=list)
    details: list[Fetch] = field(default_factory=list)
    reused: list[Fetch] = field(default_factory=list)
    analyzed: list[str] = field(default_factory=list)  # PostgreSQL: before, after
    problems: list[str] = field(default_factory=list)
    peer: PeerResults | None = None

    def check(self, fetched: Fetch, what: str) -> Fetch:
        if fetched.error:
            self.problems.append(f"{what}: {fetched.error}")
        return fetched


def run_requests(
    base_url: str, key: str, args: argparse.Namespace, results: Results, peer: Peer | None
) -> None:
    """Our requests, each followed by its Datasette twin when there is a ``peer``."""
    with api_client(base_url, key, keep_alive=False) as client:
        campaigns = results.check(fetch(client, "campaigns", "/v1/campaigns"), "/v1/campaigns")
        warm_up = results.check(fetch(client, "warm-up", "/v1/leads", {"limit": 200}), "warm-up")
        if campaigns.error or warm_up.error:
            return
        campaign_ids = [c["id"] for c in campaigns.body["campaigns"]]
        results.campaigns, results.total = len(campaign_ids), warm_up.body["total"]
        queries = build_queries(args.requests, campaign_ids, SEED)
        cursors = peer.cursors(queries, results) if peer else []
        print(f"timing {len(queries)} list requests ...", flush=True)
        for i, query in enumerate(queries):
            fetched = results.check(fetch(client, query.kind, "/v1/leads", query.params), query.url)
            if not fetched.error and not isinstance(fetched.body.get("leads"), list):
                results.problems.append(f"{query.url}: no leads list in {fetched.body!r:.200}")
            results.lists.append((query, fetched))
            if peer:
                peer.list_page(query, cursors[i], results)
        pages = [warm_up.body, *(f.body for _, f in results.lists if f.body)]
        seen = sorted({lead["id"] for page in pages for lead in page["leads"]})
        ids = random.Random(SEED).sample(seen, min(DETAIL_REQUESTS, len(seen)))
        print(f"timing {len(ids)} detail requests ...", flush=True)
        for lead_id in ids:
            path = f"/v1/leads/{lead_id}"
            results.details.append(results.check(fetch(client, "detail", path), path))
            if peer:
                peer.detail(lead_id, results)
    with api_client(base_url, key, keep_alive=True) as client:
        for query, _ in results.lists[:REUSED_REQUESTS]:
            fetched = fetch(client, query.kind, "/v1/leads", query.params)
            results.reused.append(results.check(fetched, f"reused connection {query.url}"))
    check_connections(results)


def check_connections(results: Results) -> None:
    """Each timed request opened one connection; the keep-alive series opened one in all."""
    fresh = [f for _, f in results.lists] + results.details
    if results.peer:
        fresh += results.peer.lists + results.peer.details
    if any(f.connects != 1 for f in fresh):
        opened = sum(f.connects for f in fresh)
        results.problems.append(f"{len(fresh)} requests opened {opened} connections, not one each")
    opened = sum(f.connects for f in results.reused)
    if results.reused and opened != 1:
        results.problems.append(f"the keep-alive requests opened {opened} connections, not 1")


def run_server(target: Target, args: argparse.Namespace, workdir: Path) -> Results:
    # The rate limit off: the benchmark's requests are the load, not abuse (README).
    env = {**os.environ, "DATABASE_URL": target.url, "PYTHONUNBUFFERED": "1", **NO_RATE_LIMIT}
    port = free_port()
    print(f"starting streamlit run app.py on port {port} ({target.engine}) ...", flush=True)
    proc = start_server(env, port, workdir / "server.log")
    results = Results()
    try:
        key = cli(env, "create-api-key", "list-bench")  # written before Datasette opens the file
        if target.engine == "postgresql":
            results.analyzed.append(pg_analyzed(target.url))
        with contextlib.ExitStack() as stack:
            peer = None
            if args.peer:
                assert target.path is not None  # --peer is for SQLite only
                peer = stack.enter_context(datasette(target.path, workdir, results))
            run_requests(f"http://127.0.0.1:{port}", key, args, results, peer)
        if target.engine == "postgresql":
            results.analyzed.append(pg_analyzed(target.url))
    finally:
        stop_app(proc)
    for name in ("server.log", "datasette.log"):
        log_path = workdir / name
        log = log_path.read_text(errors="replace") if log_path.exists() else ""
        if "Traceback" in log:
            results.problems.append(f"{name} has a Traceback:\n" + log[-4000:])
    return results


# --------------------------------------------------------------------------- peer: Datasette

PEER_VENV = REPO / "bench" / ".venv-peer"
DATASETTE = PEER_VENV / "bin" / "datasette"
DATASETTE_SETTINGS = {  # num_sql_threads stays at its default, 3: requests come one by one
    "sql_time_limit_ms": 60_000,  # default 1,000: every page and its count must be answered
    "suggest_facets": "off",  # default on: facet suggestions on first pages, no twin in ours
    "max_returned_rows": MAX_PAGE * max(LIMITS),  # default 1,000: for the untimed look-ups
}
PEER_START_DEADLINE_S = 120.0
FILTER_COLUMNS = (  # our filter -> Datasette's
    ("campaignId", "campaign_id"),
    ("minScore", "quality_score__gte"),
    ("source", "source"),
    ("status", "status"),
)
SORT_COLUMNS = {name: column.key for name, column in SORTABLE.items()}
LIST_COLUMNS = tuple(name for name in LeadPublic.model_fields if name != "id")  # id: always
AFTER_ALL = "\U0010ffff"  # above any value in SQLite (text sorts after numbers)
_TILDE_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def tilde_encode(text: str) -> str:
    """Datasette's encoding of a value in a ``_next`` token or a path (its ``tilde_encode``)."""
    return "".join(
        chr(b) if b in _TILDE_SAFE else "+" if b == 0x20 else f"~{b:02X}" for b in text.encode()
    )


def sort_column(query: Query) -> tuple[str, bool]:
    """The column the query sorts by and whether it is descending."""
    sort = str(query.params.get("sort", API_DEFAULT_SORT))
    return SORT_COLUMNS[sort.lstrip("-")], sort.startswith("-")


def datasette_params(query: Query) -> list[tuple[str, str | int]]:
    """Datasette's filters and sort for one of our list requests (see the docstring)."""
    params = [
        (column, query.params[name]) for name, column in FILTER_COLUMNS if name in query.params
    ]
    words = fold(str(query.params.get("q", ""))).split()  # as queries.filter_clauses splits q
    params += [("search_text__contains", word) for word in words]
    column, descending = sort_column(query)
    params.append(("_sort_desc" if descending else "_sort", column))
    return params


def keyset_token(value: Any, lead_id: str) -> str:
    """Datasette's ``_next`` after a row: its sort value (``$null`` for NULL) and its id."""
    return f"{'$null' if value is None else tilde_encode(str(value))},{tilde_encode(lead_id)}"


class Peer:
    """Requests to a running Datasette; each answer goes to ``results.peer``."""

    def __init__(self, client: httpx.Client, database: str, results: PeerResults) -> None:
        self.client = client
        self.table = f"/{tilde_encode(database)}/lead"
        self.results = results

    def cursors(self, queries: list[Query], results: Results) -> list[str | None]:
        """Each query's ``_next`` token (None for page 1), looked up untimed."""
        print(f"looking up Datasette's _next tokens for {len(queries)} pages ...", flush=True)
        started = time.perf_counter()
        cursors = [self.cursor(query, results) for query in queries]
        self.results.cursor_seconds = time.perf_counter() - started
        return cursors

    def cursor(self, query: Query, results: Results) -> str | None:
        """The token after the last row of page P - 1: the last of ``_size=(P-1) x limit``
        rows read from a token before the first row, so in the keyset's order."""
        skipped = (int(query.params["page"]) - 1) * int(query.params["limit"])
        if not skipped:
            return None
        column, descending = sort_column(query)
        params = [
            *datasette_params(query),
            ("_col", column),
            ("_size", skipped),
            ("_nocount", 1),
            ("_shape", "objects"),
            ("_next", keyset_token(AFTER_ALL if descending else None, "")),
        ]
        fetched = fetch(self.client, "cursor", f"{self.table}.json", params)
        results.check(fetched, f"Datasette's _next for {query.url}")
        self.results.cursors += 1
        rows = fetched.body["rows"] if fetched.body else []
        if not rows:
            return None  # no row matches: its first page is as empty as page P
        token = keyset_token(rows[-1][column], rows[-1]["id"])
        if fetched.body["next"] not in (None, token):
            results.problems.append(
                f"{query.url}: our _next {token!r}, Datasette's {fetched.body['next']!r}"
            )
        return token

    def list_page(self, query: Query, cursor: str | None, results: Results) -> None:
        params = [
            *datasette_params(query),
            *(("_col", column) for column in LIST_COLUMNS),
            ("_size", query.params["limit"]),
            ("_shape", "objects"),
            *([("_next", cursor)] if cursor else []),
        ]
        fetched = fetch(self.client, query.kind, f"{self.table}.json", params)
        results.check(fetched, f"Datasette for {query.url}")
        if not fetched.error and not isinstance(fetched.body.get("rows"), list):
            results.problems.append(f"Datasette for {query.url}: no rows in {fetched.body!r:.200}")
        self.results.lists.append(fetched)

    def detail(self, lead_id: str, results: Results) -> None:
        path = f"{self.table}/{tilde_encode(lead_id)}.json"
        fetched = results.check(fetch(self.client, "detail", path, {"_shape": "objects"}), path)
        if not fetched.error and len(fetched.body.get("rows") or []) != 1:
            results.problems.append(f"Datasette {path}: not one row in {fetched.body!r:.200}")
        self.results.details.append(fetched)


@contextlib.contextmanager
def datasette(path: Path, workdir: Path, results: Results) -> Iterator[Peer]:
    """``datasette serve --immutable`` on ``path`` and a free port, warmed up; stopped on exit."""
    port = free_port()
    command = [str(DATASETTE), "serve", "--immutable", str(path), "--host", "127.0.0.1"]
    command += ["--port", str(port)]
    for name, value in DATASETTE_SETTINGS.items():
        command += ["--setting", name, str(value)]
    print(f"starting datasette serve --immutable on port {port} ...", flush=True)
    with (workdir / "datasette.log").open("wb") as log:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        with api_client(f"http://127.0.0.1:{port}", None, keep_alive=False) as client:
            versions = wait_datasette(proc, client)
            routes = [
                d["route"]
                for d in client.get("/-/databases.json").json()
                if Path(d["path"]).resolve() == path.resolve()
            ]
            results.peer = PeerResults(
                f"Datasette {versions['datasette']['version']} "
                f"(SQLite {versions['sqlite']['version']})"
            )
            peer = Peer(client, routes[0], results.peer)
            warm_up = {"_size": 200, "_sort_desc": "created_at", "_shape": "objects"}
            results.check(fetch(client, "warm-up", f"{peer.table}.json", warm_up), "Datasette")
            yield peer
    finally:
        stop_app(proc)


def wait_datasette(proc: subprocess.Popen[bytes], client: httpx.Client) -> dict[str, Any]:
    """Poll ``/-/versions.json`` until Datasette answers; its versions."""
    deadline = time.monotonic() + PEER_START_DEADLINE_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"datasette exited with code {proc.returncode}")
        with contextlib.suppress(httpx.TransportError):
            response = client.get("/-/versions.json")
            if response.status_code == 200:
                return response.json()
        time.sleep(0.2)  # polling, bounded by the deadline
    raise RuntimeError(f"datasette not answering after {PEER_START_DEADLINE_S:.0f} s")


# --------------------------------------------------------------------------- report


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def p50(fetches: list[Fetch]) -> float:
    return statistics.median(f.ms for f in fetches)


def cells(fetches: list[Fetch]) -> str:
    ms = [f.ms for f in fetches]
    return f"{statistics.median(ms):>8.1f} {percentile(ms, 95):>8.1f} {max(ms):>8.1f}"


def row(label: str, fetches: list[Fetch], peer: list[Fetch] | None = None) -> str:
    """n, p50, p95 and max; with ``peer``, Datasette's and the ratio of the p50s."""
    if not fetches:
        return f"{label:34} {0:>5}"
    line = f"{label:34} {len(fetches):>5} {cells(fetches)}"
    if peer:
        line += f"  | {cells(peer)} {p50(fetches) / p50(peer):>7.2f}"
    return line


def pick(results: Results, keep: Callable[[Query], bool]) -> tuple[list[Fetch], list[Fetch]]:
    """The list requests ``keep`` selects: ours, and Datasette's twins (or none)."""
    peer = results.peer.lists if results.peer else [None] * len(results.lists)
    chosen = [(f, p) for (q, f), p in zip(results.lists, peer, strict=True) if keep(q)]
    return [f for f, _ in chosen], [p for _, p in chosen if p]


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
    if results.peer:
        report_peer_setup(results.peer)
    print()
    header = f"{'ms':34} {'n':>5} {'p50':>8} {'p95':>8} {'max':>8}"
    if results.peer:
        print(f"{'':40} {'ours':^26}  | {'Datasette (its twin request)':^26} {'p50':>7}")
        header += f"  | {'p50':>8} {'p95':>8} {'max':>8} {'ours/ds':>7}"
    print(header)
    print(row("GET /v1/leads, all", *pick(results, lambda q: True)))
    print("  by kind:")
    for kind in KINDS:
        print(row(f"  {kind}", *pick(results, lambda q, kind=kind: q.kind == kind)))
    print("  by sort:")
    for sort in (s or DEFAULT_SORT for s in SORTS):
        print(row(f"  {sort}", *pick(results, lambda q, sort=sort: q.sort == sort)))
    print(
        row("GET /v1/leads/{id}", results.details, results.peer.details if results.peer else None)
    )
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
    if results.peer:
        report_peer_results(results)


def report_peer_setup(peer: PeerResults) -> None:
    settings = " ".join(f"{name}={value}" for name, value in DATASETTE_SETTINGS.items())
    print(
        f"peer: {peer.version}: datasette serve --immutable FILE --setting {settings} (others "
        "at their defaults: num_sql_threads=3); each of our requests is followed by its "
        "Datasette twin, on a new connection too"
    )
    for line in (
        "campaign_id=, quality_score__gte=85, source=, status=; q -> search_text__contains=WORD",
        "  per word (LIKE, a scan of lead; ours reads the FTS5 trigram index)",
        "_sort=/_sort_desc= the plain column (ours lower() for names); NULLs first ascending",
        "  (ours last); ties by id ascending, none on Datasette's page 1",
        "page P -> _next= keyset token (ours OFFSET); _col= the list's columns; _size= limit",
        f"{peer.cursors} _next tokens looked up untimed in {peer.cursor_seconds:.1f} s",
    ):
        print(f"  twin: {line}")


def report_peer_results(results: Results) -> None:
    """How Datasette's pages and counts compare with ours, and its slowest requests."""
    assert results.peer is not None
    pairs = [
        (q, f.body, p.body)
        for (q, f), p in zip(results.lists, results.peer.lists, strict=True)
        if f.body and p.body
    ]
    same_count = sum(len(ours["leads"]) == len(ds["rows"]) for _, ours, ds in pairs)
    other_ids: dict[str, int] = {}
    for query, ours, ds in pairs:
        if [lead["id"] for lead in ours["leads"]] != [r["id"] for r in ds["rows"]]:
            other_ids[query.sort] = other_ids.get(query.sort, 0) + 1
    counts = [(ours["total"], ds["filtered_table_rows_count"]) for _, ours, ds in pairs]
    print(
        f"Datasette pages: {len(pairs)} answered; as many rows as ours on {same_count}; the "
        f"same ids in the same order on {len(pairs) - sum(other_ids.values())}"
    )
    if other_ids:
        by_sort = ", ".join(f"{sort} {n}" for sort, n in sorted(other_ids.items()))
        print(f"  pages with other ids or order, by sort: {by_sort}")
    print(
        "  filtered_table_rows_count vs our total: equal on "
        f"{sum(ours == ds for ours, ds in counts)}, null (count interrupted) on "
        f"{sum(ds is None for _, ds in counts)}, different on "
        f"{sum(ds is not None and ours != ds for ours, ds in counts)}"
    )
    twins = sorted(
        zip(results.lists, results.peer.lists, strict=True), key=lambda t: t[1].ms, reverse=True
    )
    print("slowest Datasette list requests (ours beside):")
    for (query, ours), ds in twins[:SLOWEST_SHOWN]:
        print(f"  {ds.ms:8.1f} ms (ours {ours.ms:.1f})  {query.url}\n      {datasette_sql(ds)}")
    twins.sort(key=lambda t: t[0][1].ms - t[1].ms, reverse=True)
    print("where Datasette is furthest ahead of ours:")
    for (query, ours), ds in twins[:SLOWEST_SHOWN]:
        print(
            f"  {ours.ms - ds.ms:+8.1f} ms (ours {ours.ms:.1f}, Datasette {ds.ms:.1f})  "
            f"{query.url}\n      {datasette_sql(ds)}"
        )


def datasette_sql(fetched: Fetch) -> str:
    """The SQL of Datasette's page (its JSON says it), the column list left out."""
    if not fetched.body:
        return str(fetched.error)
    return "select ... from " + fetched.body["query"]["sql"].split(" from ", 1)[1]


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The options, checked (growth_bench.py builds its runs with this too)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=ENGINES, default="sqlite")
    parser.add_argument("--leads", type=int, default=1_000_000, help="default 1000000")
    parser.add_argument("--campaigns", type=int, default=20, help="default 20")
    parser.add_argument("--requests", type=int, default=500, help="list requests (default 500)")
    parser.add_argument("--db", type=Path, help="SQLite file to reuse (or seed and keep)")
    parser.add_argument(
        "--peer", choices=("datasette",), help="the same requests to Datasette, side by side"
    )
    args = parser.parse_args(argv)
    if args.db and args.engine != "sqlite":
        parser.error("--db is an SQLite file: only with --engine sqlite")
    if args.peer and args.engine != "sqlite":
        parser.error("--peer datasette reads the SQLite file: only with --engine sqlite")
    if args.peer and not DATASETTE.exists():
        parser.error(
            f"no {DATASETTE}: python3 -m venv {PEER_VENV} && {PEER_VENV}/bin/pip install "
            f"-r {REPO / 'bench' / 'requirements-peer.txt'}"
        )
    if args.leads < 1 or args.campaigns < 1 or args.requests < 1:
        parser.error("--leads, --campaigns and --requests must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
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
