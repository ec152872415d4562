"""The outbox: an event commits, or rolls back, with the change that wrote it, and its body
is fixed when it is written."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from leads_core.storage.webhook_models import WebhookEndpoint, WebhookEvent
from leads_core.webhooks import outbox

AT = datetime(2026, 12, 3, 18, 11, 4, 123456, tzinfo=UTC)


def test_the_body_is_type_timestamp_and_data() -> None:
    body = outbox.body_of("lead.deleted", {"lead": {"id": "lead_1", "firstName": "Zoë"}}, AT)

    assert body == (
        '{"type":"lead.deleted","timestamp":"2026-12-03T18:11:04.123Z",'
        '"data":{"lead":{"id":"lead_1","firstName":"Zoë"}}}'
    )


def test_an_event_commits_with_the_change_and_not_without(session: Session) -> None:
    kept = outbox.emit(session, "lead.deleted", {"lead": {"id": "lead_1"}}, lead_id="lead_1")
    session.commit()
    outbox.emit(session, "lead.deleted", {"lead": {"id": "lead_2"}}, lead_id="lead_2")
    session.rollback()

    events = session.exec(select(WebhookEvent)).all()
    assert [(e.id, e.type, e.lead_id, e.dispatched_at) for e in events] == [
        (kept.id, "lead.deleted", "lead_1", None)
    ]
    assert kept.id.startswith("msg_")
    assert json.loads(events[0].body)["data"] == {"lead": {"id": "lead_1"}}


def test_an_unknown_event_type_is_a_programming_error(session: Session) -> None:
    with pytest.raises(ValueError, match="unknown event type 'lead.merged'"):
        outbox.emit(session, "lead.merged", {})


def test_subscribed_types_are_those_of_enabled_endpoints(session: Session) -> None:
    for n, (events, enabled) in enumerate(
        [(["lead.created", "lead.deleted"], True), (["import.completed"], False)]
    ):
        session.add(
            WebhookEndpoint(
                id=f"whk_{n}",
                url="https://hooks.example.com/in",
                events=events,
                enabled=enabled,
                secret="whsec_c2VjcmV0",
            )
        )
    session.commit()

    assert outbox.subscribed_types(session) == {"lead.created", "lead.deleted"}
