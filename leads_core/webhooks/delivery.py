"""Delivering the outbox: the database side of the worker (:mod:`.worker` runs it).

Each step is its own short transaction, and no transaction is open while a request is
sent:

1. :func:`fan_out` turns new events (``dispatched_at`` NULL) into one pending delivery per
   endpoint that is enabled, subscribed to the type and created at or before the event (a
   test event: its own endpoint only).
2. :func:`claim` takes due deliveries under a lease (``locked_until`` = now + 60 s,
   ``locked_by``): on PostgreSQL with ``SELECT ... FOR UPDATE SKIP LOCKED``, so two
   processes never take the same one; on SQLite in a ``BEGIN IMMEDIATE`` transaction. A
   delivery whose endpoint is disabled is held; one with an earlier delivery still pending
   for the same endpoint and lead waits for it (order per lead).
3. The worker sends the claimed ones (:mod:`.sending`), holding no lock.
4. :func:`record` writes the attempt and the delivery's new state: delivered, or the next
   attempt after :data:`SCHEDULE`, or ``failed`` once it runs out - and then disables an
   endpoint failing for :data:`DISABLE_AFTER`.

A process killed between 2 and 4 leaves its claims leased: another process (or the same
one, restarted) sends them again once the lease ends. Delivery is at least once: a
receiver deduplicates by ``webhook-id``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from leads_core.clock import as_utc
from leads_core.storage.sql import begin_write, dialect
from leads_core.storage.webhook_models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from leads_core.webhooks.sending import Outcome
from leads_core.webhooks.signing import secrets_of

SCHEDULE = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
)
"""The wait after failed attempt n (1-based) before attempt n + 1: ~2.6 days in all."""
ATTEMPTS = len(SCHEDULE) + 1
"""Attempts before a delivery is ``failed``."""
LEASE = timedelta(seconds=60)
"""How long a claim lasts: longer than an attempt can take (10 s timeout per step)."""
DISABLE_AFTER = timedelta(days=3)
"""An endpoint whose deliveries have failed since this long, with no success since, is
disabled when one of them fails for good."""
KEEP_FOR = timedelta(days=30)
"""Finished deliveries (and their attempts and events) are deleted after this long."""
FAN_OUT_BATCH = 500
HOUSEKEEPING_BATCH = 1000
_FAN_OUT_LOCK = 0x77686B66  # 'whkf': one PostgreSQL process fans out at a time (order)

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


@dataclass(frozen=True)
class Job:
    """A claimed delivery, with all that sending it needs (no database access while it is
    sent)."""

    delivery_seq: int
    endpoint_id: str
    url: str
    msg_id: str
    body: str
    secrets: tuple[str, ...]
    attempt: int


def _is_postgresql(session: Session) -> bool:
    return dialect(session) == "postgresql"


def _receivers(event: WebhookEvent, endpoints: list[WebhookEndpoint]) -> list[WebhookEndpoint]:
    if event.endpoint_id is not None:  # a test event: its endpoint, even while disabled
        return [e for e in endpoints if e.id == event.endpoint_id]
    created = as_utc(event.created_at)
    return [
        e
        for e in endpoints
        if e.enabled and event.type in e.events and as_utc(e.created_at) <= created
    ]


def fan_out(session: Session, now: datetime, *, limit: int = FAN_OUT_BATCH) -> int:
    """Make the deliveries of up to ``limit`` new events, oldest first, in one
    transaction; the number of events dispatched. One process at a time does it (SQLite's
    write lock; on PostgreSQL a transaction advisory lock, skipped when another holds
    it), so deliveries are numbered in the events' order."""
    new = select(WebhookEvent.seq).where(col(WebhookEvent.dispatched_at).is_(None)).limit(1)
    if session.exec(new).first() is None:  # a read first: no write lock while idle
        session.rollback()
        return 0
    session.rollback()
    begin_write(session)
    if _is_postgresql(session) and not session.scalar(
        select(func.pg_try_advisory_xact_lock(_FAN_OUT_LOCK))
    ):
        session.rollback()
        return 0
    events = session.exec(
        select(WebhookEvent)
        .where(col(WebhookEvent.dispatched_at).is_(None))
        .order_by(col(WebhookEvent.seq))
        .limit(limit)
    ).all()
    if not events:
        session.rollback()
        return 0
    endpoints = list(session.exec(select(WebhookEndpoint)).all())
    for event in events:
        assert event.seq is not None
        for endpoint in _receivers(event, endpoints):
            session.add(
                WebhookDelivery(
                    endpoint_id=endpoint.id,
                    event_seq=event.seq,
                    lead_id=event.lead_id,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
        event.dispatched_at = now
        session.add(event)
    session.commit()
    return len(events)


def claim(session: Session, worker_id: str, now: datetime, *, limit: int) -> list[Job]:
    """Lease up to ``limit`` due deliveries to ``worker_id`` and commit at once."""
    d = WebhookDelivery
    earlier = aliased(WebhookDelivery)
    waits = (
        select(earlier.seq)
        .where(
            earlier.endpoint_id == d.endpoint_id,
            earlier.lead_id == d.lead_id,  # NULL lead: never waits
            earlier.state == PENDING,
            col(earlier.seq) < col(d.seq),
        )
        .exists()
    )
    due = (
        select(d, WebhookEndpoint, WebhookEvent.id, WebhookEvent.body)
        .join(WebhookEndpoint, col(WebhookEndpoint.id) == d.endpoint_id)
        .join(WebhookEvent, col(WebhookEvent.seq) == d.event_seq)
        .where(
            d.state == PENDING,
            col(d.next_attempt_at) <= now,
            or_(col(d.locked_until).is_(None), col(d.locked_until) <= now),
            col(WebhookEndpoint.enabled),
            ~waits,
        )
        .order_by(col(d.seq))
        .limit(limit)
    )
    if session.execute(due.with_only_columns(col(d.seq)).limit(1)).first() is None:
        session.rollback()  # a read first: no write lock while nothing is due
        return []
    session.rollback()
    begin_write(session)
    if _is_postgresql(session):
        due = due.with_for_update(skip_locked=True, of=d)
    rows = session.exec(due).all()
    if not rows:
        session.rollback()
        return []
    jobs = [
        Job(
            delivery_seq=delivery.seq,
            endpoint_id=endpoint.id,
            url=endpoint.url,
            msg_id=msg_id,
            body=body,
            secrets=tuple(secrets_of(endpoint, now)),
            attempt=delivery.attempts + 1,
        )
        for delivery, endpoint, msg_id, body in rows
        if delivery.seq is not None
    ]
    session.execute(
        update(WebhookDelivery)
        .where(col(WebhookDelivery.seq).in_([j.delivery_seq for j in jobs]))
        .values(locked_until=now + LEASE, locked_by=worker_id)
    )
    session.commit()
    return jobs


def disabled_reason(failing_since: datetime, outcome: Outcome) -> str:
    """``Failing since 2026-12-01 10:00 UTC: 500 Internal Server Error``."""
    return f"Failing since {as_utc(failing_since):%Y-%m-%d %H:%M} UTC: {outcome.describe()}"[:300]


def _update_endpoint(
    endpoint: WebhookEndpoint,
    outcome: Outcome,
    attempted_at: datetime,
    now: datetime,
    *,
    gave_up: bool,
) -> None:
    if outcome.ok:
        endpoint.failing_since = None
        return
    if endpoint.failing_since is None:
        endpoint.failing_since = attempted_at
    since = as_utc(endpoint.failing_since)
    if gave_up and endpoint.enabled and now - since >= DISABLE_AFTER:
        endpoint.enabled = False
        endpoint.disabled_reason = disabled_reason(since, outcome)
        endpoint.updated_at = now


def record(
    session: Session,
    job: Job,
    outcome: Outcome,
    *,
    worker_id: str,
    attempted_at: datetime,
    now: datetime,
) -> str | None:
    """Write the attempt and what follows from it; the delivery's state afterwards (None
    when it is gone: its endpoint was deleted meanwhile)."""
    begin_write(session)
    locking = _is_postgresql(session)
    delivery = session.get(WebhookDelivery, job.delivery_seq, with_for_update=locking)
    if delivery is None:
        session.rollback()
        return None
    session.add(
        WebhookAttempt(
            delivery_seq=job.delivery_seq,
            endpoint_id=job.endpoint_id,
            attempt=job.attempt,
            attempted_at=attempted_at,
            status_code=outcome.status,
            duration_ms=outcome.duration_ms,
            error=outcome.error[:500] if outcome.error else None,
            response=outcome.response,
        )
    )
    # Still ours? A lease that ran out may have been claimed again by another process,
    # which now owns the delivery's state: only the attempt is recorded then.
    if delivery.state == PENDING and delivery.locked_by == worker_id:
        delivery.attempts = job.attempt
        delivery.last_status = outcome.status
        delivery.last_error = outcome.error[:500] if outcome.error else None
        delivery.locked_until = None
        gave_up = False
        if outcome.ok:
            delivery.state, delivery.delivered_at = DELIVERED, now
        elif job.attempt >= ATTEMPTS:
            delivery.state, gave_up = FAILED, True
        else:
            delivery.next_attempt_at = now + SCHEDULE[job.attempt - 1]
        session.add(delivery)
        endpoint = session.get(WebhookEndpoint, job.endpoint_id)
        if endpoint is not None and (not outcome.ok or endpoint.failing_since is not None):
            # Locked only to change it. FOR NO KEY UPDATE: the attempt's foreign key holds
            # a KEY SHARE lock on the row, which FOR UPDATE would wait for - two processes
            # recording for one endpoint deadlocked that way.
            endpoint = session.get(
                WebhookEndpoint,
                job.endpoint_id,
                with_for_update={"key_share": True} if locking else None,
                populate_existing=True,
            )
        if endpoint is not None:
            _update_endpoint(endpoint, outcome, attempted_at, now, gave_up=gave_up)
            session.add(endpoint)
    state = delivery.state
    session.commit()
    return state


def housekeeping(session: Session, now: datetime, *, batch: int = HOUSEKEEPING_BATCH) -> int:
    """Delete finished (delivered or failed) deliveries older than :data:`KEEP_FOR`, their
    attempts, and events older than that with no delivery left: ``batch`` rows per short
    transaction. Returns the deliveries and events deleted."""
    cutoff = now - KEEP_FOR
    d = WebhookDelivery
    finished_at = func.coalesce(d.delivered_at, d.created_at)
    old_deliveries = (
        select(d.seq).where(d.state != PENDING, finished_at < cutoff).order_by(col(d.seq))
    )
    left = select(d.seq).where(d.event_seq == WebhookEvent.seq).exists()
    old_events = (
        select(WebhookEvent.seq)
        .where(col(WebhookEvent.dispatched_at) < cutoff, ~left)
        .order_by(col(WebhookEvent.seq))
    )
    deleted = 0
    for query, model, children in (
        (old_deliveries, WebhookDelivery, True),
        (old_events, WebhookEvent, False),
    ):
        while session.exec(query.limit(1)).first() is not None:  # a read: no lock if none
            session.rollback()
            begin_write(session)
            seqs = list(session.exec(query.limit(batch)).all())
            if seqs:
                if children:
                    session.execute(
                        delete(WebhookAttempt).where(col(WebhookAttempt.delivery_seq).in_(seqs))
                    )
                session.execute(delete(model).where(col(model.seq).in_(seqs)))
            session.commit()
            deleted += len(seqs)
        session.rollback()
    return deleted
