"""Import benchmark: N realistic leads through the product's CSV import vs the bare floor.

    .venv/bin/python -m bench.import_bench [--rows 100000] [--engine sqlite|postgresql] [--keep]

``--engine`` picks the database of both sides (default ``sqlite``): ``postgresql`` starts a
throwaway PostgreSQL cluster (``tests.support.pgcluster``, Debian's server; durability off)
with one database for the API and another for the floor, stopped at the end.

1. Writes N demo leads (``leads_core.demo.demo_lead``, fixed seed, ~1% repeated with the
   email upper-cased, as real exports repeat people) into CSV files of at most 9.5 MB
   each, so every request stays under the 10 MB upload limit.
2. Starts the product as a user does, ``streamlit run app.py`` on a free port with a fresh
   ``DATABASE_URL`` (a new SQLite file or PostgreSQL database), makes an API key and a
   campaign with the CLI, then times the ``POST /v1/leads/import/csv`` requests end to end
   (upload, parse, validate, dedupe, enrich, score, insert, commit, response).
3. Times the bare floor on the same files: ``pandas.read_csv`` (every column as text) and
   an ``executemany`` of the rows into one fresh table with a unique index on
   (campaign_id, email), one transaction: ``sqlite3`` into a fresh WAL-mode file
   (``INSERT OR IGNORE``), or psycopg 3 into the floor's PostgreSQL database (``ON
   CONFLICT DO NOTHING``; a plain ``postgresql://`` conninfo). The floor neither validates,
   normalizes, scores nor dedupes beyond that index (so it keeps the upper-cased repeats).
4. Checks the number of stored leads (``total`` of ``GET /v1/leads``) equals N minus the
   duplicates, prints a table labelled with the engine and the ratio (goal: the API within
   3x of the floor).

Exit status 1 when the stored count is wrong or a request fails; the ratio is reported.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import psycopg
from sqlalchemy import create_engine, text

from leads_core.files.headers import LEAD_FIELDS
from leads_core.ingest.demo import demo_lead
from tests.support.devserver import NO_RATE_LIMIT, free_port, start_app, stop_app, wait_healthy
from tests.support.pgcluster import PgCluster, start_cluster

REPO = Path(__file__).resolve().parent.parent

ENGINES = ("sqlite", "postgresql")

COLUMNS = tuple(f for f in LEAD_FIELDS if f != "notes")  # what demo leads carry
MAX_FILE_BYTES = 9_500_000  # under 10 MB however MB is counted, with room for the form
MAX_FILE_ROWS = 100_000  # LEADS_MAX_IMPORT_ROWS default
DUPLICATE_RATE = 0.01
SEED = 7
CAMPAIGN = "cmp_bench"
CRITERIA = (
    '{"targetPositions": ["CTO", "VP Engineering", "Head of Data"], '
    '"targetSources": ["linkedin", "referral"], "requiredFields": ["phone"]}'
)
START_DEADLINE_S = 60.0


@dataclass
class Timing:
    label: str
    rows: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else float("inf")


# --------------------------------------------------------------------------- data


def generate_rows(count: int, seed: int) -> tuple[list[list[str]], int]:
    """``count`` CSV rows and how many of them repeat an earlier lead.

    ``demo_lead(rng, n)`` puts ``n`` in the email and the LinkedIn URL, so leads are
    distinct; a repeat has the same LinkedIn URL and the email upper-cased, a duplicate
    under either form of the rule (same email, or same email/LinkedIn URL)."""
    rng = random.Random(seed)
    rows: list[list[str]] = []
    duplicates = n = 0
    while len(rows) < count:
        lead = demo_lead(rng, n)
        n += 1
        rows.append(_cells(lead))
        if lead["email"] and rng.random() < DUPLICATE_RATE and len(rows) < count:
            rows.append(_cells({**lead, "email": lead["email"].upper()}))
            duplicates += 1
    return rows, duplicates


def _cells(lead: dict[str, object]) -> list[str]:
    return ["" if lead[c] is None else str(lead[c]) for c in COLUMNS]


def write_csv_files(rows: list[list[str]], folder: Path) -> list[Path]:
    """Split ``rows`` into as few files as the size and row limits allow."""
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
        if chunk and (
            len(header) + size + len(line) > MAX_FILE_BYTES or len(chunk) >= MAX_FILE_ROWS
        ):
            flush()
            chunk, size = [], 0
        chunk.append(line)
        size += len(line)
    if chunk:
        flush()
    return paths


def _csv_line(cells: list[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    return buffer.getvalue().encode("utf-8")


# --------------------------------------------------------------------------- databases


@dataclass
class Databases:
    """Where each side writes: the API's ``DATABASE_URL`` and the floor's target."""

    engine: str
    api_url: str
    floor: Path | str  # an SQLite file, or a PostgreSQL conninfo
    version: str  # the database server's version, for the report


@contextlib.contextmanager
def databases(engine: str, workdir: Path) -> Iterator[Databases]:
    """Fresh, empty databases on ``engine``; a PostgreSQL cluster is stopped on exit."""
    if engine == "sqlite":
        yield Databases(
            engine,
            f"sqlite:///{workdir / 'api.db'}",
            workdir / "floor.db",
            f"SQLite {sqlite3.sqlite_version}",
        )
        return
    with postgres_cluster() as cluster:
        create_database(cluster, "api")
        create_database(cluster, "floor")
        conninfo = psycopg_conninfo(cluster.url("floor"))
        yield Databases(engine, cluster.url("api"), conninfo, postgres_version(conninfo))


@contextlib.contextmanager
def postgres_cluster() -> Iterator[PgCluster]:
    print("starting a throwaway PostgreSQL cluster ...", flush=True)
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()


def create_database(cluster: PgCluster, name: str) -> None:
    engine = create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()


def psycopg_conninfo(sqlalchemy_url: str) -> str:
    """``postgresql+psycopg://...`` (SQLAlchemy) -> ``postgresql://...`` (libpq)."""
    return sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://", 1)


def postgres_version(conninfo: str) -> str:
    with psycopg.connect(conninfo) as conn:
        return "PostgreSQL " + conn.execute("SHOW server_version").fetchone()[0]


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


# --------------------------------------------------------------------------- timings


@dataclass
class ApiRun:
    timing: Timing
    imported: int
    skipped: int
    errors: int
    stored: int


def time_api(base_url: str, key: str, files: list[Path], rows: int) -> ApiRun:
    imported = skipped = errors = 0
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=600) as client:
        started = time.perf_counter()
        for path in files:
            response = client.post(
                "/v1/leads/import/csv",
                data={"campaignId": CAMPAIGN},
                files={"file": (path.name, path.read_bytes(), "text/csv")},
            )
            if response.status_code != 200:
                raise RuntimeError(
                    f"{path.name}: HTTP {response.status_code} {response.text[:500]}"
                )
            body = response.json()
            imported += body["imported"]
            skipped += body["skipped"]
            errors += len(body["errors"])
        seconds = time.perf_counter() - started
        listed = client.get("/v1/leads", params={"campaignId": CAMPAIGN, "limit": 1})
        listed.raise_for_status()
    return ApiRun(
        Timing("API  POST /v1/leads/import/csv", rows, seconds),
        imported,
        skipped,
        errors,
        listed.json()["total"],
    )


def run_api(target: Databases, files: list[Path], rows: int, workdir: Path) -> tuple[ApiRun, str]:
    """Start the app on the API's database, time the import, stop it; the run and its log."""
    env = {**os.environ, "DATABASE_URL": target.api_url, "PYTHONUNBUFFERED": "1", **NO_RATE_LIMIT}
    port = free_port()
    print(f"starting streamlit run app.py on port {port} ({target.engine}) ...", flush=True)
    proc = start_server(env, port, workdir / "server.log")
    try:
        key = cli(env, "create-api-key", "bench")
        cli(env, "create-campaign", "Benchmark", "--id", CAMPAIGN, "--criteria", CRITERIA)
        print("timing the API import ...", flush=True)
        api = time_api(f"http://127.0.0.1:{port}", key, files, rows)
    finally:
        stop_app(proc)
    return api, (workdir / "server.log").read_text(errors="replace")


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


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows to import (default 100000)")
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="sqlite",
        help="database of both sides (default sqlite)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the CSV files, databases, log")
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be at least 1")

    workdir = Path(tempfile.mkdtemp(prefix="leads-bench-"))
    try:
        print(f"generating {args.rows} rows (seed {SEED}) ...", flush=True)
        rows, duplicates = generate_rows(args.rows, SEED)
        files = write_csv_files(rows, workdir)
        sizes = [p.stat().st_size for p in files]
        print(
            f"{len(files)} CSV file(s), {sum(sizes) / 1e6:.1f} MB in all, largest "
            f"{max(sizes) / 1e6:.2f} MB; {duplicates} duplicate row(s)",
            flush=True,
        )
        with databases(args.engine, workdir) as target:
            api, log = run_api(target, files, args.rows, workdir)
            print("timing the floor ...", flush=True)
            floor, floor_stored = time_floor(files, target, args.rows)
    finally:
        if args.keep:
            print(f"kept {workdir} (a PostgreSQL cluster is not kept)")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    expected = args.rows - duplicates
    ratio = api.timing.seconds / floor.seconds
    print()
    print(f"engine: {args.engine} ({target.version})")
    print(f"{args.engine:34} {'rows':>8} {'seconds':>9} {'rows/s':>9}")
    for timing in (api.timing, floor):
        print(f"{timing.label:34} {timing.rows:>8} {timing.seconds:>9.2f} {timing.rate:>9.0f}")
    print(f"ratio API / floor: {ratio:.1f}x (goal <= 3x: {'met' if ratio <= 3 else 'NOT met'})")
    print(
        f"files: {len(files)}; API imported {api.imported}, skipped {api.skipped}, "
        f"errors {api.errors}; floor stored {floor_stored}"
    )
    ok = api.stored == expected == api.imported and api.errors == 0
    print(
        f"leads stored (GET /v1/leads total): {api.stored}; expected {args.rows} - "
        f"{duplicates} duplicates = {expected}: {'OK' if ok else 'MISMATCH'}"
    )
    if "Traceback" in log:
        print("server log has a Traceback:\n" + log)
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
