"""Who uses the dashboard: the signed-in user, checked at every script run.

app.py calls :func:`gate` before it runs a page. It reads the ``leads_session`` cookie
(set by the sign-in route, ``dashboard/signin.py``) from the browser's WebSocket handshake
and resolves it in the database (``users.resolve_session``), or, where single sign-on is
configured ([auth] in ``.streamlit/secrets.toml``), the identity ``st.login`` gave
(``st.user``), matched to a user by email. A session ended elsewhere ("sign out
everywhere", a new password), a disabled user, an expired or idle session: the next run
shows the sign-in screen alone, with no menu and no page run.

With no user yet, the dashboard works as before for this machine only (a loopback client,
not forwarded by a proxy), as the local admin :data:`LOCAL`, and offers to create the first
admin. ``dashboard/writes.py`` asks :func:`acting` again before each write, so a callback
never writes for a session that has just ended or a role that may not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import streamlit as st
from sqlmodel import Session

from dashboard import feedback
from dashboard.exposure import is_loopback
from dashboard.safe import md
from dashboard.signin import COOKIE, sign_in_url
from leads_core.access import Action, Principal, Role
from leads_core.clock import utcnow
from leads_core.config import get_settings
from leads_core.errors import Conflict, LeadsError, NotFound, Unauthorized
from leads_core.services import users
from leads_core.storage.db import session_scope
from leads_core.storage.models import User

#: Who acts in a session nobody signed in to (no users yet, this machine only).
LOCAL = Principal(role=Role.ADMIN, name="dashboard")
_PRINCIPAL = "_auth_principal"  # session state: this run's Principal, set by gate()
_SSO_SEEN = "_auth_sso_seen"  # session state: (email, when) an identity without iat was seen
#: Headers a reverse proxy adds: the client is then not this machine, whatever the socket says.
PROXY_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-Ip")
ROLE_LABELS = {Role.ADMIN: "admin", Role.MEMBER: "member", Role.VIEWER: "viewer"}


@dataclass(frozen=True)
class Verdict:
    """Who this browser session is (``principal``), or why nobody (``problem``)."""

    principal: Principal | None
    problem: str | None = None
    via_sso: bool = False
    local: bool = False


# ------------------------------------------------------------------ what the browser sent


def session_cookie() -> str | None:
    """The ``leads_session`` cookie the browser sent when this session connected."""
    value = st.context.cookies.get(COOKIE)
    return value if isinstance(value, str) else None  # AppTest's client is a mock


def from_this_machine() -> bool:
    """The browser runs on this machine: a loopback client (Streamlit reports None for
    one), with no proxy's forwarding header."""
    address = st.context.ip_address
    if isinstance(address, str) and not is_loopback(address):  # AppTest's is a mock
        return False
    headers = st.context.headers
    return not any(headers.get(name) for name in PROXY_HEADERS)


def site_url() -> str:
    """``scheme://host[:port]`` of this dashboard, as the browser reached it."""
    url = urlsplit(st.context.url or "http://localhost:8501/")
    return f"{url.scheme}://{url.netloc}"


def current_path() -> str:
    """This page's path and query, for coming back after signing in."""
    path = urlsplit(st.context.url or "/").path or "/"
    query = urlencode(st.query_params.to_dict())
    return f"{path}?{query}" if query else path


# ------------------------------------------------------------------ single sign-on


def sso_providers() -> dict[str, str]:
    """The st.login providers configured in Streamlit's secrets, name -> button label: ""
    for [auth] itself (with client_id), else each [auth.NAME] section."""
    try:
        section = st.secrets.get("auth")
    except Exception:  # no or unreadable secrets: exposure.refuse_retired_secret says so
        return {}
    if not section or not section.get("redirect_uri") or not section.get("cookie_secret"):
        return {}
    found: dict[str, str] = {}
    if section.get("client_id"):
        host = urlsplit(str(section.get("server_metadata_url", ""))).hostname
        found[""] = f"Sign in with single sign-on ({host})" if host else "Sign in with SSO"
    for name, value in section.items():
        if hasattr(value, "get") and value.get("client_id"):
            found[name] = f"Sign in with {name.replace('_', ' ').title()}"
    return found


def _identity() -> dict[str, Any] | None:
    """The claims of the identity ``st.login`` signed this browser in with, if any."""
    if not sso_providers():
        return None
    claims = dict(st.user.to_dict())
    return claims if claims.get("is_logged_in") is True else None


def _sso_since(identity: dict[str, Any], email: str) -> datetime:
    """When this identity signed in: its token's ``iat`` claim, else when this browser
    session first saw it."""
    issued = identity.get("iat")
    if isinstance(issued, int | float):
        return datetime.fromtimestamp(issued, UTC)
    seen = st.session_state.get(_SSO_SEEN)
    if not seen or seen[0] != email:
        seen = (email, utcnow())
        st.session_state[_SSO_SEEN] = seen
    return seen[1]


def _sso_user(session: Session, identity: dict[str, Any]) -> tuple[User | None, str | None]:
    email = str(identity.get("email") or "").strip().lower()
    if not email:
        return None, "The single sign-on gave no email address, so no user matches it."
    if identity.get("email_verified") is False:
        return None, f"The single sign-on has not verified {email}."
    try:
        user: User | None = users.find_user(session, email)
    except NotFound:
        user = None
    if user is None:
        if get_settings().sso_new_users != "viewer":
            return None, (f"{email} has no account in this workspace. Ask an admin to invite you.")
        name = str(identity.get("name") or email.split("@")[0])
        try:
            user = users.create_user(session, email=email, name=name, role=Role.VIEWER)
        except Conflict:  # created by a concurrent run
            session.rollback()
            user = users.find_user(session, email)
    if not users.is_active(user, _sso_since(identity, email)):
        if user.disabled_at is not None:
            return None, f"The account of {email} is disabled."
        return None, "Your single sign-on has ended: sign in again."
    return user, None


# ------------------------------------------------------------------ resolving


def resolve() -> Verdict:
    """Who this browser session is now, from the database: the cookie's session, else the
    single sign-on identity; the local admin while no user exists (this machine only)."""
    with session_scope() as session:
        if not users.users_exist(session):
            if from_this_machine():
                return Verdict(LOCAL, local=True)
            return Verdict(
                None,
                "This workspace has no user yet. Create the first admin on the server's "
                "machine (its Home page at http://127.0.0.1) or with "
                "`python -m leads_core create-user EMAIL --name NAME --role admin`.",
            )
        user = users.resolve_session(session, session_cookie())
        if user is not None:
            return Verdict(users.principal(user))
        identity = _identity()
        if identity is None:
            return Verdict(None)
        sso_user, problem = _sso_user(session, identity)
        if sso_user is None:
            return Verdict(None, problem, via_sso=True)
        return Verdict(users.principal(sso_user), via_sso=True)


def current_principal() -> Principal:
    """Who is using the dashboard in this browser session, as :func:`gate` found at the
    start of this run: its history entries name them, and pages show only what their
    role allows (``principal.can(Action.WRITE)``)."""
    principal = st.session_state.get(_PRINCIPAL)
    return principal if isinstance(principal, Principal) else LOCAL


def can(action: Action) -> bool:
    return current_principal().can(action)


def acting(action: Action) -> Principal:
    """Who acts in a write, checked now (the session may have ended since the page was
    drawn): ``Unauthorized`` when nobody, ``Forbidden`` when their role may not."""
    principal = resolve().principal
    if principal is None:
        raise Unauthorized("you are signed out: reload the page and sign in again")
    principal.require(action)
    return principal


# ------------------------------------------------------------------ drawing


def gate() -> bool:
    """True when this run may show the app (the sidebar then says who is signed in).
    Otherwise draws the sign-in screen alone and returns False; the caller must then draw
    nothing else."""
    verdict = resolve()
    if verdict.principal is None:
        st.session_state.pop(_PRINCIPAL, None)
        _sign_in_screen(verdict)
        return False
    st.session_state[_PRINCIPAL] = verdict.principal
    if verdict.local:
        _first_admin_form()
    else:
        _signed_in_sidebar(verdict)
    return True


def _sign_in_screen(verdict: Verdict) -> None:
    st.title("Leads workspace")
    feedback.show_flashed()
    if verdict.problem:
        st.error(md(verdict.problem))  # it quotes the email the sign-on gave
    if verdict.problem and not verdict.via_sso:
        return  # no user yet, and not this machine: nobody can sign in here
    st.caption("Sign in to see the workspace.")
    url = sign_in_url(current_path())
    # A link in the same tab (st.link_button opens a new one): after signing in, the
    # sign-in page comes back here with the cookie.
    st.markdown(
        f'<a href="{url}" target="_self" data-testid="auth-sign-in-link">'
        "Sign in with email and password</a>",
        unsafe_allow_html=True,
    )
    for provider, label in sso_providers().items():
        if st.button(label, key=f"auth_sso_{provider or 'default'}", icon=":material/login:"):
            if provider:
                st.login(provider)
            else:
                st.login()


def _signed_in_sidebar(verdict: Verdict) -> None:
    principal = verdict.principal
    assert principal is not None
    with st.sidebar:
        st.caption(
            f"Signed in as **{md(principal.name)}** ({ROLE_LABELS[principal.role]})  \n"
            f"{md(principal.email)}"
        )
        if st.button("Sign out", key="auth_sign_out", icon=":material/logout:"):
            _sign_out(verdict, everywhere=False)
        if st.button(
            "Sign out everywhere",
            key="auth_sign_out_everywhere",
            help="End every sign-in of your account, on every device and browser.",
        ):
            _sign_out(verdict, everywhere=True)


def _sign_out(verdict: Verdict, *, everywhere: bool) -> None:
    principal = verdict.principal
    assert principal is not None and principal.user_id is not None
    with session_scope() as session:
        users.end_session(session, session_cookie())
        if everywhere:
            users.sign_out_everywhere(session, principal.user_id)
    st.session_state.pop(_PRINCIPAL, None)
    feedback.flash("success" if not everywhere else "warning", _signed_out(everywhere))
    if verdict.via_sso:
        st.logout()
    st.rerun()


def _signed_out(everywhere: bool) -> str:
    return "Signed out everywhere." if everywhere else "Signed out."


def _first_admin_form() -> None:
    with st.sidebar.expander(
        "Create the first admin", expanded=True, icon=":material/shield_person:"
    ):
        st.caption(
            "No user yet: this dashboard is open to this machine only. Create the first "
            "admin; from then on everyone signs in."
        )
        with st.form("auth_first_admin", clear_on_submit=False):
            st.text_input("Name", key="first_admin_name", max_chars=users.MAX_NAME)
            st.text_input("Email", key="first_admin_email")
            st.text_input(
                "Password",
                type="password",
                key="first_admin_password",
                autocomplete="new-password",
                help=f"{users.MIN_PASSWORD} characters or more.",
            )
            created = st.form_submit_button("Create the admin", type="primary")
    if created:
        _create_first_admin()


def _create_first_admin() -> None:
    state = st.session_state
    try:
        with session_scope() as session:
            if users.users_exist(session):
                raise Conflict("a user exists already: sign in")
            user = users.create_user(
                session,
                email=state.first_admin_email,
                name=state.first_admin_name,
                role=Role.ADMIN,
                password=state.first_admin_password,
            )
    except LeadsError as exc:
        st.sidebar.error(f"Could not create the admin: {feedback.describe(exc)}")
        return
    finally:
        state.pop("first_admin_password", None)
    feedback.flash("success", f"Created the admin {md(user.email)}. Sign in with that email.")
    st.rerun()
