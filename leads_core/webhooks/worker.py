"""The webhook worker: a loop over :mod:`.delivery`'s steps, run by a background thread of
each app process (started by ``app.py``; ``LEADS_WEBHOOKS_WORKER=0`` turns it off in a
process) or in the foreground by ``python -m leads_core deliver-webhooks``.

Each round fans new events out, claims up to ``batch`` due deliveries, sends them in
parallel (a claimed batch takes at most one timeout, well inside the lease) and records
each answer. Between rounds it waits up to ``poll_s`` - less when a commit in this process
emitted an event (:data:`.outbox.WAKE`). Hourly it deletes what is 30 days old. Any number
of workers may run, in any number of processes, on one database: the claims keep them
apart.
"""

from __future__ import annotations

import atexit
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from leads_core.clock import utcnow
from leads_core.config import Settings, get_settings
from leads_core.storage.sql import is_transient
from leads_core.webhooks import delivery, outbox, signing
from leads_core.webhooks.sending import Outcome, Sender

log = logging.getLogger(__name__)

POLL_S = 1.0
BATCH = 8
HOUSEKEEPING_EVERY = timedelta(hours=1)
RECORD_TRIES = 3
STOP_WAIT_S = 15.0  # one round: a batch's attempts end within the 10 s timeout


def worker_name() -> str:
    """``host/pid/random``: who holds a lease (``locked_by``), unique per worker."""
    return f"{socket.gethostname()[:60]}/{os.getpid()}/{uuid.uuid4().hex[:8]}"


class Worker:
    """Delivers the outbox of the database behind ``engine``. ``clock`` gives the time the
    schedule runs on (tests move it); the signature's timestamp is always the real time."""

    def __init__(
        self,
        engine: Engine,
        sender: Sender,
        *,
        clock: Callable[[], datetime] = utcnow,
        batch: int = BATCH,
        poll_s: float = POLL_S,
        name: str | None = None,
    ) -> None:
        self.engine = engine
        self.sender = sender
        self.clock = clock
        self.batch = batch
        self.poll_s = poll_s
        self.name = name or worker_name()
        self.stopping = threading.Event()
        self._pool = ThreadPoolExecutor(batch, thread_name_prefix="webhook-send")
        self._housekept_at: datetime | None = None

    def _session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def _attempt(self, job: delivery.Job) -> tuple[datetime, Outcome]:
        attempted_at = self.clock()
        try:
            headers = signing.headers(job.msg_id, job.body, list(job.secrets), datetime.now(UTC))
            return attempted_at, self.sender.send(job.url, headers, job.body)
        except Exception as exc:  # a bug must not leave the delivery leased and unrecorded
            log.exception("webhook attempt %s failed", job.msg_id)
            return attempted_at, Outcome(None, 0.0, f"internal error: {type(exc).__name__}")

    def run_once(self) -> int:
        """One round: fan out, claim, send, record. The number of attempts made."""
        with self._session() as session:
            delivery.fan_out(session, self.clock())
        with self._session() as session:
            jobs = delivery.claim(session, self.name, self.clock(), limit=self.batch)
        futures = {self._pool.submit(self._attempt, job): job for job in jobs}
        for future in as_completed(futures):
            attempted_at, outcome = future.result()
            self._record(futures[future], outcome, attempted_at)
        self._housekeeping_if_due()
        return len(jobs)

    def _record(self, job: delivery.Job, outcome: Outcome, attempted_at: datetime) -> None:
        """Record one attempt, again after a PostgreSQL deadlock or serialization failure;
        one that cannot be recorded is logged, and sent again when its lease ends."""
        for tries_left in reversed(range(RECORD_TRIES)):
            try:
                with self._session() as session:
                    delivery.record(
                        session,
                        job,
                        outcome,
                        worker_id=self.name,
                        attempted_at=attempted_at,
                        now=self.clock(),
                    )
                return
            except DBAPIError as exc:
                if is_transient(exc) and tries_left:
                    continue
                log.exception("webhook attempt of %s not recorded", job.msg_id)
                return
            except Exception:  # the batch's other attempts are still recorded
                log.exception("webhook attempt of %s not recorded", job.msg_id)
                return

    def _housekeeping_if_due(self) -> None:
        now = self.clock()
        if self._housekept_at is not None and now - self._housekept_at < HOUSEKEEPING_EVERY:
            return
        self._housekept_at = now
        with self._session() as session:
            deleted = delivery.housekeeping(session, now)
        if deleted:
            log.info("webhooks: deleted %d deliveries and events older than 30 days", deleted)

    def run(self) -> None:
        """Rounds until :meth:`stop`; an error (database unreachable...) is logged and the
        next round comes after the poll interval."""
        log.info("webhooks worker %s started", self.name)
        while not self.stopping.is_set():
            outbox.WAKE.clear()
            try:
                if self.run_once():
                    continue  # more may be due now
            except Exception:
                log.exception("webhooks worker round failed; next in %.0f s", self.poll_s)
            outbox.WAKE.wait(self.poll_s)
        self.close()
        log.info("webhooks worker %s stopped", self.name)

    def stop(self) -> None:
        """Make :meth:`run` return after the round under way (callable from any thread
        or a signal handler)."""
        self.stopping.set()
        outbox.WAKE.set()

    def close(self) -> None:
        self._pool.shutdown(wait=True)


_started: tuple[Worker, threading.Thread] | None = None
_lock = threading.Lock()


def start_background(settings: Settings | None = None, engine: Engine | None = None) -> bool:
    """Start this process's worker thread, once per process; False when the settings
    turn it off (``LEADS_WEBHOOKS_WORKER=0``) or it runs already. It stops at exit."""
    global _started
    settings = settings or get_settings()
    if not settings.webhooks_worker:
        return False
    with _lock:
        if _started is not None:
            return False
        if engine is None:
            from leads_core.storage.db import get_engine

            engine = get_engine(settings)
        worker = Worker(engine, Sender(allow_private=settings.webhooks_allow_private))
        thread = threading.Thread(target=worker.run, name="webhooks-worker", daemon=True)
        thread.start()
        _started = (worker, thread)
    atexit.register(stop_background)
    return True


def stop_background(timeout_s: float = STOP_WAIT_S) -> None:
    """Stop the worker thread: the round under way ends (its attempts recorded), then it
    returns. Leases of a round cut short end by themselves after 60 s."""
    global _started
    with _lock:
        started, _started = _started, None
    if started is not None:
        worker, thread = started
        worker.stop()
        thread.join(timeout_s)
