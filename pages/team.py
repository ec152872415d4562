"""Team (admins): the users, inviting one, their role, password, disabling, deleting.

Each edit carries the version of the user the page showed (as leads carry theirs): when
another admin changed that user meanwhile, the edit is refused and the page shows theirs."""

from datetime import datetime

import streamlit as st

from dashboard import auth, data, feedback, writes
from dashboard.safe import EMPTY, md
from dashboard.signin import INVITE_PATH
from leads_core.access import Action, Role
from leads_core.errors import LeadsError, PreconditionFailed
from leads_core.services import users
from leads_core.services.users import UserChanges

state = st.session_state
ROLES = [role.value for role in Role]
LINK = "team_link"  # session state: (who, what, url) of a one-time link to show once


def _link(token: str) -> str:
    return f"{auth.site_url()}{INVITE_PATH}/{token}"


def _refused(action: str, exc: LeadsError) -> None:
    if isinstance(exc, PreconditionFailed):
        feedback.flash(
            "error",
            f"Could not {action}: another admin changed this user after the page showed it. "
            "The page now shows their version: check it and make your change again.",
        )
    else:
        feedback.flash_error(f"Could not {action}", exc)


def invite() -> None:
    try:
        user, token = writes.invite_user(state.invite_email, state.invite_name, state.invite_role)
    except LeadsError as exc:
        feedback.flash_error("Could not invite", exc)
        return
    state[LINK] = (user.email, "invitation", _link(token))
    state.invite_email = state.invite_name = ""


def save(user_id: str, version: int, suffix: str) -> None:
    changes = UserChanges(
        name=state[f"name_{suffix}"],
        role=state[f"role_{suffix}"],
        disabled=state[f"disabled_{suffix}"],
    )
    try:
        user = writes.update_user(user_id, changes, expected_version=version)
    except LeadsError as exc:
        _refused("save the user", exc)
        return
    feedback.flash("success", f"Saved {md(user.email)}.")


def set_password(user_id: str, suffix: str) -> None:
    try:
        user = writes.set_password(user_id, state[f"password_{suffix}"])
    except LeadsError as exc:
        feedback.flash_error("Could not set the password", exc)
        return
    finally:
        state.pop(f"password_{suffix}", None)
    feedback.flash("success", f"New password set for {md(user.email)}; their sign-ins ended.")


def reset(user_id: str, email: str) -> None:
    try:
        token = writes.reset_link(user_id)
    except LeadsError as exc:
        feedback.flash_error("Could not make a reset link", exc)
        return
    state[LINK] = (email, "password reset", _link(token))


def delete(user_id: str, version: int) -> None:
    try:
        unassigned = writes.delete_user(user_id, expected_version=version)
    except LeadsError as exc:
        _refused("delete the user", exc)
        return
    state.pop("team_user", None)
    feedback.flash("success", f"Deleted the user; {unassigned:,} of their leads are unassigned.")


def when(value: datetime | None) -> str:
    return "" if value is None else f"{value:%Y-%m-%d %H:%M} UTC"


st.title("Team")
me = auth.current_principal()
if not me.can(Action.MANAGE):
    st.error("Only admins manage the team.")
    st.stop()
if me.user_id is None:
    st.info("No user yet: create the first admin in the sidebar, then sign in.")
    st.stop()
feedback.show_flashed()

if LINK in state:
    email, what, url = state.pop(LINK)
    st.success(
        f"The {what} link for **{md(email)}**: send it to them. It works once, and it is not "
        "shown again."
    )
    st.code(url, language=None)

members = data.team()
st.dataframe(
    [
        {
            "Name": m.user.name,
            "Email": m.user.email,
            "Role": m.user.role,
            "State": m.state,
            "Last sign-in": when(m.last_sign_in),
        }
        for m in members
    ],
    hide_index=True,
    placeholder=EMPTY,
    key="team_table",
)

with st.expander("Invite someone", expanded=len(members) == 1):
    with st.form("invite", clear_on_submit=False):
        st.text_input("Email", key="invite_email")
        st.text_input("Name", key="invite_name", max_chars=users.MAX_NAME)
        st.selectbox("Role", ROLES, index=ROLES.index(Role.MEMBER), key="invite_role")
        st.form_submit_button("Invite", type="primary", on_click=invite)
    st.caption("They get a one-time link to choose their password (valid 7 days).")

st.subheader("Edit a user")
by_id = {m.user.id: m for m in members}
if state.get("team_user") not in by_id:
    state["team_user"] = members[0].user.id
chosen = st.selectbox(
    "User",
    list(by_id),
    format_func=lambda uid: f"{by_id[uid].user.name} <{by_id[uid].user.email}>",
    key="team_user",
)
member = by_id[chosen]
user = member.user
suffix = f"{user.id}_{user.version}"  # fresh widgets when the user changed
with st.form(f"user_{suffix}"):
    st.text_input("Name", value=user.name, key=f"name_{suffix}", max_chars=users.MAX_NAME)
    st.selectbox("Role", ROLES, index=ROLES.index(user.role), key=f"role_{suffix}")
    st.checkbox(
        "Disabled",
        value=user.disabled_at is not None,
        key=f"disabled_{suffix}",
        help="A disabled user cannot sign in; their sign-ins and API keys stop at once.",
    )
    st.form_submit_button(
        "Save", type="primary", on_click=save, args=(user.id, user.version, suffix)
    )

password_col, reset_col, delete_col = st.columns(3)
with password_col, st.form(f"password_{suffix}_form", clear_on_submit=True):
    st.text_input(
        "Set a password",
        type="password",
        key=f"password_{suffix}",
        autocomplete="new-password",
        help=f"{users.MIN_PASSWORD} characters or more; their sign-ins end.",
    )
    st.form_submit_button("Set password", on_click=set_password, args=(user.id, suffix))
with reset_col:
    st.button(
        "Make a password reset link",
        on_click=reset,
        args=(user.id, user.email),
        key=f"reset_{suffix}",
        help="A one-time link to choose a new password (valid 1 day).",
    )
with delete_col, st.popover("Delete this user…"):
    st.warning(
        f"Delete {md(user.name)} {md(f'<{user.email}>')}? Their leads and tasks become unassigned, their "
        "API keys stop. This cannot be undone."
    )
    st.button(
        "Yes, delete the user",
        type="primary",
        on_click=delete,
        args=(user.id, user.version),
        key=f"delete_{suffix}",
    )
