"""Import benchmark: N realistic leads through the product's CSV import vs the bare floor.

    .venv/bin/python bench/import_bench.py [--rows 100000] [--keep]

1. Writes N demo leads (``leads_core.demo.demo_lead``, fixed seed, ~1% repeated with the
   email upper-cased, as real exports repeat people) into CSV files of at most 9.5 MB
   each, so every request stays under the 10 MB upload limit.
2. Starts the product as a user does, ``streamlit run app.py`` on a free port with a fresh
   ``DATABASE_URL``, makes an API key and a campaign with the CLI, then times the
   ``POST /v1/leads/import/csv`` requests end to end (upload, parse, validate, dedupe,
   enrich, score, insert, commit, response).
3. Times the bare floor on the same files: ``pandas.read_csv`` (every column as text) and
   ``sqlite3.executemany`` into a fresh WAL-mode file, one table with a unique index on
   (campaign_id, email), one transaction. The floor neither validates, normalizes, scores
   nor dedupes beyond that index (so it keeps the upper-cased repeats).
4. Checks the number of stored leads (``total`` of ``GET /v1/leads``) equals N minus the
   duplicates, prints a table and the ratio (goal: the API within 3x of the floor).

Exit status 1 when the stored count is wrong or a request fails; the ratio is reported.
"""

from __future__ import annotations

import argparse
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
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
import pandas as pd  # noqa: E402

from leads_core.csv_headers import LEAD_FIELDS  # noqa: E402
from leads_core.demo import demo_lead  # noqa: E402
from leads_core.devserver import free_port, start_app, stop_app, wait_healthy  # noqa: E402

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


def time_floor(files: list[Path], db_path: Path, rows: int) -> tuple[Timing, int]:
    """pandas.read_csv + sqlite3.executemany of the same rows, all text, one transaction."""
    # Empty cells become NULL, so leads without an email do not collide in the unique index.
    placeholders = ", ".join(["?"] + ["NULLIF(?, '')"] * len(COLUMNS))
    insert = (
        f"INSERT OR IGNORE INTO lead (campaign_id, {', '.join(COLUMNS)}) VALUES ({placeholders})"
    )
    started = time.perf_counter()
    db = sqlite3.connect(db_path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")  # as leads_core.db sets it
        db.execute(
            f"CREATE TABLE lead (campaign_id TEXT, {', '.join(f'{c} TEXT' for c in COLUMNS)})"
        )
        db.execute("CREATE UNIQUE INDEX uq_lead ON lead (campaign_id, email)")
        db.execute("BEGIN")
        for path in files:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
            frame.insert(0, "campaign_id", CAMPAIGN)
            db.executemany(insert, frame.itertuples(index=False, name=None))
        db.execute("COMMIT")
        seconds = time.perf_counter() - started
        (stored,) = db.execute("SELECT count(*) FROM lead").fetchone()
    finally:
        db.close()
    return Timing("floor pandas.read_csv + sqlite3", rows, seconds), stored


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows to import (default 100000)")
    parser.add_argument("--keep", action="store_true", help="keep the CSV files, databases, log")
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be at least 1")

    workdir = Path(tempfile.mkdtemp(prefix="leads-bench-"))
    proc: subprocess.Popen[bytes] | None = None
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

        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{workdir / 'api.db'}",
            "PYTHONUNBUFFERED": "1",
        }
        port = free_port()
        print(f"starting streamlit run app.py on port {port} ...", flush=True)
        proc = start_server(env, port, workdir / "server.log")
        key = cli(env, "create-api-key", "bench")
        cli(env, "create-campaign", "Benchmark", "--id", CAMPAIGN, "--criteria", CRITERIA)

        print("timing the API import ...", flush=True)
        api = time_api(f"http://127.0.0.1:{port}", key, files, args.rows)
        stop_app(proc)
        log = (workdir / "server.log").read_text(errors="replace")
        proc = None

        print("timing the floor ...", flush=True)
        floor, floor_stored = time_floor(files, workdir / "floor.db", args.rows)
    finally:
        if proc is not None:
            stop_app(proc)
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    expected = args.rows - duplicates
    ratio = api.timing.seconds / floor.seconds
    print()
    print(f"{'':34} {'rows':>8} {'seconds':>9} {'rows/s':>9}")
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
