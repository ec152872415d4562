"""The dashboard's password gate: one shared password (``dashboard.exposure``), asked once
per browser session (a tab; reloading the page starts a new session).

app.py calls :func:`gate` before it runs a page. Until the session has signed in, every
URL shows the sign-in form alone: no page runs, so no data is read, and the navigation
menu is hidden. With no password configured the gate is open and draws nothing."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import streamlit as st

from dashboard.exposure import dashboard_password
from leads_core.access import Principal, Role

#: Who acts in a session nobody signed in to (no users yet, this machine only).
LOCAL = Principal(role=Role.ADMIN, name="dashboard")
_PRINCIPAL = "_auth_principal"  # session state: the signed-in user's Principal

#: Added to every wrong attempt, so guessing costs at least this per try and session.
WRONG_PASSWORD_DELAY_S = 1.0
WRONG_PASSWORD = "Wrong password. Try again."

_SIGNED_IN = "_auth_signed_in"  # session state: the fingerprint of the password signed in with
# A signed-in session keeps a keyed fingerprint, never the password or its plain hash. The
# key changes with each process, and a session signed in with a password that has since
# changed is signed out.
_PROCESS_KEY = secrets.token_bytes(32)


def _fingerprint(password: str) -> str:
    return hmac.new(_PROCESS_KEY, password.encode(), hashlib.sha256).hexdigest()


def _matches(given: str, password: str) -> bool:
    """Compare in constant time (digests of equal length whatever the lengths typed)."""
    return hmac.compare_digest(
        hashlib.sha256(given.encode()).digest(), hashlib.sha256(password.encode()).digest()
    )


def _sign_out() -> None:
    st.session_state.pop(_SIGNED_IN, None)


def gate() -> bool:
    """True when this session may see the app: no password is configured, or it has signed
    in (then a "Sign out" button is in the sidebar). Otherwise draws the sign-in form and
    returns False; the caller must then draw nothing else."""
    password = dashboard_password()
    if password is None:
        return True
    if hmac.compare_digest(st.session_state.get(_SIGNED_IN, ""), _fingerprint(password)):
        st.sidebar.button(
            "Sign out", key="auth_sign_out", icon=":material/logout:", on_click=_sign_out
        )
        return True
    _sign_in_form(password)
    return False


def _sign_in_form(password: str) -> None:
    st.title("Leads workspace")
    st.caption("This dashboard is protected by a password.")
    with st.form("auth_sign_in", clear_on_submit=True, enter_to_submit=True):
        given = st.text_input(
            "Password", type="password", key="auth_password", autocomplete="current-password"
        )
        submitted = st.form_submit_button("Sign in", type="primary")
    if not submitted:
        return
    if _matches(given, password):
        st.session_state[_SIGNED_IN] = _fingerprint(password)
        st.rerun()  # draw the app, without the form
    time.sleep(WRONG_PASSWORD_DELAY_S)
    st.error(WRONG_PASSWORD)


def current_principal() -> Principal:
    """Who is using the dashboard in this browser session: its history entries name them,
    and pages show only what their role allows (``principal.can(Action.WRITE)``)."""
    principal = st.session_state.get(_PRINCIPAL)
    return principal if isinstance(principal, Principal) else LOCAL
