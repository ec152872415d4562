"""Concurrent imports on PostgreSQL, where two transactions really run at once: the unique
constraint decides which stores a lead, and the loser counts it as skipped."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from leads_core.ingest import importing, writing
from leads_core.ingest import pool as import_pool
from leads_core.ingest.options import ImportOptions
from leads_core.storage.models import ImportBatch, Lead

pytestmark = [pytest.mark.postgresql_only, pytest.mark.usefixtures("campaign")]


def import_rows(engine: Engine, rows: list[dict[str, Any]], **options: Any):
    with Session(engine, expire_on_commit=False) as session:
        return importing.import_leads(
            session,
            rows,
            ImportOptions(campaign_id="cmp_123", region="FR", max_rows=1000, **options),
        )


def wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)  # polling pg_stat_activity, bounded by the deadline


def someone_waits_on_a_lock(engine: Engine) -> bool:
    with engine.connect() as connection:
        return bool(
            connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar()
        )


def lead_emails(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.exec(select(Lead.email).order_by(Lead.email)).all())


def test_the_loser_of_a_race_for_the_same_email_counts_it_skipped(engine: Engine) -> None:
    """Our import checks for duplicates, then another transaction stores the same email
    before our insert: the insert waits for it, finds the unique constraint taken and the
    row is reported as skipped - not an error, not a second lead."""
    rows = [{"email": "jean@startup.io"}, {"email": "new@startup.io"}]
    other = engine.connect()
    other_tx = other.begin()
    other.execute(
        Lead.__table__.insert(),
        {
            "id": "lead_other",
            "campaign_id": "cmp_123",
            "email": "jean@startup.io",
            "email_key": "jean@startup.io",
            "status": "new",
            "created_at": writing.utcnow(),
            "updated_at": writing.utcnow(),
        },
    )  # not committed: our duplicate check cannot see it
    with ThreadPoolExecutor(1) as pool:
        ours = pool.submit(import_rows, engine, rows)
        wait_for(lambda: someone_waits_on_a_lock(engine), "the import to wait on the row")
        other_tx.commit()
        outcome = ours.result(timeout=30)
    other.close()

    assert (outcome.imported, outcome.skipped, outcome.errors) == (1, 1, [])
    assert [lead.id for lead in outcome.leads] != ["lead_other"]
    assert len(outcome.leads) == 1
    assert lead_emails(engine) == ["jean@startup.io", "new@startup.io"]
    with Session(engine) as session:
        batch = session.get(ImportBatch, outcome.batch_id)
        assert (batch.imported, batch.skipped) == (1, 1)
        # Only the lead it wrote is in its history of created leads.
        assert (
            session.exec(
                select(func.count()).select_from(Lead).where(Lead.import_id == outcome.batch_id)
            ).one()
            == 1
        )


def test_crossed_imports_store_each_lead_once(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two imports of the same leads in opposite orders, both past their first prepared row
    before either goes on, so they write at the same time. Each inserts in identity order
    (so neither holds a row the other needs first); the one that waits skips what the
    other stored."""
    monkeypatch.setattr(import_pool, "CHUNK_ROWS", 1)
    emails = [f"lead{i}@startup.io" for i in range(4)]
    forward = [{"email": e} for e in emails]
    both_started = threading.Barrier(2, timeout=20)

    def run(rows: list[dict[str, Any]]):
        first_step = [True]

        def progress(done: int, _total: int) -> None:
            if first_step[0]:  # only in the first attempt: a retry runs straight through
                first_step[0] = False
                both_started.wait()

        return import_rows(engine, rows, progress=progress)

    with ThreadPoolExecutor(2) as pool:
        a = pool.submit(run, forward)
        b = pool.submit(run, forward[::-1])
        outcomes = [a.result(timeout=60), b.result(timeout=60)]

    assert sorted(o.imported for o in outcomes) != [0, 0]
    assert sum(o.imported for o in outcomes) == 4
    assert sum(o.skipped for o in outcomes) == 4
    assert all(o.errors == [] for o in outcomes)
    assert lead_emails(engine) == emails
