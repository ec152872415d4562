"""Imports prepared on a pool of worker processes (ingest.pool): the same result as
inline, a bad row reported as a row, a killed worker a clean 503, and an edit made during
a large import is not held up by it (the write lock is taken only to write)."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from leads_core.errors import PayloadTooLarge, ValidationFailed
from leads_core.ingest import importing, pool
from leads_core.ingest.demo import demo_lead
from leads_core.ingest.options import ImportOptions, ImportOutcome
from leads_core.schemas import CampaignCreate, ImportRowError, LeadUpdate
from leads_core.services import campaigns, leads
from leads_core.storage.models import ImportBatch, Lead

pytestmark = [pytest.mark.usefixtures("campaign"), pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]

COMPARED = (
    "first_name",
    "last_name",
    "email",
    "company",
    "position",
    "source",
    "linkedin_url",
    "phone",
    "website",
    "status",
    "notes",
    "attributes",
    "search_text",
    "email_key",
    "linkedin_key",
    "quality_score",
    "score_breakdown",
    "score_reasons",
    "enrichment",
)


@pytest.fixture(autouse=True)
def fresh_pool() -> Iterator[None]:
    pool.shutdown()
    yield
    pool.shutdown()


def messy_rows(count: int, seed: int = 3) -> list[dict[str, Any]]:
    """Realistic leads with, every 97th row, something a file really has: a repeat of an
    earlier lead, an invalid status, no email nor LinkedIn URL, a row that is not an object."""
    rng = random.Random(seed)
    rows: list[Any] = []
    for n in range(count):
        lead = {k: v for k, v in demo_lead(rng, n).items() if v is not None}
        if n % 97 == 1 and rows:
            lead = {**rows[n // 2], "email": str(rows[n // 2].get("email", "")).upper()}
        elif n % 97 == 2:
            lead["status"] = "maybe later"
        elif n % 97 == 3:
            lead = {"company": "Nobody Inc"}
        elif n % 97 == 4:
            lead = ["not", "an", "object"]  # type: ignore[assignment]
        rows.append(lead)
    return rows


def import_rows(
    session: Session, rows: list[Any], campaign_id: str = "cmp_123", **options: Any
) -> ImportOutcome:
    return importing.import_leads(
        session,
        rows,
        ImportOptions(campaign_id=campaign_id, region="FR", max_rows=100_000, **options),
    )


def stored_by_email(engine: Engine, campaign_id: str) -> dict[str, tuple[Any, ...]]:
    with Session(engine) as check:
        found = check.exec(select(Lead).where(Lead.campaign_id == campaign_id)).all()
        return {
            lead.email_key or lead.linkedin_key: tuple(getattr(lead, c) for c in COMPARED)
            for lead in found
        }


def test_one_worker_and_two_give_the_same_leads_scores_and_errors(
    session: Session, engine: Engine, campaign: Any
) -> None:
    twin = {"id": "cmp_twin", "name": "Twin", "criteria": campaign.criteria}
    campaigns.create_campaign(session, data=CampaignCreate.model_validate(twin))
    rows = messy_rows(6000)

    inline = import_rows(session, rows, "cmp_123", workers=1)
    pooled = import_rows(session, rows, "cmp_twin", workers=2)

    assert pool.worker_pids()  # the second import really ran on the pool
    assert inline.imported == pooled.imported > 5000
    assert (inline.skipped, inline.updated) == (pooled.skipped, pooled.updated)
    assert inline.skipped >= 60 and len(inline.errors) >= 180
    assert inline.errors == pooled.errors
    assert inline.duplicates == pooled.duplicates
    assert [lead.quality_score for lead in inline.leads] == [
        lead.quality_score for lead in pooled.leads
    ]
    assert stored_by_email(engine, "cmp_123") == stored_by_email(engine, "cmp_twin")


def test_a_bad_row_prepared_by_a_worker_is_reported_like_any_row_error(
    session: Session, engine: Engine
) -> None:
    rows = [{"email": f"lead{n}@acme.io"} for n in range(5000)]
    rows[4321] = {"email": "bad@acme.io", "status": "maybe later"}
    rows[4700] = {"company": "Nobody Inc"}

    outcome = import_rows(session, rows, workers=2)

    assert pool.worker_pids()
    assert [(e.row, e.field) for e in outcome.errors] == [(4322, "status"), (4701, "email")]
    assert outcome.errors[1] == ImportRowError(
        row=4701, field="email", message="a lead needs an email or a LinkedIn URL"
    )
    assert outcome.errors[0].message.startswith("Input should be")
    assert outcome.imported == 4998
    with Session(engine) as check:
        assert check.exec(select(func.count()).select_from(Lead)).one() == 4998


def test_a_killed_worker_fails_the_request_with_503_and_writes_nothing(
    session: Session, engine: Engine
) -> None:
    killed: list[int] = []

    def kill_a_worker(done: int, total: int) -> None:
        if not killed:  # the first part is back: the others are still being prepared
            killed.append(pool.worker_pids()[0])
            os.kill(killed[0], signal.SIGKILL)

    rows = [{"email": f"lead{n}@acme.io", "phone": "06 12 34 56 78"} for n in range(30_000)]

    with pytest.raises(pool.ImportUnavailable) as raised:
        import_rows(session, rows, workers=2, progress=kill_a_worker)

    assert killed
    assert (raised.value.status, raised.value.headers) == (503, {"Retry-After": "5"})
    assert "nothing was written" in raised.value.message
    with Session(engine) as check:
        assert check.exec(select(func.count()).select_from(Lead)).one() == 0
        assert check.exec(select(func.count()).select_from(ImportBatch)).one() == 0
    # The next import gets a new pool and goes through.
    again = import_rows(session, rows[:3000], workers=2)
    assert again.imported == 3000
    assert killed[0] not in pool.worker_pids()


def test_an_edit_during_a_large_import_completes_before_the_import_does(
    session: Session, engine: Engine
) -> None:
    """A colleague changes a lead's status while 30,000 rows are being imported: their
    edit does not wait for the import (the rows are prepared before the write lock)."""
    (existing,) = import_rows(session, [{"email": "colleague@acme.io"}]).leads
    started = threading.Event()
    finished: dict[str, float] = {}

    def edit() -> None:
        started.wait(timeout=60)
        with Session(engine) as other:
            leads.update_lead(
                other, existing.id, LeadUpdate(status="contacted"), region="FR", actor="colleague"
            )
        finished["edit"] = time.monotonic()

    editor = threading.Thread(target=edit)
    editor.start()
    rows = [{"email": f"lead{n}@acme.io", "phone": "06 12 34 56 78"} for n in range(30_000)]
    outcome = import_rows(session, rows, workers=2, progress=lambda *_: started.set())
    finished["import"] = time.monotonic()
    editor.join(timeout=60)

    assert outcome.imported == 30_000
    assert finished["edit"] < finished["import"]
    with Session(engine) as check:
        assert check.get(Lead, existing.id).status == "contacted"


ORPHAN_SCRIPT = """
import os, signal
from leads_core.ingest import pool, prepare
from leads_core.scoring.criteria import CampaignCriteria

if __name__ == "__main__":
    rows = [{"email": f"lead{n}@acme.io"} for n in range(3000)]
    job = prepare.Job(rows=rows, numbers=list(range(1, 3001)), start=0,
                      criteria=CampaignCriteria(), region="FR", score=True, cells=True,
                      dialect="sqlite")
    pool.run(job, 2)
    print(*pool.worker_pids(), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # no handler, no atexit: the pool is not stopped
"""


def test_workers_exit_when_the_app_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "app.py"
    script.write_text(ORPHAN_SCRIPT)
    # Its output goes to a file: a pipe would stay open as long as the workers live.
    output = tmp_path / "out.txt"
    with output.open("w") as out:
        app = subprocess.run([sys.executable, str(script)], stdout=out, timeout=120, cwd=ROOT)
    workers = [int(pid) for pid in output.read_text().split()]
    try:
        assert app.returncode == -signal.SIGKILL and len(workers) == 2
        deadline = time.monotonic() + 10
        while any(pool._running(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(pool._running(pid) for pid in workers)
    finally:
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def csv_file(rows: list[Any]) -> bytes:
    """``messy_rows`` as a CSV file of a LinkedIn-like export (a row that is not an object
    becomes a row with a bad status)."""
    out = io.StringIO()
    columns = ["firstName", "lastName", "email", "company", "position", "phone", "status"]
    writer = csv.writer(out)
    writer.writerow(
        ["First Name", "Last Name", "Email Address", "Company", "Position", "Phone", "Status"]
    )
    for row in rows:
        row = row if isinstance(row, dict) else {"email": "x@acme.io", "status": "nope"}
        writer.writerow([row.get(c) or "" for c in columns])
    return out.getvalue().encode()


def test_a_file_read_by_the_workers_imports_as_one_read_here(
    session: Session, engine: Engine, campaign: Any
) -> None:
    """A file over POOLED_FILE_BYTES is read by each worker for its share of the rows: the
    same leads, errors, duplicates, reading and problem rows as reading it here."""
    twin = {"id": "cmp_twin", "name": "Twin", "criteria": campaign.criteria}
    campaigns.create_campaign(session, data=CampaignCreate.model_validate(twin))
    data = csv_file(messy_rows(4000))
    assert len(data) > importing.POOLED_FILE_BYTES

    def run(campaign_id: str, workers: int) -> ImportOutcome:
        options = ImportOptions(
            campaign_id=campaign_id, region="FR", max_rows=100_000, workers=workers
        )
        return importing.import_file(session, data, options)

    here, shared = run("cmp_123", 1), run("cmp_twin", 2)

    assert pool.worker_pids()
    assert here.imported == shared.imported > 3500
    assert (here.errors, here.duplicates) == (shared.errors, shared.duplicates)
    assert len(here.errors) > 100
    assert here.response().csv == shared.response().csv
    assert stored_by_email(engine, "cmp_123") == stored_by_email(engine, "cmp_twin")
    with Session(engine) as check:
        problems = [check.get(ImportBatch, o.batch_id).problems for o in (here, shared)]
    assert problems[0] == problems[1]
    assert problems[0].count("\r\n") == len({e.row for e in here.errors}) + 1


def test_a_workers_refusal_of_a_file_reaches_the_client_whole(session: Session) -> None:
    header_only = b"Email,Company\r\n" + b",\r\n" * 150_000  # 300 kB of blank rows
    too_many = csv_file(messy_rows(4000))

    def run(data: bytes, max_rows: int = 100_000) -> None:
        options = ImportOptions(campaign_id="cmp_123", region="FR", max_rows=max_rows, workers=2)
        importing.import_file(session, data, options)

    with pytest.raises(ValidationFailed) as no_rows:
        run(header_only)
    with pytest.raises(PayloadTooLarge) as large:
        run(too_many, max_rows=1000)

    assert no_rows.value.details == [{"field": "file", "message": "no data rows"}]
    assert large.value.status == 413
    assert large.value.message == "4000 leads in one request; the limit is 1000. Split the import."
