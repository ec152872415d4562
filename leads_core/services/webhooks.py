"""Webhook endpoints: who gets which events, signed with which secret; and what was sent
to them (the deliveries and their attempts, which the worker writes).

A URL is checked by the SSRF guard (``leads_core.webhooks.netguard``) whenever it is saved:
a refused one is a ``ValidationFailed`` naming ``url`` with the guard's reason. A secret is
``whsec_`` + base64 of 24 random bytes (the Standard Webhooks format); it is returned once,
by :func:`create_endpoint` and :func:`rotate_secret`, on the endpoint they return, and
never logged. After a rotation the previous secret signs too, until
``previous_secret_until``, so receivers can switch without losing a delivery."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists
from sqlmodel import Session, col, select

from leads_core.clock import as_utc, utcnow
from leads_core.errors import Conflict, NotFound, ValidationFailed
from leads_core.ids import new_id
from leads_core.storage.webhook_models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from leads_core.webhook_schemas import (
    DEFAULT_DELIVERIES,
    DEFAULT_OVERLAP_HOURS,
    MAX_DELIVERIES,
    MAX_OVERLAP_HOURS,
    WebhookCreate,
    WebhookUpdate,
)
from leads_core.webhooks import netguard, outbox

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24
REASON_LENGTH = 300  # WebhookEndpoint.disabled_reason


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def checked_url(url: str, *, allow_private: bool, resolve: netguard.Resolver) -> str:
    """The URL as stored (trimmed), or ``ValidationFailed`` naming ``url`` with the guard's
    reason (what the person who typed it has to fix)."""
    try:
        return netguard.check_url(url, allow_private=allow_private, resolve=resolve).url
    except netguard.BlockedTarget as refused:
        message = str(refused)
        raise ValidationFailed(message, details=[{"field": "url", "message": message}]) from None


def checked_events(events: Iterable[str]) -> list[str]:
    """The event types, each once, in ``outbox.EVENT_TYPES``'s order; ``ValidationFailed``
    naming ``events`` when one is unknown or there are none."""
    chosen = set(events)
    unknown = sorted(chosen - set(outbox.EVENT_TYPES))
    if unknown:
        message = (
            f"unknown event type {', '.join(map(repr, unknown))}: choose among "
            f"{', '.join(outbox.EVENT_TYPES)}"
        )
        raise ValidationFailed(message, details=[{"field": "events", "message": message}])
    if not chosen:
        message = "choose at least one event type"
        raise ValidationFailed(message, details=[{"field": "events", "message": message}])
    return [t for t in outbox.EVENT_TYPES if t in chosen]


def create_endpoint(
    session: Session,
    data: WebhookCreate,
    *,
    actor: str | None,
    allow_private: bool,
    resolve: netguard.Resolver = netguard.system_resolver,
) -> WebhookEndpoint:
    """A new enabled endpoint; its ``secret`` is to be shown this once."""
    events = checked_events(data.events)
    url = checked_url(data.url, allow_private=allow_private, resolve=resolve)
    now = utcnow()
    endpoint = WebhookEndpoint(
        id=new_id("whk"),
        url=url,
        description=data.description,
        events=events,
        secret=new_secret(),
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    session.add(endpoint)
    session.commit()
    session.refresh(endpoint)
    return endpoint


def list_endpoints(session: Session) -> list[WebhookEndpoint]:
    """Every endpoint, oldest first."""
    query = select(WebhookEndpoint).order_by(
        col(WebhookEndpoint.created_at), col(WebhookEndpoint.id)
    )
    return list(session.exec(query).all())


def get_endpoint(session: Session, endpoint_id: str) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound(f"no webhook endpoint {endpoint_id!r}")
    return endpoint


def update_endpoint(
    session: Session,
    endpoint_id: str,
    changes: WebhookUpdate,
    *,
    actor: str | None,
    allow_private: bool,
    resolve: netguard.Resolver = netguard.system_resolver,
) -> WebhookEndpoint:
    """Change the fields set in ``changes``. Disabling records who did it; enabling clears
    why it was disabled and since when it was failing."""
    given = changes.model_fields_set
    for name in ("url", "events", "enabled"):
        if name in given and getattr(changes, name) is None:
            message = f"{name} cannot be null"
            raise ValidationFailed(message, details=[{"field": name, "message": message}])
    endpoint = get_endpoint(session, endpoint_id)
    if changes.events is not None:
        endpoint.events = checked_events(changes.events)
    if changes.url is not None:
        endpoint.url = checked_url(changes.url, allow_private=allow_private, resolve=resolve)
    if "description" in given:
        endpoint.description = changes.description or ""
    if changes.enabled is not None:
        _switch(endpoint, changes.enabled, actor=actor)
    endpoint.updated_at = utcnow()
    session.add(endpoint)
    session.commit()
    session.refresh(endpoint)
    return endpoint


def _switch(endpoint: WebhookEndpoint, enabled: bool, *, actor: str | None) -> None:
    if enabled and not endpoint.enabled:
        endpoint.enabled = True
        endpoint.disabled_reason = None
        endpoint.failing_since = None
    elif not enabled and endpoint.enabled:
        endpoint.enabled = False
        endpoint.disabled_reason = f"Disabled by {actor or 'an admin'}"[:REASON_LENGTH]


def delete_endpoint(session: Session, endpoint_id: str) -> None:
    """The endpoint, its deliveries and their attempts (the database cascades)."""
    endpoint = get_endpoint(session, endpoint_id)
    session.delete(endpoint)
    session.commit()


def rotate_secret(
    session: Session,
    endpoint_id: str,
    *,
    overlap_hours: int = DEFAULT_OVERLAP_HOURS,
) -> WebhookEndpoint:
    """A new secret (on the endpoint returned: show it once); the current one keeps signing
    for ``overlap_hours`` (0: it stops now). A secret older than the current one stops."""
    if not 0 <= overlap_hours <= MAX_OVERLAP_HOURS:
        message = f"the overlap is 0 to {MAX_OVERLAP_HOURS} hours"
        raise ValidationFailed(message, details=[{"field": "overlapHours", "message": message}])
    endpoint = get_endpoint(session, endpoint_id)
    now = utcnow()
    if overlap_hours:
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_until = now + timedelta(hours=overlap_hours)
    else:
        endpoint.previous_secret = None
        endpoint.previous_secret_until = None
    endpoint.secret = new_secret()
    endpoint.updated_at = now
    session.add(endpoint)
    session.commit()
    session.refresh(endpoint)
    return endpoint


def send_test_event(session: Session, endpoint_id: str, *, actor: str | None) -> WebhookEvent:
    """A ``webhook.test`` event for this endpoint alone, sent by the worker shortly."""
    endpoint = get_endpoint(session, endpoint_id)
    if not endpoint.enabled:
        raise Conflict("the endpoint is disabled: enable it to send it a test event")
    data = {
        "webhookId": endpoint.id,
        "message": f"A test event sent by {actor or 'an admin'} from the Leads workspace",
    }
    event = outbox.emit(session, outbox.TEST_EVENT, data, endpoint_id=endpoint.id)
    session.commit()
    session.refresh(event)
    return event


def resend_delivery(session: Session, endpoint_id: str, delivery_id: int) -> WebhookDelivery:
    """A new pending delivery of the same event to the same endpoint, due now; the old one
    stays as it was, as history."""
    old = session.get(WebhookDelivery, delivery_id)
    if old is None or old.endpoint_id != endpoint_id:
        raise NotFound(f"no delivery {delivery_id} of webhook endpoint {endpoint_id!r}")
    now = utcnow()
    again = WebhookDelivery(
        endpoint_id=old.endpoint_id,
        event_seq=old.event_seq,
        lead_id=old.lead_id,
        state="pending",
        next_attempt_at=now,
        created_at=now,
    )
    session.add(again)
    session.commit()
    session.refresh(again)
    return again


def event_id_of(session: Session, delivery: WebhookDelivery) -> str:
    """The ``msg_...`` id of the delivery's event (its ``webhook-id`` header)."""
    return session.exec(select(WebhookEvent.id).where(WebhookEvent.seq == delivery.event_seq)).one()


# ------------------------------------------------------------------ what was sent


@dataclass(frozen=True)
class DeliveryRow:
    """One attempt of a delivery, or a delivery not tried yet (``attempt`` None)."""

    delivery_id: int
    event_id: str
    event_type: str
    state: str  # the delivery's, now
    attempt: int | None
    attempts: int  # the delivery's so far: an attempt before the last was retried
    at: datetime  # tried at, or queued at when not tried yet
    status_code: int | None
    duration_ms: float | None
    error: str | None
    next_attempt_at: datetime | None  # a pending delivery's


def recent_deliveries(
    session: Session, endpoint_id: str, *, limit: int = DEFAULT_DELIVERIES
) -> list[DeliveryRow]:
    """The endpoint's latest attempts and not-yet-tried deliveries, newest first: two
    queries on the (endpoint, time) indexes, each limited, merged."""
    get_endpoint(session, endpoint_id)
    limit = max(1, min(limit, MAX_DELIVERIES))
    rows = [
        *_attempt_rows(session, endpoint_id, limit),
        *_untried_rows(session, endpoint_id, limit),
    ]
    rows.sort(key=lambda r: (r.at, r.delivery_id, r.attempt or 0), reverse=True)
    return rows[:limit]


def _attempt_rows(session: Session, endpoint_id: str, limit: int) -> list[DeliveryRow]:
    query = (
        select(WebhookAttempt, WebhookDelivery, WebhookEvent.id, WebhookEvent.type)
        .join(WebhookDelivery, col(WebhookDelivery.seq) == col(WebhookAttempt.delivery_seq))
        .join(WebhookEvent, col(WebhookEvent.seq) == col(WebhookDelivery.event_seq))
        .where(WebhookAttempt.endpoint_id == endpoint_id)
        .order_by(col(WebhookAttempt.attempted_at).desc(), col(WebhookAttempt.id).desc())
        .limit(limit)
    )
    return [
        _row(delivery, event_id, event_type, attempt)
        for attempt, delivery, event_id, event_type in session.exec(query).all()
    ]


def _untried_rows(session: Session, endpoint_id: str, limit: int) -> list[DeliveryRow]:
    tried = exists().where(col(WebhookAttempt.delivery_seq) == col(WebhookDelivery.seq))
    query = (
        select(WebhookDelivery, WebhookEvent.id, WebhookEvent.type)
        .join(WebhookEvent, col(WebhookEvent.seq) == col(WebhookDelivery.event_seq))
        .where(WebhookDelivery.endpoint_id == endpoint_id, ~tried)
        .order_by(col(WebhookDelivery.created_at).desc(), col(WebhookDelivery.seq).desc())
        .limit(limit)
    )
    return [
        _row(delivery, event_id, event_type, None)
        for delivery, event_id, event_type in session.exec(query).all()
    ]


def _row(
    delivery: WebhookDelivery, event_id: str, event_type: str, attempt: WebhookAttempt | None
) -> DeliveryRow:
    """One line of the list: an attempt of the delivery, or (None) the delivery not tried yet."""
    return DeliveryRow(
        delivery_id=_seq(delivery.seq),
        event_id=event_id,
        event_type=event_type,
        state=delivery.state,
        attempt=attempt.attempt if attempt else None,
        attempts=delivery.attempts,
        at=as_utc(attempt.attempted_at if attempt else delivery.created_at),
        status_code=attempt.status_code if attempt else None,
        duration_ms=attempt.duration_ms if attempt else None,
        error=attempt.error if attempt else delivery.last_error,
        next_attempt_at=_next(delivery),
    )


def _seq(value: int | None) -> int:
    assert value is not None  # a stored row's key
    return value


def _next(delivery: WebhookDelivery) -> datetime | None:
    return as_utc(delivery.next_attempt_at) if delivery.state == "pending" else None
