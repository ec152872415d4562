"""The Webhooks page (admins), run by AppTest through app.py. URLs are IP literals: the
guard looks nothing up, and nothing is sent (no worker runs here)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from leads_core import config
from leads_core.clock import utcnow
from leads_core.services import webhooks
from leads_core.storage.models import User
from leads_core.storage.webhook_models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from leads_core.webhook_schemas import WebhookCreate
from leads_core.webhooks import outbox
from tests.ui.conftest import Browser, OpenUrl
from tests.ui.escaping import LINK, assert_escaped, markdown_bodies, shown

Open = Callable[..., AppTest]
RECEIVER = "http://127.0.0.1:9/hook"


@pytest.fixture
def allow_private(monkeypatch: pytest.MonkeyPatch, ui_db: str) -> None:
    """A receiver on this machine may be added (``LEADS_WEBHOOKS_ALLOW_PRIVATE=1``)."""
    monkeypatch.setenv("LEADS_WEBHOOKS_ALLOW_PRIVATE", "1")
    config.get_settings.cache_clear()


def endpoint(
    session: Session, description: str = "CRM sync", url: str = RECEIVER
) -> WebhookEndpoint:
    data = WebhookCreate(url=url, events=["lead.created"], description=description)
    return webhooks.create_endpoint(session, data, actor="ann@acme.test", allow_private=True)


def button(at: AppTest, label: str):
    return next(b for b in at.main.button if b.label == label)


def add(at: AppTest, url: str, events: list[str], description: str = "") -> AppTest:
    at.text_input(key="hook_url").set_value(url)
    at.multiselect(key="hook_events").set_value(events)
    at.text_input(key="hook_description").set_value(description)
    return button(at, "Add endpoint").click().run()


def stored(session: Session) -> list[WebhookEndpoint]:
    session.expire_all()
    return list(session.exec(select(WebhookEndpoint)).all())


def test_no_endpoint_yet(open_page: Open) -> None:
    at = open_page("webhooks")

    assert at.title[0].value == "Webhooks"
    assert "No endpoint yet" in at.info[0].value


@pytest.mark.usefixtures("allow_private")
def test_adding_shows_the_secret_once(open_page: Open, ui_session: Session) -> None:
    at = add(open_page("webhooks"), RECEIVER, ["lead.created", "lead.deleted"], "CRM sync")

    (hook,) = stored(ui_session)
    assert (hook.url, hook.events, hook.description) == (
        RECEIVER,
        ["lead.created", "lead.deleted"],
        "CRM sync",
    )
    assert [c.value for c in at.code] == [hook.secret]
    assert "not shown again" in at.warning[0].value
    assert at.dataframe[0].value[["URL", "Events", "State"]].values.tolist() == [
        [RECEIVER, "lead.created, lead.deleted", "enabled"]
    ]
    assert "Enabled" in at.success[-1].value
    at.run()
    assert [c.value for c in at.code] == []  # shown once


def test_a_refused_url_says_what_to_fix(open_page: Open, ui_session: Session) -> None:
    at = add(open_page("webhooks"), "http://10.0.0.1/hook", ["lead.created"])

    assert "10.0.0.1 is a private address" in shown(at.error[0].value)
    assert "webhooks are sent to public addresses only" in shown(at.error[0].value)
    assert stored(ui_session) == []
    at = add(at, "https://93.184.215.14/hook", [])
    assert "events: List should have at least 1 item" in shown(at.error[0].value)
    assert stored(ui_session) == []


def test_disable_names_who_and_enable_clears_it(open_page: Open, ui_session: Session) -> None:
    hook = endpoint(ui_session)
    at = open_page("webhooks")

    at = button(at, "Disable").click().run()

    (off,) = stored(ui_session)
    assert (off.enabled, off.disabled_reason) == (False, "Disabled by dashboard")  # local admin
    assert "Disabled by dashboard" in shown(at.error[0].value)
    assert button(at, "Send test event").disabled
    at = button(at, "Enable").click().run()
    assert stored(ui_session)[0].enabled and not at.error
    assert hook.id == stored(ui_session)[0].id


def test_the_workers_reason_is_shown_prominently(open_page: Open, ui_session: Session) -> None:
    hook = endpoint(ui_session)
    hook.enabled = False
    hook.disabled_reason = "Failing since 2026-12-01 10:00 UTC: 500 Internal Server Error"
    hook.failing_since = datetime(2026, 12, 1, 10, tzinfo=UTC)
    ui_session.add(hook)
    ui_session.commit()

    at = open_page("webhooks")

    assert shown(at.error[0].value).startswith(
        "**Disabled: Failing since 2026-12-01 10:00 UTC: 500 Internal Server Error**"
    )
    assert at.dataframe[0].value["State"].tolist() == [
        "disabled: Failing since 2026-12-01 10:00 UTC: 500 Internal Server Error"
    ]


def test_send_test_event_and_rotate(open_page: Open, ui_session: Session) -> None:
    hook = endpoint(ui_session)
    first = hook.secret
    at = open_page("webhooks")

    at = button(at, "Send test event").click().run()
    event = ui_session.exec(select(WebhookEvent)).one()
    assert (event.type, event.endpoint_id) == ("webhook.test", hook.id)
    assert event.id in shown(at.info[0].value)

    at.number_input(key="hook_overlap").set_value(6)
    at = at.button(key="hook_rotate").click().run()
    (rotated,) = stored(ui_session)
    assert rotated.secret != first and rotated.previous_secret == first
    assert [c.value for c in at.code] == [rotated.secret]
    assert "keeps signing too for 6 hours" in at.success[0].value


def test_deliveries_are_listed_and_one_is_resent(open_page: Open, ui_session: Session) -> None:
    hook = endpoint(ui_session)
    event = outbox.emit(ui_session, "lead.created", {"leads": []})
    ui_session.flush()
    assert event.seq is not None
    delivery = WebhookDelivery(endpoint_id=hook.id, event_seq=event.seq, state="failed", attempts=3)
    ui_session.add(delivery)
    ui_session.flush()
    assert delivery.seq is not None
    for attempt, status in ((2, 500), (3, 502)):
        ui_session.add(
            WebhookAttempt(
                delivery_seq=delivery.seq,
                endpoint_id=hook.id,
                attempt=attempt,
                attempted_at=utcnow() - timedelta(minutes=4 - attempt),
                status_code=status,
                duration_ms=41.6,
                error=f"{status} Bad Gateway" if status == 502 else None,
            )
        )
    ui_session.commit()

    at = open_page("webhooks")

    table = at.dataframe[1].value
    columns = ["Event", "Event id", "Status code", "Duration (ms)", "Attempt", "Error", "State"]
    assert table[columns].fillna("").values.tolist() == [
        ["lead.created", event.id, 502, 42, 3, "502 Bad Gateway", "failed"],
        ["lead.created", event.id, 500, 42, 2, "", "retried"],  # the last attempt says
    ]
    at = button(at, "Resend").click().run()
    ui_session.expire_all()
    again = ui_session.exec(select(WebhookDelivery).where(WebhookDelivery.seq != delivery.seq))
    assert [(d.event_seq, d.state) for d in again] == [(event.seq, "pending")]
    assert at.dataframe[1].value["State"].tolist()[0] == "pending (not tried yet)"


def test_delete_after_confirming(open_page: Open, ui_session: Session) -> None:
    endpoint(ui_session)
    at = open_page("webhooks")

    at = at.button(key="hook_del").click().run()

    assert stored(ui_session) == []
    assert "No endpoint yet" in at.info[0].value


def test_user_text_stays_text(open_page: Open, ui_session: Session) -> None:
    url = f"http://127.0.0.1:9/{LINK}"
    endpoint(ui_session, description=LINK, url=url)
    at = open_page("webhooks")

    assert_escaped(at, url)
    assert not [body for body in markdown_bodies(at) if LINK in body]


def test_a_member_does_not_get_the_page(
    open_url: OpenUrl, browser: Browser, member: User, ui_session: Session
) -> None:
    browser.sign_in(ui_session, member)

    with pytest.raises(ValueError, match="Could not find a navigation page for '.*/webhooks.py'"):
        open_url("webhooks")
