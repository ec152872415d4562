"""API keys: create (shown once), list, revoke after a confirmation; how to call the API.

A member sees and manages their own keys; an admin sees every key with its user and may
make one for any user (or the workspace's system account). Viewers make no keys."""

from datetime import UTC, date, datetime, time, timedelta

import streamlit as st

from dashboard import auth, data, feedback, writes
from dashboard.safe import EMPTY, md
from leads_core.access import Action, Scope
from leads_core.errors import LeadsError
from leads_core.services import apikeys

state = st.session_state
SYSTEM = "system"  # the "For" choice of a key acting as the system account


def create(own_id: str | None, admin: bool) -> None:
    """For oneself; an admin chooses whom the key acts as ("Acts as")."""
    user_id = own_id
    if admin:
        user_id = None if state.key_user == SYSTEM else state.key_user
    expires: date | None = state.key_expires
    try:
        key, plain = writes.create_api_key(
            state.key_name,
            user_id=user_id,
            scope=Scope(state.key_scope),
            expires_at=None if expires is None else datetime.combine(expires, time.min, UTC),
        )
    except LeadsError as exc:
        feedback.flash_error("Could not create the key", exc)
        return
    state["created_key"] = (key.name, plain)
    state.key_name = ""


def revoke(key_id: str) -> None:
    try:
        key = writes.revoke_api_key(key_id)
    except LeadsError as exc:
        feedback.flash_error("Could not revoke the key", exc)
        return
    feedback.flash("success", f"Revoked the key {md(key.name)} ({md(key.prefix)}…).")


st.title("API keys")
me = auth.current_principal()
if not me.can(Action.OWN_KEYS):
    st.error("Viewers make no API keys: ask an admin.")
    st.stop()
admin = me.can(Action.MANAGE)
feedback.show_flashed()
st.caption(
    "Programs reach the leads through the REST API under /v1 with a key: "
    "`Authorization: Bearer <key>`. A key acts as its user, with their role; a read key "
    "only reads. Only a hash of each key is stored."
)

people = {m.user.id: m.user for m in data.team()} if admin else {}
with st.form("new_key", clear_on_submit=False):
    st.text_input("Name", key="key_name", placeholder="e.g. CRM sync", max_chars=apikeys.MAX_NAME)
    if admin:
        owners = [*people, SYSTEM]
        st.selectbox(
            "Acts as",
            owners,
            index=owners.index(me.user_id) if me.user_id in owners else 0,
            format_func=lambda uid: (
                "the workspace's system account (admin rights)"
                if uid == SYSTEM
                else f"{people[uid].name} <{people[uid].email}> ({people[uid].role})"
            ),
            key="key_user",
        )
    st.radio(
        "Scope",
        [Scope.WRITE.value, Scope.READ.value],
        format_func={"write": "read and write", "read": "read only"}.__getitem__,
        horizontal=True,
        key="key_scope",
    )
    st.date_input(
        "Expires (optional)",
        value=None,
        min_value=datetime.now(UTC).date() + timedelta(days=1),
        key="key_expires",
        help="The key stops working at 00:00 UTC that day. Empty: it never expires.",
    )
    st.form_submit_button("Create key", type="primary", on_click=create, args=(me.user_id, admin))
if "created_key" in state:
    name, plain = state.pop("created_key")
    st.success(
        f"Key **{md(name)}** created. Copy it now (the copy button is at the right of the box): "
        "it is not shown again."
    )
    st.code(plain, language=None)


def acts_as(user_id: str | None) -> str:
    if user_id is None:
        return "system"
    user = people.get(user_id)
    return f"{user.name} <{user.email}>" if user else user_id


keys = data.api_keys(None if admin else me.user_id)
if keys:
    st.dataframe(
        [
            {
                "Name": k.name,
                **({"Acts as": acts_as(k.user_id)} if admin else {}),
                "Key starts with": f"{k.prefix}…",
                "Scope": k.scope,
                "Created": k.created_at,
                "Expires": k.expires_at,
                "Last used": k.last_used_at,
                "Revoked": k.revoked_at,
            }
            for k in keys
        ],
        hide_index=True,
        column_config={
            name: st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")
            for name in ("Created", "Expires", "Last used", "Revoked")
        },
        placeholder=EMPTY,
        key="key_table",
    )
    active = {k.id: k for k in keys if k.revoked_at is None}  # newest first, as listed
    if active:
        revoke_col, button_col = st.columns([3, 1], vertical_alignment="bottom")
        chosen = revoke_col.selectbox(
            "Revoke a key",
            list(active),
            format_func=lambda kid: f"{active[kid].name} ({active[kid].prefix}…)",
            key="revoke_choice",
        )
        with button_col, st.popover("Revoke…"):
            doomed = active[chosen]
            st.warning(
                f"Revoke the key '{md(doomed.name)}' ({md(doomed.prefix)}…)? "
                "Programs using it stop at once."
            )
            st.button(
                "Yes, revoke it", type="primary", on_click=revoke, args=(chosen,), key="revoke"
            )
else:
    st.info("No API key yet: create one above to call the API.")

st.subheader("Use the API")
server = auth.site_url()
st.code(
    f"""export LEADS_KEY=lw_...   # a key created above
# the best leads, as JSON
curl -H "Authorization: Bearer $LEADS_KEY" "{server}/v1/leads?minScore=85&sort=-qualityScore&limit=5"
# import a CSV file into a campaign
curl -H "Authorization: Bearer $LEADS_KEY" -F file=@leads.csv -F campaignId=cmp_... "{server}/v1/leads/import/csv"
""",
    language="bash",
)
st.markdown(f"Every endpoint, with examples: [{server}/v1/docs]({server}/v1/docs)")
