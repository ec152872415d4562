"""Webhooks (admins): the endpoints the workspace's events are sent to; adding one (its
signing secret shown once), and per endpoint its recent deliveries, resending one, a test
event, disabling and enabling, rotating the secret and deleting."""

import streamlit as st

from dashboard import auth, feedback
from dashboard import webhooks_view as view
from dashboard.safe import EMPTY, md
from leads_core.access import Action
from leads_core.errors import LeadsError, validated
from leads_core.webhook_schemas import (
    DEFAULT_OVERLAP_HOURS,
    MAX_OVERLAP_HOURS,
    WebhookCreate,
    WebhookUpdate,
)
from leads_core.webhooks.outbox import EVENT_TYPES

state = st.session_state


def add() -> None:
    data = {
        "url": state.hook_url,
        "events": state.hook_events,
        "description": state.hook_description,
    }
    try:
        endpoint = view.create(validated(WebhookCreate, data))
    except LeadsError as exc:
        feedback.flash_error("Could not add the endpoint: fix what is said and try again", exc)
        return
    view.keep_secret("Added", endpoint, "Events are sent to it from now on.")
    state.hook_url = state.hook_description = ""
    state.hook_events = []
    state.hook_chosen = endpoint.id


def switch(endpoint_id: str, enabled: bool) -> None:
    try:
        endpoint = view.update(endpoint_id, WebhookUpdate(enabled=enabled))
    except LeadsError as exc:
        feedback.flash_error("Could not change the endpoint", exc)
        return
    feedback.flash("success", f"{'Enabled' if enabled else 'Disabled'} {md(endpoint.url)}.")


def rotate(endpoint_id: str) -> None:
    hours = int(state.hook_overlap)
    try:
        endpoint = view.rotate(endpoint_id, hours)
    except LeadsError as exc:
        feedback.flash_error("Could not rotate the secret", exc)
        return
    note = (
        f"The previous secret keeps signing too for {hours} hours, so receivers can switch."
        if hours
        else "The previous secret stopped signing at once."
    )
    view.keep_secret("New secret for", endpoint, note)


def send_test(endpoint_id: str) -> None:
    try:
        event = view.send_test(endpoint_id)
    except LeadsError as exc:
        feedback.flash_error("Could not send a test event", exc)
        return
    feedback.flash(
        "info",
        f"Test event {md(event.id)} queued: it is sent within seconds and shows below "
        "(refresh the page to see it).",
    )


def resend(endpoint_id: str) -> None:
    try:
        again = view.resend(endpoint_id, int(state.hook_resend))
    except LeadsError as exc:
        feedback.flash_error("Could not resend", exc)
        return
    feedback.flash("success", f"Delivery #{again.seq} queued: it is sent again within seconds.")


def delete(endpoint_id: str) -> None:
    try:
        view.delete(endpoint_id)
    except LeadsError as exc:
        feedback.flash_error("Could not delete the endpoint", exc)
        return
    feedback.flash("success", "Deleted the endpoint and its delivery history.")
    state.pop("hook_chosen", None)


st.title("Webhooks")
me = auth.current_principal()
if not me.can(Action.MANAGE):
    st.error("Only admins manage webhooks: ask one.")
    st.stop()
feedback.show_flashed()
st.caption(
    "Other tools (a CRM, Slack, n8n…) get the workspace's events as signed JSON POSTs "
    "(Standard Webhooks): new, changed and deleted leads, finished imports. Failed deliveries "
    "are retried for about 3 days. Also through the API: `/v1/webhooks`."
)
view.show_secret_once()

found = view.endpoints()
with (
    st.expander("Add an endpoint", expanded=not found, icon=":material/add:"),
    st.form("new_webhook", clear_on_submit=False, border=False),
):
    st.text_input("URL", key="hook_url", placeholder="https://hooks.example.com/leads")
    st.multiselect("Events", list(EVENT_TYPES), key="hook_events")
    st.text_input("Description (optional)", key="hook_description", placeholder="CRM sync")
    st.form_submit_button("Add endpoint", type="primary", on_click=add)

if not found:
    st.info("No endpoint yet: add one above to send events to another tool.")
    st.stop()
st.dataframe(
    view.endpoint_rows(found),
    hide_index=True,
    column_config=view.ENDPOINT_COLUMNS,
    placeholder=EMPTY,
    key="hook_table",
)
by_id = {e.id: e for e in found}
if state.get("hook_chosen") not in by_id:
    state.hook_chosen = found[0].id
chosen = by_id[
    st.selectbox(
        "Endpoint",
        list(by_id),
        format_func=lambda eid: f"{by_id[eid].url} ({by_id[eid].description or eid})",
        key="hook_chosen",
    )
]

st.subheader(md(chosen.url), anchor=False)
view.show_state(chosen)
actions = st.container(horizontal=True, vertical_alignment="center")
actions.button(
    "Send test event",
    on_click=send_test,
    args=(chosen.id,),
    disabled=not chosen.enabled,
    help="Enable the endpoint to send it a test event" if not chosen.enabled else None,
    key="hook_test",
)
actions.button(
    "Enable" if not chosen.enabled else "Disable",
    on_click=switch,
    args=(chosen.id, not chosen.enabled),
    key="hook_switch",
)
with actions.popover("Rotate secret…"):
    st.number_input(
        "The old secret keeps working for (hours)",
        min_value=0,
        max_value=MAX_OVERLAP_HOURS,
        value=DEFAULT_OVERLAP_HOURS,
        step=1,
        key="hook_overlap",
    )
    st.button("Rotate now", type="primary", on_click=rotate, args=(chosen.id,), key="hook_rotate")
with actions.popover("Delete…"):
    st.warning(f"Delete the endpoint {md(chosen.url)} and its delivery history?")
    st.button("Yes, delete it", type="primary", on_click=delete, args=(chosen.id,), key="hook_del")

st.subheader("Recent deliveries")
rows = view.deliveries(chosen.id)
if not rows:
    st.info("Nothing sent to it yet.")
    st.stop()
st.dataframe(
    view.delivery_rows(rows),
    hide_index=True,
    column_config=view.DELIVERY_COLUMNS,
    placeholder=EMPTY,
    key="hook_deliveries",
)
choices = view.delivery_choice(rows)
pick_col, resend_col = st.columns([3, 1], vertical_alignment="bottom")
pick_col.selectbox(
    "Resend a delivery", list(choices), format_func=lambda d: choices[d], key="hook_resend"
)
resend_col.button("Resend", on_click=resend, args=(chosen.id,), key="hook_resend_button")
