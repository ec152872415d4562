"""The Webhooks page's reads, writes and drawing helpers.

Reads and writes open a session each and call ``leads_core.services.webhooks``; a write
checks first that the one acting may manage webhooks (``auth.acting``), and passes the
settings' ``LEADS_WEBHOOKS_ALLOW_PRIVATE``. A new secret is kept in the browser session
until the page has shown it once (:func:`keep_secret`, :func:`show_secret_once`), never
logged. Every user text drawn as Markdown goes through ``dashboard.safe.md``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import streamlit as st

from dashboard.auth import acting
from dashboard.safe import md
from leads_core.access import Action
from leads_core.clock import as_utc
from leads_core.config import get_settings
from leads_core.services import webhooks
from leads_core.services.webhooks import DeliveryRow
from leads_core.storage.db import session_scope
from leads_core.storage.webhook_models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from leads_core.webhook_schemas import WebhookCreate, WebhookUpdate

SECRET_KEY = "webhook_secret_once"  # session state: (what happened, url, secret, note)
DELIVERIES_SHOWN = 50
TIME_FORMAT = "YYYY-MM-DD HH:mm:ss"

# ------------------------------------------------------------------ reads


def endpoints() -> list[WebhookEndpoint]:
    with session_scope() as session:
        return webhooks.list_endpoints(session)


def deliveries(endpoint_id: str, limit: int = DELIVERIES_SHOWN) -> list[DeliveryRow]:
    with session_scope() as session:
        return webhooks.recent_deliveries(session, endpoint_id, limit=limit)


# ------------------------------------------------------------------ writes


def create(data: WebhookCreate) -> WebhookEndpoint:
    who = acting(Action.MANAGE)
    with session_scope() as session:
        return webhooks.create_endpoint(
            session, data, actor=who.label, allow_private=get_settings().webhooks_allow_private
        )


def update(endpoint_id: str, changes: WebhookUpdate) -> WebhookEndpoint:
    who = acting(Action.MANAGE)
    with session_scope() as session:
        return webhooks.update_endpoint(
            session,
            endpoint_id,
            changes,
            actor=who.label,
            allow_private=get_settings().webhooks_allow_private,
        )


def delete(endpoint_id: str) -> None:
    acting(Action.MANAGE)
    with session_scope() as session:
        webhooks.delete_endpoint(session, endpoint_id)


def rotate(endpoint_id: str, overlap_hours: int) -> WebhookEndpoint:
    acting(Action.MANAGE)
    with session_scope() as session:
        return webhooks.rotate_secret(session, endpoint_id, overlap_hours=overlap_hours)


def send_test(endpoint_id: str) -> WebhookEvent:
    who = acting(Action.MANAGE)
    with session_scope() as session:
        return webhooks.send_test_event(session, endpoint_id, actor=who.label)


def resend(endpoint_id: str, delivery_id: int) -> WebhookDelivery:
    acting(Action.MANAGE)
    with session_scope() as session:
        return webhooks.resend_delivery(session, endpoint_id, delivery_id)


# ------------------------------------------------------------------ drawing


def when(value: datetime | None) -> str:
    return "" if value is None else as_utc(value).strftime("%Y-%m-%d %H:%M UTC")


def state_of(endpoint: WebhookEndpoint) -> str:
    """One line for the list: "enabled", "failing since …", or why it is disabled."""
    if not endpoint.enabled:
        return f"disabled: {endpoint.disabled_reason or 'by an admin'}"
    if endpoint.failing_since is not None:
        return f"enabled, failing since {when(endpoint.failing_since)}"
    return "enabled"


def endpoint_rows(found: Sequence[WebhookEndpoint]) -> list[dict[str, Any]]:
    return [
        {
            "URL": e.url,
            "State": state_of(e),
            "Events": ", ".join(e.events),
            "Description": e.description,
            "Created": as_utc(e.created_at),
        }
        for e in found
    ]


def show_state(endpoint: WebhookEndpoint) -> None:
    """Why the endpoint is disabled, or that it is failing, where the admin looks first."""
    if not endpoint.enabled:
        reason = endpoint.disabled_reason or "Disabled by an admin"
        text = reason if reason.startswith("Disabled") else f"Disabled: {reason}"
        st.error(
            f"**{md(text)}**. Nothing is sent to it until it is enabled again; its pending "
            "deliveries wait.",
            icon=":material/block:",
        )
    elif endpoint.failing_since is not None:
        st.warning(
            f"Failing since {md(when(endpoint.failing_since))}: its deliveries are retried "
            "with growing delays; after 3 days of failures it is disabled.",
            icon=":material/warning:",
        )
    else:
        st.success("Enabled: events are sent to it.", icon=":material/check_circle:")


def delivery_rows(rows: Sequence[DeliveryRow]) -> list[dict[str, Any]]:
    return [
        {
            "Time": r.at,
            "Event": r.event_type,
            "Status code": r.status_code,
            "Duration (ms)": None if r.duration_ms is None else round(r.duration_ms),
            "Attempt": r.attempt,
            "State": _state(r),
            "Error": r.error,
            "Event id": r.event_id,
            "Delivery": r.delivery_id,
        }
        for r in rows
    ]


def _state(row: DeliveryRow) -> str:
    """What became of the attempt: an earlier one was retried (the last says how it ended)."""
    if row.attempt is None:
        return f"{row.state} (not tried yet)"
    if row.attempt < row.attempts:
        return "retried"
    return row.state


ENDPOINT_COLUMNS = {
    "URL": st.column_config.TextColumn(width="medium"),
    "State": st.column_config.TextColumn(width="large"),
    "Created": st.column_config.DatetimeColumn(format=TIME_FORMAT, timezone="UTC"),
}
DELIVERY_COLUMNS = {
    "Time": st.column_config.DatetimeColumn(format=TIME_FORMAT, timezone="UTC"),
    "Status code": st.column_config.NumberColumn(format="%d", width="small"),
    "Duration (ms)": st.column_config.NumberColumn(format="%d", width="small"),
    "Attempt": st.column_config.NumberColumn(format="%d", width="small"),
    "Error": st.column_config.TextColumn(width="medium"),
    "Delivery": st.column_config.NumberColumn(format="%d", width="small"),
}


def delivery_choice(rows: Sequence[DeliveryRow]) -> dict[int, str]:
    """Each listed delivery once (its latest row), for the Resend box."""
    choices: dict[int, str] = {}
    for r in rows:
        if r.delivery_id not in choices:
            answer = "no answer" if r.status_code is None else f"HTTP {r.status_code}"
            if r.attempt is None:
                answer = "not tried yet"
            choices[r.delivery_id] = (
                f"#{r.delivery_id} {r.event_type} {r.event_id} ({r.state}, {answer})"
            )
    return choices


def keep_secret(what: str, endpoint: WebhookEndpoint, note: str) -> None:
    st.session_state[SECRET_KEY] = (what, endpoint.url, endpoint.secret, note)


def show_secret_once() -> None:
    """The secret kept by :func:`keep_secret`, then forgotten: it is not shown again."""
    if SECRET_KEY not in st.session_state:
        return
    what, url, secret, note = st.session_state.pop(SECRET_KEY)
    st.success(f"{md(what)} **{md(url)}**. {note}")
    st.warning(
        "Copy the signing secret now (the copy button is at the right of the box): it is "
        "not shown again. Receivers verify each delivery's `webhook-signature` with it.",
        icon=":material/key:",
    )
    st.code(secret, language=None)
