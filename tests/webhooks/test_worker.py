"""The worker's loop and leases, on the run's engine: woken by a commit that emitted, stopped
cleanly; two workers never hold the same delivery; a lease left by a dead worker ends;
housekeeping deletes what is 30 days old."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from leads_core.config import load_settings
from leads_core.storage.db import make_engine
from leads_core.storage.webhook_models import WebhookAttempt, WebhookDelivery, WebhookEvent
from leads_core.webhooks import delivery, worker
from leads_core.webhooks.sending import Outcome
from tests.webhooks.receiver import receiving
from tests.webhooks.support import (
    T0,
    Clock,
    add_endpoint,
    attempts,
    deliveries,
    emit,
)
from tests.webhooks.support import worker as make_worker


def test_a_commit_that_emitted_wakes_the_worker_before_its_poll(engine: Engine) -> None:
    with receiving() as receiver:
        add_endpoint(engine, receiver.url)
        w = make_worker(engine, Clock())
        w.poll_s = 60.0  # only the wake-up can make it deliver within the test
        thread = threading.Thread(target=w.run)
        thread.start()
        try:
            time.sleep(0.3)  # the worker's first round: nothing to do, then it waits
            msg_id, _ = emit(engine)
            [request] = receiver.wait_for(1, timeout_s=10)
        finally:
            w.stop()
            thread.join(10)
    assert request.msg_id == msg_id
    assert not thread.is_alive()


def test_the_setting_turns_the_background_worker_off(engine: Engine) -> None:
    off = load_settings({"DATABASE_URL": "sqlite:///unused.db", "LEADS_WEBHOOKS_WORKER": "0"})
    assert worker.start_background(off, engine) is False
    assert worker._started is None


def test_the_background_worker_starts_once_per_process_and_stops(engine: Engine) -> None:
    settings = load_settings({"DATABASE_URL": "sqlite:///unused.db"})
    try:
        assert worker.start_background(settings, engine) is True
        assert worker.start_background(settings, engine) is False
        assert worker._started is not None
        thread = worker._started[1]
        assert thread.is_alive() and thread.daemon
    finally:
        worker.stop_background()
    assert worker._started is None
    assert not thread.is_alive()


def _fanned_out(engine: Engine, count: int) -> None:
    add_endpoint(engine, "http://127.0.0.1:9/never-sent")
    for n in range(count):
        emit(engine, lead_id=f"lead_{n}")
    with Session(engine) as session:
        assert delivery.fan_out(session, T0) == count


def test_two_workers_claim_different_deliveries(engine: Engine) -> None:
    _fanned_out(engine, 12)
    with Session(engine) as one, Session(engine) as two:
        first = delivery.claim(one, "worker-1", T0, limit=8)
        second = delivery.claim(two, "worker-2", T0, limit=8)
        third = delivery.claim(two, "worker-2", T0, limit=8)
    assert len(first) == 8 and len(second) == 4 and third == []
    assert not {j.delivery_seq for j in first} & {j.delivery_seq for j in second}
    holders = {d.seq: d.locked_by for d in deliveries(engine)}
    assert {holders[j.delivery_seq] for j in first} == {"worker-1"}
    assert {holders[j.delivery_seq] for j in second} == {"worker-2"}


def test_a_dead_worker_s_lease_ends_after_60_s_and_another_sends_it(engine: Engine) -> None:
    _fanned_out(engine, 1)
    with Session(engine) as session:
        [job] = delivery.claim(session, "dead-worker", T0, limit=8)
        assert delivery.claim(session, "alive", T0 + timedelta(seconds=59), limit=8) == []
        [again] = delivery.claim(session, "alive", T0 + timedelta(seconds=60), limit=8)
        assert again.delivery_seq == job.delivery_seq
        # The dead worker was only slow: its late answer is kept as an attempt, but the
        # delivery now belongs to the one holding the lease.
        late = Outcome(200, 1.0)
        state = delivery.record(
            session, job, late, worker_id="dead-worker", attempted_at=T0, now=T0
        )
        assert state == "pending"
        state = delivery.record(
            session, again, Outcome(204, 1.0), worker_id="alive", attempted_at=T0, now=T0
        )
        assert state == "delivered"
    assert [(a.status_code) for a in attempts(engine)] == [200, 204]


def test_housekeeping_deletes_finished_deliveries_and_events_after_30_days(
    engine: Engine,
) -> None:
    _fanned_out(engine, 3)  # three events, three deliveries made at T0
    with Session(engine) as session:
        jobs = delivery.claim(session, "w", T0, limit=8)
        for job, outcome in zip(jobs, (Outcome(200, 1.0), Outcome(500, 1.0)), strict=False):
            delivery.record(session, job, outcome, worker_id="w", attempted_at=T0, now=T0)
        # 1 delivered, 1 pending (retrying), 1 pending (lease: not yet sent)
        assert delivery.housekeeping(session, T0 + timedelta(days=29)) == 0
        assert delivery.housekeeping(session, T0 + timedelta(days=31), batch=1) == 2
        left = session.exec(select(WebhookDelivery.state)).all()
        events = session.exec(select(WebhookEvent.seq)).all()
        kept_attempts = session.exec(select(WebhookAttempt.status_code)).all()
    assert sorted(left) == ["pending", "pending"]
    assert len(events) == 2
    assert kept_attempts == [500]


@pytest.mark.sqlite_only
def test_an_idle_worker_takes_no_write_lock(db_url: str) -> None:
    # An import holds SQLite's write lock for seconds: a worker with nothing to do must not
    # queue behind it every second (nor make the import wait for it).
    engine = make_engine(db_url, busy_timeout_ms=200)
    try:
        add_endpoint(engine, "http://127.0.0.1:9/never-sent")
        w = make_worker(engine, Clock())
        with engine.connect() as importer:
            importer.exec_driver_sql("BEGIN IMMEDIATE")
            assert w.run_once() == 0  # "database is locked" if it tried to write
            importer.exec_driver_sql("ROLLBACK")
        emit(engine)
        with engine.connect() as importer:
            importer.exec_driver_sql("BEGIN IMMEDIATE")
            with pytest.raises(OperationalError, match="locked"):
                w.run_once()  # work to do: it needs the lock
            importer.exec_driver_sql("ROLLBACK")
        w.close()
    finally:
        engine.dispose()
