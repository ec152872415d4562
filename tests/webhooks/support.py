"""Helpers of the webhook tests: endpoints written straight into the database (the admin
API is not what these tests are about), events emitted with the outbox's ``emit``, a clock
the tests move, and a worker over them."""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from leads_core.ids import new_id
from leads_core.storage.webhook_models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from leads_core.webhooks import outbox
from leads_core.webhooks.sending import Sender
from leads_core.webhooks.worker import Worker

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


class Clock:
    def __init__(self, at: datetime = T0) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def add_endpoint(
    engine: Engine,
    url: str,
    *,
    events: tuple[str, ...] = outbox.EVENT_TYPES,
    created_at: datetime = T0 - timedelta(days=1),
    **fields: Any,
) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(
        id=new_id("whk"),
        url=url,
        events=list(events),
        secret=fields.pop("secret", None) or new_secret(),
        created_at=created_at,
        **fields,
    )
    with Session(engine, expire_on_commit=False) as session:
        session.add(endpoint)
        session.commit()
    return endpoint


def emit(
    engine: Engine,
    event_type: str = "lead.updated",
    *,
    lead_id: str | None = "lead_a",
    at: datetime = T0,
    **data: Any,
) -> tuple[str, str]:
    """One event committed on its own; its (webhook-id, body)."""
    with Session(engine, expire_on_commit=False) as session:
        event = outbox.emit(session, event_type, data or {"n": 1}, lead_id=lead_id, at=at)
        session.commit()
    return event.id, event.body


def worker(engine: Engine, clock: Clock, **sender: Any) -> Worker:
    sender.setdefault("allow_private", True)
    return Worker(engine, Sender(**sender), clock=clock, poll_s=0.05)


def run_until_idle(w: Worker, rounds: int = 20) -> int:
    made = 0
    for _ in range(rounds):
        n = w.run_once()
        if not n:
            return made
        made += n
    raise AssertionError("the worker kept finding work")


def deliveries(engine: Engine) -> list[WebhookDelivery]:
    with Session(engine) as session:
        return list(session.exec(select(WebhookDelivery).order_by(WebhookDelivery.seq)).all())


def attempts(engine: Engine) -> list[WebhookAttempt]:
    with Session(engine) as session:
        return list(session.exec(select(WebhookAttempt).order_by(WebhookAttempt.id)).all())


def endpoint(engine: Engine, endpoint_id: str) -> WebhookEndpoint:
    with Session(engine) as session:
        found = session.get(WebhookEndpoint, endpoint_id)
        assert found is not None
        return found
