"""Import benchmark: N realistic leads through the product's CSV import, against two floors.

    .venv/bin/python -m bench.import_bench [--rows 100000] [--engine sqlite|postgresql]
        [--existing 0] [--request-rows K] [--keep]

``--engine`` picks the database of every side (default ``sqlite``): ``postgresql`` starts a
throwaway PostgreSQL cluster (``tests.support.pgcluster``, Debian's server; durability off)
with three databases (the API's, the bare floor's, the schema floor's), stopped at the end.

1. **Data.** N demo leads (``leads_core.demo.demo_lead``, seed ``SEED``, ~1% repeated with
   the email upper-cased, as real exports repeat people) in CSV files of at most 9.5 MB
   each, so every request stays under the 10 MB upload limit; ``--request-rows K`` also
   caps a file at K rows (more, smaller requests).
2. **Existing leads** (``--existing N``, default 0). Before anything is timed, the API's
   database and the schema floor's both hold N leads in another campaign
   (``cmp_existing``), to measure imports into a big table: N rows of another seed, read
   and prepared by the product's own code as in 4, written as in 4 in 100,000-row
   transactions into the API's database (migrated by ``init_db`` first), which is then
   copied for the schema floor (SQLite: the file; PostgreSQL: ``CREATE DATABASE ...
   TEMPLATE``). The fill's time is printed, and is in no figure. The bare floor always
   writes into an empty table.
3. **Full import (API).** ``streamlit run app.py`` as a user runs it, on a free port of
   127.0.0.1 with the API's ``DATABASE_URL``; the CLI makes an API key and the campaign;
   ``POST /v1/leads`` creates one lead to edit (``edit-target@bench.example``). Then the
   files are POSTed one after another to ``/v1/leads/import/csv`` and timed end to end
   (upload, parse, validate, dedupe, enrich, score, insert, commit, response); each
   answer's ``Server-Timing`` gives ``prepare`` (rows prepared, no transaction open) and
   ``write`` (how long the write transaction - the database's write lock - was open).
   Meanwhile a thread on its own connection sends ``PATCH /v1/leads/{id}`` to that lead
   every 200 ms (start to start; right after a slower one), from just before the first
   import request until the last one's response: each latency is kept, each must be 200.
   The app's peak memory (``VmHWM`` of the streamlit process, and of its descendants, the
   import pool's workers, in MiB) is read just before it is stopped.
4. **Schema floor.** The same files, read (``files.reading.read_upload``) and prepared
   (``ingest.prepare.prepare``: validated, keyed, enriched, scored) by the product's own
   code, repeats dropped as the product drops them (first wins, by email or LinkedIn key,
   across the files too), sorted as the product inserts them - all untimed. Timed, one
   transaction per file as the API has one per request: an ``import_batch`` row, an
   ``executemany`` of the rows (``ingest.writing.INSERTED``) into the product's own
   ``lead`` table with all its indexes (a database migrated by ``init_db``, the campaign
   made by ``services.campaigns.create_campaign``), their ``created`` history in
   ``lead_activity``, and on SQLite the search index (``lead_search``) filled from them;
   PostgreSQL's trigram index fills itself. SQLite: ``sqlite3`` with the product's pragmas
   (WAL, ``synchronous=NORMAL``, 64 MiB cache, foreign keys); PostgreSQL: psycopg 3's
   ``executemany`` of a plain INSERT. Its per-file times are what each request's write
   lock is compared with.
5. **Bare floor.** ``pandas.read_csv`` (every column as text) and an ``executemany`` of the
   rows into one fresh table with a unique index on (campaign_id, email), one transaction:
   ``sqlite3`` into a fresh WAL-mode file (``INSERT OR IGNORE``), or psycopg 3 into its
   PostgreSQL database (``ON CONFLICT DO NOTHING``). It neither validates, normalizes,
   scores nor dedupes beyond that index (it keeps the upper-cased repeats); its time
   covers connecting, the table, reading and inserting.
6. **Report.** Seconds and rows/s (of N rows) of each, as a multiple of the schema floor;
   per request its rows, API seconds, prepare and write (lock) seconds, the schema floor's
   seconds for that file and lock / floor; the edits' count, p50, p95 and max; the app's
   peak memory; the stored counts; and the targets: full import >= 10,000 rows/s, full
   import <= 2x the schema floor, each request's lock <= 1.2x its file's schema floor, the
   longest edit <= 5 s.

Exit status 1 when a stored count is wrong (``total`` of ``GET /v1/leads`` less the edited
lead, or the schema floor's), an import request or a PATCH fails, or the server log has a
Traceback; the targets are reported, not enforced.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import itertools
import json
import math
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import psycopg
from sqlalchemy import create_engine, make_url, text
from sqlmodel import Session

from leads_core.files.headers import LEAD_FIELDS
from leads_core.files.reading import read_upload
from leads_core.ids import new_id, new_ids
from leads_core.ingest.demo import demo_lead
from leads_core.ingest.prepare import Job, Ready, prepare
from leads_core.ingest.writing import INSERTED
from leads_core.schemas import CampaignCreate
from leads_core.scoring.criteria import CampaignCriteria
from leads_core.services import campaigns
from leads_core.storage.db import init_db, make_engine
from tests.support.devserver import NO_RATE_LIMIT, free_port, start_app, stop_app, wait_healthy
from tests.support.pgcluster import PgCluster, start_cluster

REPO = Path(__file__).resolve().parent.parent

ENGINES = ("sqlite", "postgresql")

COLUMNS = tuple(f for f in LEAD_FIELDS if f != "notes")  # what demo leads carry
MAX_FILE_BYTES = 9_500_000  # under 10 MB however MB is counted, with room for the form
MAX_FILE_ROWS = 100_000  # LEADS_MAX_IMPORT_ROWS default
DUPLICATE_RATE = 0.01
SEED = 7
EXISTING_SEED = SEED + 1
CAMPAIGN = "cmp_bench"
EXISTING_CAMPAIGN = "cmp_existing"
CRITERIA: dict[str, list[str]] = {
    "targetPositions": ["CTO", "VP Engineering", "Head of Data"],
    "targetSources": ["linkedin", "referral"],
    "requiredFields": ["phone"],
}
REGION = "FR"  # LEADS_PHONE_REGION default, which the app runs with
FILL_ROWS = 100_000  # rows per transaction of the --existing fill
EDIT_EMAIL = "edit-target@bench.example"
EDIT_INTERVAL_S = 0.2
START_DEADLINE_S = 60.0
SQLITE_PRAGMAS = (  # as leads_core.storage.db sets them on every connection
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA cache_size=-65536",
    "PRAGMA foreign_keys=ON",
)
TARGET_RATE = 10_000  # rows/s of the full import
TARGET_FULL = 2.0  # full import / schema floor
TARGET_LOCK = 1.2  # a request's write lock / its file's schema floor
TARGET_EDIT_MS = 5000.0  # the longest edit during the import


@dataclass
class Timing:
    label: str
    rows: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else float("inf")


# --------------------------------------------------------------------------- data


def lead_rows(seed: int) -> Iterator[tuple[list[str], bool]]:
    """Endless CSV rows, each with whether it repeats an earlier lead.

    ``demo_lead(rng, n)`` puts ``n`` in the email and the LinkedIn URL, so leads are
    distinct; a repeat has the same LinkedIn URL and the email upper-cased, a duplicate
    under either form of the rule (same email, or same email/LinkedIn URL)."""
    rng = random.Random(seed)
    for n in itertools.count():
        lead = demo_lead(rng, n)
        yield _cells(lead), False
        if lead["email"] and rng.random() < DUPLICATE_RATE:
            yield _cells({**lead, "email": lead["email"].upper()}), True


def generate_rows(count: int, seed: int) -> tuple[list[list[str]], int]:
    """``count`` CSV rows and how many of them repeat an earlier lead."""
    rows: list[list[str]] = []
    duplicates = 0
    for cells, repeat in itertools.islice(lead_rows(seed), count):
        rows.append(cells)
        duplicates += repeat
    return rows, duplicates


def _cells(lead: dict[str, object]) -> list[str]:
    return ["" if lead[c] is None else str(lead[c]) for c in COLUMNS]


def write_csv_files(
    rows: list[list[str]], folder: Path, *, max_rows: int | None = None
) -> list[Path]:
    """Split ``rows`` into as few files as the size and row limits (and ``max_rows``) allow."""
    limit = min(max_rows or MAX_FILE_ROWS, MAX_FILE_ROWS)
    header = _csv_line(list(COLUMNS))
    paths: list[Path] = []
    chunk: list[bytes] = []
    size = 0

    def flush() -> None:
        path = folder / f"leads_{len(paths) + 1:02d}.csv"
        path.write_bytes(header + b"".join(chunk))
        paths.append(path)

    for row in rows:
        line = _csv_line(row)
        if chunk and (len(header) + size + len(line) > MAX_FILE_BYTES or len(chunk) >= limit):
            flush()
            chunk, size = [], 0
        chunk.append(line)
        size += len(line)
    if chunk:
        flush()
    return paths


def csv_bytes(rows: Iterable[list[str]]) -> bytes:
    """A CSV file of ``rows`` (with the header), in memory."""
    return _csv_line(list(COLUMNS)) + b"".join(_csv_line(row) for row in rows)


def _csv_line(cells: list[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    return buffer.getvalue().encode("utf-8")


def chunked(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


# --------------------------------------------------------------------------- databases


@dataclass
class Databases:
    """Where each side writes: the API's ``DATABASE_URL``, the bare floor's target and the
    schema floor's database (a SQLAlchemy URL, migrated by the product when it is used)."""

    engine: str
    api_url: str
    floor: Path | str  # an SQLite file, or a PostgreSQL conninfo
    version: str  # the database server's version, for the report
    schema_url: str
    cluster: PgCluster | None = None  # PostgreSQL: the throwaway cluster holding them


@contextlib.contextmanager
def databases(engine: str, workdir: Path) -> Iterator[Databases]:
    """Fresh, empty databases on ``engine``; a PostgreSQL cluster is stopped on exit."""
    if engine == "sqlite":
        yield Databases(
            engine,
            f"sqlite:///{workdir / 'api.db'}",
            workdir / "floor.db",
            f"SQLite {sqlite3.sqlite_version}",
            f"sqlite:///{workdir / 'schema.db'}",
        )
        return
    with postgres_cluster() as cluster:
        for name in ("api", "floor", "schema"):
            create_database(cluster, name)
        conninfo = psycopg_conninfo(cluster.url("floor"))
        yield Databases(
            engine,
            cluster.url("api"),
            conninfo,
            postgres_version(conninfo),
            cluster.url("schema"),
            cluster,
        )


@contextlib.contextmanager
def postgres_cluster() -> Iterator[PgCluster]:
    print("starting a throwaway PostgreSQL cluster ...", flush=True)
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()


def create_database(cluster: PgCluster, name: str, *, template: str | None = None) -> None:
    """``CREATE DATABASE name`` (a copy of ``template``: dropping ``name`` first)."""
    statements = [f'CREATE DATABASE "{name}"']
    if template is not None:
        statements = [f'DROP DATABASE IF EXISTS "{name}"', f'{statements[0]} TEMPLATE "{template}"']
    engine = create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def psycopg_conninfo(sqlalchemy_url: str) -> str:
    """``postgresql+psycopg://...`` (SQLAlchemy) -> ``postgresql://...`` (libpq)."""
    return sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://", 1)


def postgres_version(conninfo: str) -> str:
    with psycopg.connect(conninfo) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return f"PostgreSQL {row[0] if row else '?'}"


def sqlite_file(url: str) -> str:
    return str(make_url(url).database)


def setup_database(url: str, campaign_id: str) -> CampaignCriteria:
    """Bring the database at ``url`` to the product's schema (``init_db``), create the
    campaign as the CLI does, and return its scoring criteria."""
    engine = make_engine(url)
    try:
        init_db(engine)
        data = CampaignCreate.model_validate(
            {"id": campaign_id, "name": "Benchmark", "criteria": CRITERIA}
        )
        with Session(engine, expire_on_commit=False) as session:
            campaign = campaigns.create_campaign(session, data=data)
            return campaigns.scoring_criteria(campaign)
    finally:
        engine.dispose()


def copy_api_database(target: Databases) -> None:
    """Make the schema floor's database a copy of the API's (nobody connected to either)."""
    if target.cluster is not None:
        create_database(target.cluster, "schema", template="api")
        return
    db = sqlite3.connect(sqlite_file(target.api_url))
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file
    finally:
        db.close()
    shutil.copy(sqlite_file(target.api_url), sqlite_file(target.schema_url))


# --------------------------------------------------------------------------- prepared rows


@dataclass
class Seen:
    """The identity keys already taken in a campaign: a later row with one is a repeat."""

    emails: set[str] = field(default_factory=set)
    linkedins: set[str] = field(default_factory=set)

    def first(self, ready: list[Ready]) -> list[Ready]:
        """The rows whose email and LinkedIn keys nobody has taken yet, as the product
        keeps them (first wins), sorted as it inserts them (by email, then LinkedIn key)."""
        fresh = []
        for row in ready:
            _, _, email, linkedin, _ = row
            if (email and email in self.emails) or (linkedin and linkedin in self.linkedins):
                continue
            self.emails.update([email] if email else [])
            self.linkedins.update([linkedin] if linkedin else [])
            fresh.append(row)
        fresh.sort(key=lambda row: (row[2] or "", row[3] or ""))
        return fresh


@dataclass
class Batch:
    """One file as the schema floor writes it: its ``import_batch`` row and lead rows."""

    row: tuple[Any, ...]  # BATCH_COLUMNS
    leads: list[tuple[Any, ...]]  # ingest.writing.INSERTED
    errors: int  # row errors (ingest.prepare's), as the API counts them

    @property
    def id(self) -> str:
        return str(self.row[0])


BATCH_COLUMNS = (
    *("id", "campaign_id", "origin", "filename", "rows"),
    *("imported", "updated", "skipped", "errors", "created_at"),
)


def prepare_batch(
    data: bytes, campaign_id: str, criteria: CampaignCriteria, dialect: str, seen: Seen
) -> Batch:
    """A CSV file read and prepared by the product's own code, its new leads as tuples."""
    table = read_upload(data)
    job = Job(
        rows=table.rows,
        numbers=table.row_numbers,
        start=0,
        criteria=criteria,
        region=REGION,
        score=True,
        cells=True,
        dialect=dialect,
    )
    prepared = prepare(job)
    fresh = seen.first(prepared.ready)
    batch_id, created = new_id("imp"), created_cell(dialect)
    leads = [
        (lead_id, campaign_id, batch_id, None, created, created, created, *cells)  # no owner
        for lead_id, (_, _, _, _, cells) in zip(new_ids("lead", len(fresh)), fresh, strict=True)
    ]
    skipped = len(prepared.ready) - len(fresh)
    counts = (len(table.rows), len(leads), 0, skipped, len(prepared.errors))
    row = (batch_id, campaign_id, "bench", "bench.csv", *counts, created)
    return Batch(row, leads, len(prepared.errors))


def created_cell(dialect: str) -> Any:
    """Now, as SQLAlchemy hands it to the driver: text on SQLite, a datetime on PostgreSQL."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%d %H:%M:%S.%f") if dialect == "sqlite" else now


# --------------------------------------------------------------------------- schema floor


@dataclass(frozen=True)
class SchemaSql:
    """The schema floor's statements on one engine."""

    batch: str
    lead: str
    activity: str
    search: str | None  # SQLite's search index; PostgreSQL's fills itself

    @classmethod
    def of(cls, dialect: str) -> SchemaSql:
        mark = "?" if dialect == "sqlite" else "%s"

        def insert(table: str, columns: tuple[str, ...]) -> str:
            names = ", ".join(f'"{c}"' for c in columns)
            return f"INSERT INTO {table} ({names}) VALUES ({', '.join([mark] * len(columns))})"

        search = "INSERT INTO lead_search(rowid, search_text) SELECT rowid, search_text FROM lead"
        return cls(
            insert("import_batch", BATCH_COLUMNS),
            insert("lead", INSERTED),
            "INSERT INTO lead_activity (lead_id, kind, actor, created_at) "
            f"SELECT id, 'created', NULL, created_at FROM lead WHERE import_id = {mark}",
            f"{search} WHERE import_id = {mark}" if dialect == "sqlite" else None,
        )


def connect_schema(url: str) -> Any:
    """A DB-API connection to a database of the product's schema, in autocommit mode:
    :func:`write_batch` opens and commits its own transaction."""
    if not url.startswith("sqlite"):
        return psycopg.connect(psycopg_conninfo(url), autocommit=True)
    db = sqlite3.connect(sqlite_file(url), isolation_level=None)
    for pragma in SQLITE_PRAGMAS:
        db.execute(pragma)
    return db


def write_batch(db: Any, statements: SchemaSql, batch: Batch) -> float:
    """One file's transaction, as the API writes a request's; its seconds."""
    started = time.perf_counter()
    db.execute("BEGIN")
    db.execute(statements.batch, batch.row)
    db.cursor().executemany(statements.lead, batch.leads)
    db.execute(statements.activity, (batch.id,))
    if statements.search:
        db.execute(statements.search, (batch.id,))
    db.execute("COMMIT")
    return time.perf_counter() - started


def count_leads(db: Any, campaign_id: str) -> int:
    mark = "?" if isinstance(db, sqlite3.Connection) else "%s"
    row = db.execute(f"SELECT count(*) FROM lead WHERE campaign_id = {mark}", (campaign_id,))
    return int(row.fetchone()[0])


@dataclass
class SchemaRun:
    timing: Timing
    per_file: list[float]  # seconds of each file's transaction
    stored: int
    errors: int  # row errors (ingest.prepare's), as the API counts them


def time_schema_floor(files: list[Path], target: Databases, rows: int) -> SchemaRun:
    """Each file prepared (untimed), then written in one timed transaction."""
    criteria = setup_database(target.schema_url, CAMPAIGN)
    statements, seen = SchemaSql.of(target.engine), Seen()
    per_file: list[float] = []
    errors = 0
    db = connect_schema(target.schema_url)
    try:
        for path in files:
            batch = prepare_batch(path.read_bytes(), CAMPAIGN, criteria, target.engine, seen)
            errors += batch.errors
            per_file.append(write_batch(db, statements, batch))
        stored = count_leads(db, CAMPAIGN)
    finally:
        db.close()
    return SchemaRun(Timing("schema floor", rows, sum(per_file)), per_file, stored, errors)


def fill_existing(target: Databases, count: int) -> int:
    """``count`` rows of another seed into another campaign of the API's database, as the
    schema floor writes (100,000 rows a transaction), then copied to the schema floor's
    database; the leads stored."""
    criteria = setup_database(target.api_url, EXISTING_CAMPAIGN)
    statements, seen = SchemaSql.of(target.engine), Seen()
    rows = (cells for cells, _ in itertools.islice(lead_rows(EXISTING_SEED), count))
    db = connect_schema(target.api_url)
    try:
        for chunk in chunked(rows, FILL_ROWS):
            batch = prepare_batch(
                csv_bytes(chunk), EXISTING_CAMPAIGN, criteria, target.engine, seen
            )
            write_batch(db, statements, batch)
        stored = count_leads(db, EXISTING_CAMPAIGN)
    finally:
        db.close()
    copy_api_database(target)
    return stored


# --------------------------------------------------------------------------- server


def start_server(env: dict[str, str], port: int, log_path: Path) -> subprocess.Popen[bytes]:
    proc = start_app(env, port, log_path)
    try:
        wait_healthy(proc, port, deadline_s=START_DEADLINE_S)
    except RuntimeError:
        stop_app(proc)
        raise
    return proc


def cli(env: dict[str, str], *args: str) -> str:
    """``python -m leads_core ...``; returns the last line of stdout."""
    result = subprocess.run(
        [sys.executable, "-m", "leads_core", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.splitlines()[-1]


def peak_mib(pid: int) -> float | None:
    """A process's peak resident memory (``VmHWM``), in MiB; None once it is gone."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (the import pool's forkserver and workers)."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            children += [int(child) for child in task.read_text().split()]
    return children + [grandchild for child in children for grandchild in descendants(child)]


# --------------------------------------------------------------------------- full import


@dataclass
class Request:
    """One import request: its rows, seconds end to end and its Server-Timing (ms)."""

    rows: int
    seconds: float
    prepare_ms: float | None
    write_ms: float | None
    imported: int
    skipped: int
    errors: int


@dataclass
class Edits:
    """The PATCHes sent during the import: latency of each, and what went wrong."""

    latencies_ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


@dataclass
class ApiRun:
    timing: Timing
    imported: int
    skipped: int
    errors: int
    stored: int  # total of GET /v1/leads in the campaign, less the edited lead
    requests: list[Request] = field(default_factory=list)
    edits: Edits | None = None
    peak_mib: float | None = None  # the streamlit process's VmHWM
    child_peaks_mib: list[float] = field(default_factory=list)  # its descendants'


def server_timing(header: str | None) -> dict[str, float]:
    """``prepare;dur=812.4, write;dur=950.2`` -> {"prepare": 812.4, "write": 950.2}."""
    found: dict[str, float] = {}
    for metric in (header or "").split(","):
        name, *params = (part.strip() for part in metric.split(";"))
        for param in params:
            key, _, value = param.partition("=")
            if key == "dur":
                found[name] = float(value)
    return found


def post_file(client: httpx.Client, path: Path) -> Request:
    started = time.perf_counter()
    response = client.post(
        "/v1/leads/import/csv",
        data={"campaignId": CAMPAIGN},
        files={"file": (path.name, path.read_bytes(), "text/csv")},
    )
    seconds = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"{path.name}: HTTP {response.status_code} {response.text[:500]}")
    body, timing = response.json(), server_timing(response.headers.get("Server-Timing"))
    return Request(
        body["rows"],
        seconds,
        timing.get("prepare"),
        timing.get("write"),
        body["imported"],
        body["skipped"],
        len(body["errors"]),
    )


def create_edit_target(client: httpx.Client) -> str:
    """The lead the edits change, created with ``POST /v1/leads``; its id."""
    response = client.post(
        "/v1/leads", json={"campaignId": CAMPAIGN, "leads": [{"email": EDIT_EMAIL}]}
    )
    if response.status_code != 200:
        raise RuntimeError(f"POST /v1/leads: HTTP {response.status_code} {response.text[:500]}")
    return str(response.json()["leads"][0]["id"])


def _edit_loop(client: httpx.Client, lead_id: str, edits: Edits, stop: threading.Event) -> None:
    for n in itertools.count(1):
        if stop.is_set():
            return
        started = time.perf_counter()
        try:
            response = client.patch(f"/v1/leads/{lead_id}", json={"notes": f"edit {n}"})
            if response.status_code != 200:
                edits.failures.append(
                    f"edit {n}: HTTP {response.status_code} {response.text[:200]}"
                )
        except httpx.HTTPError as exc:
            edits.failures.append(f"edit {n}: {exc!r}")
        edits.latencies_ms.append((time.perf_counter() - started) * 1000)
        stop.wait(max(0.0, started + EDIT_INTERVAL_S - time.perf_counter()))


@contextlib.contextmanager
def editing(base_url: str, headers: dict[str, str], lead_id: str) -> Iterator[Edits]:
    """PATCH the lead every 200 ms, on a connection of its own, until the block ends."""
    edits, stop = Edits(), threading.Event()
    with httpx.Client(base_url=base_url, headers=headers, timeout=600) as client:
        thread = threading.Thread(target=_edit_loop, args=(client, lead_id, edits, stop))
        thread.start()
        try:
            yield edits
        finally:
            stop.set()
            thread.join()


def time_api(
    base_url: str, key: str, files: list[Path], rows: int, *, edits: bool = False
) -> ApiRun:
    """POST the files one after another; with ``edits``, one lead is edited meanwhile."""
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=600) as client:
        edit_lead = create_edit_target(client) if edits else None
        with (
            editing(base_url, headers, edit_lead) if edit_lead else contextlib.nullcontext()
        ) as edited:
            started = time.perf_counter()
            requests = [post_file(client, path) for path in files]
            seconds = time.perf_counter() - started
        listed = client.get("/v1/leads", params={"campaignId": CAMPAIGN, "limit": 1})
        listed.raise_for_status()
    return ApiRun(
        Timing("full import (API)", rows, seconds),
        sum(r.imported for r in requests),
        sum(r.skipped for r in requests),
        sum(r.errors for r in requests),
        listed.json()["total"] - (1 if edit_lead else 0),
        requests,
        edited,
    )


def run_api(
    target: Databases, files: list[Path], rows: int, workdir: Path, *, edits: bool = False
) -> tuple[ApiRun, str]:
    """Start the app on the API's database, time the import (``edits``: while a lead is
    edited), read the app's peak memory, stop it; the run and the server's log."""
    env = {**os.environ, "DATABASE_URL": target.api_url, "PYTHONUNBUFFERED": "1", **NO_RATE_LIMIT}
    port = free_port()
    print(f"starting streamlit run app.py on port {port} ({target.engine}) ...", flush=True)
    proc = start_server(env, port, workdir / "server.log")
    try:
        key = cli(env, "create-api-key", "bench")
        criteria = json.dumps(CRITERIA)
        cli(env, "create-campaign", "Benchmark", "--id", CAMPAIGN, "--criteria", criteria)
        print("timing the API import ...", flush=True)
        api = time_api(f"http://127.0.0.1:{port}", key, files, rows, edits=edits)
        api.peak_mib = peak_mib(proc.pid)
        api.child_peaks_mib = [p for p in map(peak_mib, descendants(proc.pid)) if p is not None]
    finally:
        stop_app(proc)
    return api, (workdir / "server.log").read_text(errors="replace")


# --------------------------------------------------------------------------- bare floor


@dataclass(frozen=True)
class FloorSql:
    """How the floor's INSERT is spelled on an engine."""

    label: str
    mark: str  # the DB-API parameter marker
    insert: str  # the statement's start, up to INTO
    on_conflict: str  # the statement's end


FLOOR_SQL = {
    "sqlite": FloorSql("floor pandas.read_csv + sqlite3", "?", "INSERT OR IGNORE", ""),
    "postgresql": FloorSql(
        "floor pandas.read_csv + psycopg", "%s", "INSERT", " ON CONFLICT DO NOTHING"
    ),
}


def time_floor(files: list[Path], target: Databases, rows: int) -> tuple[Timing, int]:
    """pandas.read_csv + DB-API executemany of the same rows, all text, one transaction.

    The time covers connecting, making the table and its index, reading and inserting."""
    sql = FLOOR_SQL[target.engine]
    # Empty cells become NULL, so leads without an email do not collide in the unique index.
    values = ", ".join([sql.mark] + [f"NULLIF({sql.mark}, '')"] * len(COLUMNS))
    insert = (
        f"{sql.insert} INTO lead (campaign_id, {', '.join(COLUMNS)}) VALUES ({values})"
        f"{sql.on_conflict}"
    )
    started = time.perf_counter()
    db = connect_floor(target)
    try:
        db.execute(
            f"CREATE TABLE lead (campaign_id TEXT, {', '.join(f'{c} TEXT' for c in COLUMNS)})"
        )
        db.execute("CREATE UNIQUE INDEX uq_lead ON lead (campaign_id, email)")
        cursor = db.cursor()
        for path in files:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
            frame.insert(0, "campaign_id", CAMPAIGN)
            cursor.executemany(insert, frame.itertuples(index=False, name=None))
        db.commit()
        seconds = time.perf_counter() - started
        (stored,) = db.execute("SELECT count(*) FROM lead").fetchone()
    finally:
        db.close()
    return Timing(sql.label, rows, seconds), stored


def connect_floor(target: Databases) -> Any:
    """A DB-API connection whose first statement opens the floor's one transaction.

    sqlite3 (default isolation) runs the DDL in autocommit and opens the transaction at the
    first INSERT; psycopg opens it at the first statement. Both end at ``commit()``."""
    if target.engine == "postgresql":
        return psycopg.connect(str(target.floor))
    db = sqlite3.connect(target.floor)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")  # as leads_core.storage.db sets it
    return db


# --------------------------------------------------------------------------- report


@dataclass
class Results:
    """What one run measured, for the report."""

    engine: str
    version: str
    rows: int
    duplicates: int
    existing: int
    files: int
    api: ApiRun
    bare: Timing
    bare_stored: int
    schema: SchemaRun
    log: str

    @property
    def expected(self) -> int:
        return self.rows - self.duplicates

    def lock_ratios(self) -> list[float | None]:
        return [
            None if r.write_ms is None else r.write_ms / 1000 / floor
            for r, floor in zip(self.api.requests, self.schema.per_file, strict=True)
        ]


def percentile(values: list[float], pct: float) -> float:
    """Nearest rank: the smallest value with ``pct`` percent of the values at or below it."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[max(0, math.ceil(len(ordered) * pct / 100) - 1)]


def _s(ms: float | None) -> str:
    return "-" if ms is None else f"{ms / 1000:.2f}"


def print_figures(r: Results) -> None:
    print(
        f"engine: {r.engine} ({r.version}), rows {r.rows} in {r.files} request(s), "
        f"existing {r.existing}"
    )
    print(f"{'':28} {'seconds':>9} {'rows/s':>8} {'vs schema floor':>16}")
    named = (
        ("bare floor", r.bare),
        ("schema floor", r.schema.timing),
        ("full import (API)", r.api.timing),
    )
    for label, timing in named:
        ratio = timing.seconds / r.schema.timing.seconds
        print(f"{label:28} {timing.seconds:>9.2f} {timing.rate:>8.0f} {ratio:>15.2f}x")
    if r.existing:
        print("(the bare floor writes into an empty table: no existing rows)")


def print_requests(r: Results) -> None:
    print(
        f"{'per request':12} {'rows':>7} {'API s':>7} {'prepare s':>10} {'write (lock) s':>15} "
        f"{'schema floor s':>15} {'lock/floor':>11}"
    )
    rows = zip(r.api.requests, r.schema.per_file, r.lock_ratios(), strict=True)
    for n, (request, floor, ratio) in enumerate(rows, 1):
        print(
            f"{n:<12} {request.rows:>7} {request.seconds:>7.2f} {_s(request.prepare_ms):>10} "
            f"{_s(request.write_ms):>15} {floor:>15.2f} "
            f"{'-' if ratio is None else f'{ratio:.2f}x':>11}"
        )


def print_edits(edits: Edits) -> None:
    ms = edits.latencies_ms
    print(
        f"edits during import: n={len(ms)} p50 {percentile(ms, 50):.1f} ms, p95 "
        f"{percentile(ms, 95):.1f} ms, max {max(ms, default=float('nan')):.1f} ms; "
        f"{len(edits.failures)} failed"
    )
    for failure in edits.failures[:10]:
        print(f"  {failure}")


def print_memory(api: ApiRun) -> None:
    peak = "unknown" if api.peak_mib is None else f"{api.peak_mib:.0f} MB"
    children = api.child_peaks_mib
    below = f", largest {max(children):.0f} MB" if children else ""
    print(
        f"app peak memory: {peak} (VmHWM of the streamlit process; MB = MiB); "
        f"{len(children)} descendant process(es){below}"
    )


def met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def print_targets(r: Results) -> None:
    full = r.api.timing.seconds / r.schema.timing.seconds
    locks = r.lock_ratios()
    lock_ok = bool(locks) and all(x is not None and x <= TARGET_LOCK for x in locks)
    worst_lock = max((x for x in locks if x is not None), default=float("nan"))
    edits = r.api.edits.latencies_ms if r.api.edits else []
    longest = max(edits, default=float("nan"))
    print(
        f"targets: full >= {TARGET_RATE:,} rows/s: {met(r.api.timing.rate >= TARGET_RATE)} "
        f"({r.api.timing.rate:,.0f}); full <= {TARGET_FULL:g}x schema floor: "
        f"{met(full <= TARGET_FULL)} ({full:.2f}x); lock <= {TARGET_LOCK:g}x schema floor "
        f"(each request): {met(lock_ok)} (worst {worst_lock:.2f}x); longest edit <= "
        f"{TARGET_EDIT_MS / 1000:g} s: {met(longest <= TARGET_EDIT_MS)} ({longest / 1000:.2f} s)"
    )


def check_counts(r: Results) -> list[str]:
    """Print the stored counts; the problems found."""
    api, expected = r.api, r.expected
    print(
        f"stored: API {api.stored} (GET /v1/leads total less the edited lead; imported "
        f"{api.imported}, skipped {api.skipped}, errors {api.errors}), schema floor "
        f"{r.schema.stored} (row errors {r.schema.errors}); expected {r.rows} - "
        f"{r.duplicates} duplicates = {expected}; bare floor {r.bare_stored} (keeps the "
        "upper-cased repeats)"
    )
    problems = []
    if not api.stored == expected == api.imported or api.errors:
        problems.append(
            f"the API stored {api.stored} and imported {api.imported} of {expected} "
            f"({api.errors} row errors)"
        )
    if r.schema.stored != expected:
        problems.append(f"the schema floor stored {r.schema.stored} of {expected}")
    if api.edits and api.edits.failures:
        problems.append(f"{len(api.edits.failures)} edit(s) failed")
    if "Traceback" in r.log:
        problems.append("the server log has a Traceback:\n" + r.log[-8000:])
    return problems


def report(r: Results) -> list[str]:
    print()
    print_figures(r)
    print_requests(r)
    if r.api.edits is not None:
        print_edits(r.api.edits)
    print_memory(r.api)
    print_targets(r)
    return check_counts(r)


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows to import (default 100000)")
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="sqlite",
        help="database of every side (default sqlite)",
    )
    parser.add_argument(
        "--existing",
        type=int,
        default=0,
        help="leads already in another campaign of the API's and the schema floor's databases",
    )
    parser.add_argument(
        "--request-rows",
        type=int,
        help="at most this many rows per request (default: as many as fit in 9.5 MB)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the CSV files, databases, log")
    args = parser.parse_args(argv)
    if (
        args.rows < 1
        or args.existing < 0
        or (args.request_rows is not None and args.request_rows < 1)
    ):
        parser.error("--rows and --request-rows must be at least 1, --existing at least 0")
    return args


def make_files(args: argparse.Namespace, workdir: Path) -> tuple[list[Path], int]:
    print(f"generating {args.rows} rows (seed {SEED}) ...", flush=True)
    rows, duplicates = generate_rows(args.rows, SEED)
    files = write_csv_files(rows, workdir, max_rows=args.request_rows)
    sizes = [p.stat().st_size for p in files]
    print(
        f"{len(files)} CSV file(s), {sum(sizes) / 1e6:.1f} MB in all, largest "
        f"{max(sizes) / 1e6:.2f} MB; {duplicates} duplicate row(s)",
        flush=True,
    )
    return files, duplicates


def fill(target: Databases, count: int) -> None:
    print(f"filling {count} existing rows (seed {EXISTING_SEED}) ...", flush=True)
    started = time.perf_counter()
    stored = fill_existing(target, count)
    print(
        f"existing: {stored} leads in {EXISTING_CAMPAIGN} of the API's and the schema floor's "
        f"databases, filled in {time.perf_counter() - started:.1f} s (untimed)",
        flush=True,
    )


def measure(args: argparse.Namespace, workdir: Path) -> Results | None:
    """Every side on fresh databases; None when an import request failed."""
    files, duplicates = make_files(args, workdir)
    with databases(args.engine, workdir) as target:
        if args.existing:
            fill(target, args.existing)
        try:
            api, log = run_api(target, files, args.rows, workdir, edits=True)
        except RuntimeError as exc:
            log = (workdir / "server.log").read_text(errors="replace")
            print(f"FAILED: {exc}\nserver log (end):\n{log[-8000:]}")
            return None
        print("timing the bare floor ...", flush=True)
        bare, bare_stored = time_floor(files, target, args.rows)
        print("timing the schema floor (each file prepared untimed, then written) ...", flush=True)
        schema = time_schema_floor(files, target, args.rows)
    return Results(
        *(args.engine, target.version, args.rows, duplicates, args.existing, len(files)),
        *(api, bare, bare_stored, schema, log),
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="leads-bench-"))
    try:
        results = measure(args, workdir)
    finally:
        if args.keep:
            print(f"kept {workdir} (a PostgreSQL cluster is not kept)")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if results is None:
        return 1
    problems = report(results)
    for problem in problems:
        print(f"FAILED: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
