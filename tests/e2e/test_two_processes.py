"""Two app processes (``streamlit run app.py`` twice, on two ports) on ONE database, as a
team behind a load balancer runs them: started together on a new database, then both
importing the same CSV into the same campaign at the same moment. Each lead is stored
once; whichever process loses a row counts it as skipped; nobody gets a 5xx."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import NullPool, create_engine, text

from tests.support.devserver import free_port, start_app, stop_app, wait_healthy

REPO = Path(__file__).resolve().parents[2]
ROWS = 6000  # more than one import chunk, so the two imports interleave
SHARED = 2000  # rows present in both files: the ones the two processes race for

pytestmark = pytest.mark.slow


def leads_csv(numbers: range) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["First Name", "Last Name", "Email", "Company", "Title", "Source"])
    for n in numbers:
        writer.writerow([f"Ann{n}", f"Lee{n}", f"ann.lee{n}@corp{n % 97}.com", f"Corp {n % 97}",
                         "CTO" if n % 3 else "Engineer", "linkedin"])  # fmt: skip
    return out.getvalue().encode()


@pytest.fixture
def two_servers(tmp_path: Path, empty_db_url: str) -> Iterator[list[str]]:
    """Two servers started at the same time on one new database (both run the migrations;
    one does the work, the other waits for its lock)."""
    env = {**os.environ, "DATABASE_URL": empty_db_url, "PYTHONUNBUFFERED": "1"}
    ports = [free_port(), free_port()]
    procs = [start_app(env, port, tmp_path / f"app-{port}.log") for port in ports]
    try:
        for proc, port in zip(procs, ports, strict=True):
            try:
                wait_healthy(proc, port)
            except RuntimeError as exc:
                log = (tmp_path / f"app-{port}.log").read_text(errors="replace")
                pytest.fail(f"{exc}:\n{log}")
        yield [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        for proc in procs:
            stop_app(proc)


def create_key(database_url: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "leads_core", "create-api-key", "two-processes"],
        cwd=REPO,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.splitlines()[-1]


def race(first: httpx.Client, second: httpx.Client) -> tuple[list[dict], int]:
    """Both files posted at the same moment, one to each process; the two answers and the
    campaign's total as the second process then lists it."""
    created = first.post("/v1/campaigns", json={"id": "cmp_race", "name": "Race"})
    assert created.status_code == 201, created.text
    # File A: rows 0..5999. File B: rows 4000..9999, so 2,000 leads are in both.
    files = [leads_csv(range(0, ROWS)), leads_csv(range(ROWS - SHARED, 2 * ROWS - SHARED))]
    start = threading.Barrier(2)

    def post(client: httpx.Client, data: bytes) -> httpx.Response:
        start.wait(timeout=30)
        return client.post(
            "/v1/leads/import/csv",
            data={"campaignId": "cmp_race"},
            files={"file": ("leads.csv", data, "text/csv")},
        )

    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(post, c, f) for c, f in zip((first, second), files, strict=True)]
        responses = [f.result(timeout=300) for f in futures]
    assert [r.status_code for r in responses] == [200, 200], [r.text[:500] for r in responses]
    listed = second.get("/v1/leads", params={"campaignId": "cmp_race", "limit": 1}).json()
    return [r.json() for r in responses], listed["total"]


def test_two_app_processes_importing_the_same_leads_at_once_store_each_lead_once(
    two_servers: list[str], empty_db_url: str
) -> None:
    headers = {"Authorization": f"Bearer {create_key(empty_db_url)}"}
    with (
        httpx.Client(base_url=two_servers[0], headers=headers, timeout=120) as first,
        httpx.Client(base_url=two_servers[1], headers=headers, timeout=120) as second,
    ):
        bodies, total = race(first, second)
    assert [b["errors"] for b in bodies] == [[], []]
    # Every distinct lead stored once, every row counted once: as imported by one process
    # and as skipped by the other.
    assert sum(b["imported"] for b in bodies) == 2 * ROWS - SHARED
    assert sum(b["skipped"] for b in bodies) == SHARED
    returned = [lead["id"] for body in bodies for lead in body["leads"]]
    assert len(returned) == len(set(returned)) == 2 * ROWS - SHARED
    assert total == 2 * ROWS - SHARED

    engine = create_engine(empty_db_url, poolclass=NullPool)
    with engine.connect() as db:
        stored = db.execute(
            text(
                "SELECT count(*), count(DISTINCT email_key) FROM lead WHERE campaign_id = 'cmp_race'"
            )
        ).one()
        migrated = db.execute(text("SELECT count(*) FROM alembic_version")).scalar()
    engine.dispose()
    assert tuple(stored) == (2 * ROWS - SHARED, 2 * ROWS - SHARED)
    assert migrated == 1
