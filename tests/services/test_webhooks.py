"""Webhook endpoints' administration: create (SSRF guard, events), update, disable and
enable, rotate the secret, test events, resend, and the deliveries listed newest first.

No name is ever looked up: URLs hold IP literals or go through a fake resolver."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import get_args

import pytest
from sqlmodel import Session, select

from leads_core.clock import as_utc, utcnow
from leads_core.errors import Conflict, NotFound, ValidationFailed
from leads_core.services import webhooks
from leads_core.storage.webhook_models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from leads_core.webhook_schemas import EventType, WebhookCreate, WebhookUpdate
from leads_core.webhooks import outbox
from tests.support.fake_dns import fake_resolve


def create(
    session: Session,
    url: str = "https://hooks.example.com/leads",
    events: list[str] | None = None,
    *,
    allow_private: bool = False,
    description: str = "CRM sync",
) -> WebhookEndpoint:
    data = WebhookCreate.model_validate(
        {"url": url, "events": events or ["lead.created"], "description": description}
    )
    return webhooks.create_endpoint(
        session, data, actor="ann@acme.test", allow_private=allow_private, resolve=fake_resolve
    )


def update(session: Session, endpoint_id: str, **changes: object) -> WebhookEndpoint:
    return webhooks.update_endpoint(
        session,
        endpoint_id,
        WebhookUpdate.model_validate(changes),
        actor="bob@acme.test",
        allow_private=False,
        resolve=fake_resolve,
    )


def delivery_of(
    session: Session, endpoint: WebhookEndpoint, *, minutes_ago: int
) -> WebhookDelivery:
    at = utcnow() - timedelta(minutes=minutes_ago)
    event = outbox.emit(session, "lead.created", {"leads": []}, at=at)
    session.flush()
    assert event.seq is not None
    delivery = WebhookDelivery(endpoint_id=endpoint.id, event_seq=event.seq, created_at=at)
    session.add(delivery)
    session.commit()
    return delivery


def test_the_schemas_event_types_are_the_outboxs() -> None:
    assert get_args(EventType) == outbox.EVENT_TYPES


def test_create_stores_an_enabled_endpoint_with_a_standard_webhooks_secret(
    session: Session,
) -> None:
    endpoint = create(session, events=["lead.deleted", "lead.created", "lead.deleted"])

    stored = session.exec(select(WebhookEndpoint)).one()
    assert stored.id == endpoint.id and endpoint.id.startswith("whk_")
    assert (stored.url, stored.events, stored.description) == (
        "https://hooks.example.com/leads",
        ["lead.created", "lead.deleted"],  # each once, in EVENT_TYPES' order
        "CRM sync",
    )
    assert (stored.enabled, stored.disabled_reason, stored.created_by) == (
        True,
        None,
        "ann@acme.test",
    )
    assert stored.secret.startswith("whsec_")
    assert len(base64.b64decode(stored.secret.removeprefix("whsec_"), validate=True)) == 24
    assert create(session).secret != stored.secret


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:9/hook", "127.0.0.1 is a loopback address"),
        ("http://[::1]/hook", "::1 is a loopback address"),
        ("https://intranet.example.com/x", "intranet.example.com (10.0.0.8) is a private address"),
        ("http://169.254.169.254/latest", "169.254.169.254 is a cloud metadata address"),
        ("ftp://hooks.example.com/x", "the URL must start with https:// or http://"),
        ("https://nowhere.example.com/", "'nowhere.example.com' could not be resolved"),
    ],
)
def test_create_refuses_a_url_the_guard_refuses_naming_url(
    session: Session, url: str, reason: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        create(session, url)

    assert reason in refused.value.message
    assert refused.value.details == [{"field": "url", "message": refused.value.message}]
    assert session.exec(select(WebhookEndpoint)).all() == []


def test_allow_private_lets_a_loopback_receiver_in_but_never_metadata(session: Session) -> None:
    assert create(session, "http://127.0.0.1:9/hook", allow_private=True).url == (
        "http://127.0.0.1:9/hook"
    )
    with pytest.raises(ValidationFailed, match="metadata"):
        create(session, "http://169.254.169.254/", allow_private=True)


@pytest.mark.parametrize("events", [[], ["lead.created", "lead.exploded"], ["webhook.test"]])
def test_events_must_be_known_and_at_least_one(session: Session, events: list[str]) -> None:
    data = WebhookCreate.model_construct(url="https://hooks.example.com/", events=events)

    with pytest.raises(ValidationFailed) as refused:
        webhooks.create_endpoint(
            session, data, actor=None, allow_private=False, resolve=fake_resolve
        )

    assert refused.value.details[0]["field"] == "events"


def test_get_and_delete_an_unknown_endpoint_is_not_found(session: Session) -> None:
    for call in (webhooks.get_endpoint, webhooks.delete_endpoint):
        with pytest.raises(NotFound, match="whk_nope"):
            call(session, "whk_nope")


def test_list_is_oldest_first(session: Session) -> None:
    first, second = create(session), create(session, description="second")

    assert [e.id for e in webhooks.list_endpoints(session)] == [first.id, second.id]


def test_update_changes_only_the_fields_given_and_rechecks_the_url(session: Session) -> None:
    endpoint = create(session)

    changed = update(session, endpoint.id, events=["import.completed"], description=" Slack ")

    assert (changed.url, changed.events, changed.description) == (
        "https://hooks.example.com/leads",
        ["import.completed"],
        "Slack",
    )
    with pytest.raises(ValidationFailed) as refused:
        update(session, endpoint.id, url="http://10.1.2.3/hook")
    assert refused.value.details[0]["field"] == "url"
    with pytest.raises(ValidationFailed, match="events cannot be null"):
        update(session, endpoint.id, events=None)
    assert webhooks.get_endpoint(session, endpoint.id).url == "https://hooks.example.com/leads"


def test_disabling_names_who_and_enabling_clears_the_reason_and_failing_since(
    session: Session,
) -> None:
    endpoint = create(session)

    disabled = update(session, endpoint.id, enabled=False)
    assert (disabled.enabled, disabled.disabled_reason) == (False, "Disabled by bob@acme.test")

    disabled.disabled_reason = "Failing since 2026-12-01 10:00 UTC: 500 Internal Server Error"
    disabled.failing_since = utcnow() - timedelta(days=3)
    session.add(disabled)
    session.commit()
    again = update(session, endpoint.id, enabled=False)  # already disabled: the reason stays
    assert again.disabled_reason.startswith("Failing since")

    enabled = update(session, endpoint.id, enabled=True)
    assert (enabled.enabled, enabled.disabled_reason, enabled.failing_since) == (True, None, None)


def test_rotation_keeps_the_previous_secret_signing_for_the_overlap(session: Session) -> None:
    endpoint = create(session)
    first = endpoint.secret

    rotated = webhooks.rotate_secret(session, endpoint.id, overlap_hours=24)

    assert rotated.secret.startswith("whsec_") and rotated.secret != first
    assert rotated.previous_secret == first
    assert rotated.previous_secret_until is not None
    left = as_utc(rotated.previous_secret_until) - utcnow()
    assert timedelta(hours=23, minutes=59) < left <= timedelta(hours=24)

    at_once = webhooks.rotate_secret(session, endpoint.id, overlap_hours=0)
    assert (at_once.previous_secret, at_once.previous_secret_until) == (None, None)
    with pytest.raises(ValidationFailed, match="0 to 168 hours"):
        webhooks.rotate_secret(session, endpoint.id, overlap_hours=169)


def test_a_test_event_goes_to_its_endpoint_alone(session: Session) -> None:
    endpoint = create(session)

    event = webhooks.send_test_event(session, endpoint.id, actor="ann@acme.test")

    stored = session.exec(select(WebhookEvent)).one()
    assert (stored.id, stored.type, stored.endpoint_id) == (event.id, "webhook.test", endpoint.id)
    assert '"webhookId":"' + endpoint.id + '"' in stored.body
    assert "sent by ann@acme.test" in stored.body
    update(session, endpoint.id, enabled=False)
    with pytest.raises(Conflict, match="disabled"):
        webhooks.send_test_event(session, endpoint.id, actor=None)


def test_resend_adds_a_pending_delivery_of_the_same_event(session: Session) -> None:
    endpoint = create(session)
    old = delivery_of(session, endpoint, minutes_ago=10)
    old.state = "failed"
    session.add(old)
    session.commit()
    assert old.seq is not None

    again = webhooks.resend_delivery(session, endpoint.id, old.seq)

    assert (again.event_seq, again.endpoint_id, again.state) == (
        old.event_seq,
        endpoint.id,
        "pending",
    )
    assert again.seq != old.seq
    assert session.get(WebhookDelivery, old.seq).state == "failed"  # kept as history
    other = create(session)
    with pytest.raises(NotFound):
        webhooks.resend_delivery(session, other.id, old.seq)


def test_deliveries_list_attempts_and_untried_deliveries_newest_first(session: Session) -> None:
    endpoint = create(session)
    other = create(session)
    tried = delivery_of(session, endpoint, minutes_ago=30)
    untried = delivery_of(session, endpoint, minutes_ago=5)
    delivery_of(session, other, minutes_ago=1)  # another endpoint's: not listed
    assert tried.seq is not None and untried.seq is not None
    now = utcnow()
    session.add_all(
        [
            WebhookAttempt(
                delivery_seq=tried.seq,
                endpoint_id=endpoint.id,
                attempt=1,
                attempted_at=now - timedelta(minutes=29),
                status_code=500,
                duration_ms=12.5,
                error="500 Internal Server Error",
            ),
            WebhookAttempt(
                delivery_seq=tried.seq,
                endpoint_id=endpoint.id,
                attempt=2,
                attempted_at=now - timedelta(minutes=2),
                status_code=200,
                duration_ms=8.0,
            ),
        ]
    )
    tried.state = "delivered"
    session.add(tried)
    session.commit()

    rows = webhooks.recent_deliveries(session, endpoint.id)

    assert [(r.delivery_id, r.attempt, r.status_code, r.state) for r in rows] == [
        (tried.seq, 2, 200, "delivered"),
        (untried.seq, None, None, "pending"),
        (tried.seq, 1, 500, "delivered"),
    ]
    assert rows[2].error == "500 Internal Server Error" and rows[2].duration_ms == 12.5
    assert rows[0].event_type == "lead.created" and rows[0].event_id.startswith("msg_")
    assert rows[1].next_attempt_at is not None and rows[0].next_attempt_at is None
    assert len(webhooks.recent_deliveries(session, endpoint.id, limit=2)) == 2
    with pytest.raises(NotFound):
        webhooks.recent_deliveries(session, "whk_nope")


def test_delete_removes_the_endpoint_and_its_deliveries(session: Session) -> None:
    endpoint = create(session)
    delivery_of(session, endpoint, minutes_ago=1)

    webhooks.delete_endpoint(session, endpoint.id)

    assert session.exec(select(WebhookEndpoint)).all() == []
    assert session.exec(select(WebhookDelivery)).all() == []
