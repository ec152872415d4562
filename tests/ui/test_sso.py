"""Single sign-on (dashboard/auth.py): an identity from ``st.login`` (``st.user``, seeded
by AppTest) matched to a user by email, with [auth] in the session's Streamlit secrets.
tests/e2e/test_sso.py drives the real OpenID Connect flow against a throwaway provider."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlmodel import Session

from leads_core import config
from leads_core.services import users
from leads_core.storage.models import User
from tests.ui.conftest import OpenUrl
from tests.ui.escaping import shown

AUTH = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "a secret of the test, long enough to sign cookies",
        "client_id": "leads",
        "client_secret": "client secret",
        "server_metadata_url": "https://id.acme.com/.well-known/openid-configuration",
    }
}


def identity(email: str, **claims: Any) -> dict[str, Any]:
    return {"is_logged_in": True, "email": email, "iat": int(time.time()), **claims}


def test_the_sign_in_screen_offers_the_configured_provider(open_url: OpenUrl, admin: User) -> None:
    at = open_url("home", secrets=AUTH)
    assert [b.label for b in at.main.button] == ["Sign in with single sign-on (id.acme.com)"]
    assert "Sign in with email and password" in at.markdown[0].value


def test_named_providers_get_a_button_each(open_url: OpenUrl, admin: User) -> None:
    named = {
        "auth": {
            "redirect_uri": "http://localhost:8501/oauth2callback",
            "cookie_secret": "a secret of the test, long enough to sign cookies",
            "google": {"client_id": "g", "client_secret": "s", "server_metadata_url": "x"},
            "microsoft_entra": {"client_id": "m", "client_secret": "s", "server_metadata_url": "y"},
        }
    }
    at = open_url("home", secrets=named)
    assert [b.label for b in at.main.button] == [
        "Sign in with Google",
        "Sign in with Microsoft Entra",
    ]


def test_without_auth_secrets_an_identity_signs_nobody_in(open_url: OpenUrl, member: User) -> None:
    at = open_url("home", user=identity("mel@acme.com"))
    assert not at.sidebar.caption  # the sign-in screen
    assert not at.main.button


def test_a_known_email_signs_in_as_that_user(
    open_url: OpenUrl, member: User, ui_session: Session
) -> None:
    at = open_url("leads", secrets=AUTH, user=identity("Mel@Acme.com"))
    assert at.title[0].value == "Leads"
    assert (
        shown(at.sidebar.caption[0].value) == "Signed in as **Mel Member** (member)  \nmel@acme.com"
    )


def test_an_unknown_email_is_refused_by_default(
    open_url: OpenUrl, admin: User, ui_session: Session
) -> None:
    at = open_url("home", secrets=AUTH, user=identity("eve@elsewhere.com"))
    assert [shown(e.value) for e in at.error] == [
        "eve@elsewhere.com has no account in this workspace. Ask an admin to invite you."
    ]
    assert [u.email for u in users.list_users(ui_session)] == ["ada@acme.com"]


def test_an_unknown_email_becomes_a_viewer_when_the_setting_says_so(
    open_url: OpenUrl, admin: User, ui_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEADS_SSO_NEW_USERS", "viewer")
    config.get_settings.cache_clear()
    at = open_url("leads", secrets=AUTH, user=identity("eve@acme.com", name="Eve Example"))
    assert at.title[0].value == "Leads"
    eve = users.find_user(ui_session, "eve@acme.com")
    assert (eve.name, eve.role, eve.password_hash) == ("Eve Example", "viewer", None)
    assert at.sidebar.caption[0].value.startswith("Signed in as **Eve Example** (viewer)")
    assert "bulk_status" not in [s.key for s in at.selectbox]


def test_an_unverified_email_is_refused(open_url: OpenUrl, member: User) -> None:
    at = open_url("home", secrets=AUTH, user=identity("mel@acme.com", email_verified=False))
    assert [shown(e.value) for e in at.error] == [
        "The single sign-on has not verified mel@acme.com."
    ]


def test_sign_out_everywhere_ends_an_sso_sign_in_made_before(
    open_url: OpenUrl, member: User, ui_session: Session
) -> None:
    signed_in_at = int(time.time()) - 5
    at = open_url("home", secrets=AUTH, user=identity("mel@acme.com", iat=signed_in_at))
    assert at.sidebar.caption  # signed in
    users.sign_out_everywhere(ui_session, member.id)
    at.run()
    assert [shown(e.value) for e in at.error] == ["Your single sign-on has ended: sign in again."]
    assert [b.label for b in at.main.button] == ["Sign in with single sign-on (id.acme.com)"]
    # A sign-in made after it works again.
    later = identity("mel@acme.com", iat=int(time.time()) + 1)
    assert open_url("home", secrets=AUTH, user=later).sidebar.caption


def test_a_disabled_user_is_refused(open_url: OpenUrl, member: User, ui_session: Session) -> None:
    users.update_user(ui_session, member.id, users.UserChanges(disabled=True))
    at = open_url("home", secrets=AUTH, user=identity("mel@acme.com"))
    assert [shown(e.value) for e in at.error] == ["The account of mel@acme.com is disabled."]


def test_an_identity_without_iat_counts_from_when_this_session_saw_it(
    open_url: OpenUrl, member: User, ui_session: Session
) -> None:
    claims = {"is_logged_in": True, "email": "mel@acme.com"}
    at = open_url("home", secrets=AUTH, user=claims)
    assert at.sidebar.caption
    users.sign_out_everywhere(ui_session, member.id)
    at.run()
    assert [shown(e.value) for e in at.error] == ["Your single sign-on has ended: sign in again."]
