"""The Team page (admins) and the API keys page (one's own keys; every key for an admin),
signed in through the ``browser`` fixture's cookie and run by AppTest through app.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from leads_core.access import Role
from leads_core.services import apikeys, users
from leads_core.storage.models import ApiKey, Campaign, Lead, LeadActivity, User
from tests.ui.conftest import APP, Browser, OpenUrl
from tests.ui.escaping import shown


def _button(at: AppTest, label: str):
    return next(b for b in at.main.button if b.label == label)


def _as(browser: Browser, session: Session, user: User, open_url: OpenUrl, page: str) -> AppTest:
    browser.sign_in(session, user)
    return open_url(page)


def _edit(at: AppTest, user: User) -> AppTest:
    """Choose ``user`` in the "Edit a user" box."""
    at.selectbox(key="team_user").select(user.id).run()
    return at


def _fresh(session: Session, user: User) -> User:
    session.expire_all()
    return users.get_user(session, user.id)


# ------------------------------------------------------------------ team


def test_the_team_lists_every_user_with_their_state(
    open_url: OpenUrl, browser: Browser, admin: User, member: User, ui_session: Session
) -> None:
    invited = users.create_user(ui_session, email="ivy@acme.com", name="Ivy", role=Role.VIEWER)
    users.update_user(ui_session, member.id, users.UserChanges(disabled=True))
    at = _as(browser, ui_session, admin, open_url, "team")
    assert at.title[0].value == "Team"
    table = at.dataframe[0].value
    assert table[["Name", "Email", "Role", "State"]].values.tolist() == [
        ["Ada Admin", "ada@acme.com", "admin", "active"],
        ["Ivy", "ivy@acme.com", "viewer", "invited"],
        ["Mel Member", "mel@acme.com", "member", "disabled"],
    ]
    assert table["Last sign-in"].tolist()[0].endswith(" UTC")  # the fixture's own sign-in
    assert table["Last sign-in"].tolist()[1:] == ["", ""]
    assert invited.password_hash is None


def test_an_invitation_link_is_shown_once_and_works(
    open_url: OpenUrl, browser: Browser, admin: User, ui_session: Session
) -> None:
    at = _as(browser, ui_session, admin, open_url, "team")
    at.text_input(key="invite_email").input("Bob@Acme.com")
    at.text_input(key="invite_name").input("Bob Builder")
    at.selectbox(key="invite_role").select("viewer")
    _button(at, "Invite").click().run()
    assert not at.exception
    bob = users.find_user(ui_session, "bob@acme.com")
    assert (bob.name, bob.role, users.state(bob)) == ("Bob Builder", "viewer", "invited")
    assert shown(at.success[0].value).startswith("The invitation link for **bob@acme.com**")
    [link] = [c.value for c in at.code]
    assert link.startswith("http://localhost:8501/auth/invite/")
    linked = users.link_user(ui_session, link.rsplit("/", 1)[1])
    assert linked is not None and linked.id == bob.id

    at.run()  # shown once
    assert not at.code


def test_a_duplicate_invitation_is_refused(
    open_url: OpenUrl, browser: Browser, admin: User, member: User, ui_session: Session
) -> None:
    at = _as(browser, ui_session, admin, open_url, "team")
    at.text_input(key="invite_email").input("mel@acme.com")
    at.text_input(key="invite_name").input("Another Mel")
    _button(at, "Invite").click().run()
    assert (
        shown(at.error[0].value)
        == "Could not invite: a user with email mel@acme.com exists already"
    )
    assert len(users.list_users(ui_session)) == 2


def test_an_admin_changes_a_role_and_disables_a_user(
    open_url: OpenUrl, browser: Browser, admin: User, member: User, ui_session: Session
) -> None:
    key, plain = apikeys.create_api_key(ui_session, name="mel's", user_id=member.id)
    at = _edit(_as(browser, ui_session, admin, open_url, "team"), member)
    suffix = f"{member.id}_1"
    at.selectbox(key=f"role_{suffix}").select("viewer")
    at.checkbox(key=f"disabled_{suffix}").check()
    _button(at, "Save").click().run()
    assert not at.error
    mel = _fresh(ui_session, member)
    assert (mel.role, users.state(mel)) == ("viewer", "disabled")
    with pytest.raises(Exception, match="this API key's user is disabled"):
        apikeys.authenticate(ui_session, plain)  # their keys stop at once
    assert at.dataframe[0].value["State"].tolist() == ["active", "disabled"]


def test_two_admins_editing_the_same_user_the_second_is_refused(
    open_url: OpenUrl, browser: Browser, admin: User, member: User, ui_session: Session
) -> None:
    at = _edit(_as(browser, ui_session, admin, open_url, "team"), member)
    suffix = f"{member.id}_{member.version}"
    # Another admin renames Mel after this page showed her.
    users.update_user(
        ui_session, member.id, users.UserChanges(name="Mel Renamed"), expected_version=1
    )
    at.text_input(key=f"name_{suffix}").input("Mel Mine")
    at.selectbox(key=f"role_{suffix}").select("admin")
    _button(at, "Save").click().run()
    assert at.error[0].value.startswith(
        "Could not save the user: another admin changed this user after the page showed it."
    )
    mel = _fresh(ui_session, member)
    assert (mel.name, mel.role, mel.version) == ("Mel Renamed", "member", 2)  # theirs kept
    # The page shows their version now, ready for the change to be made again.
    assert at.text_input(key=f"name_{member.id}_2").value == "Mel Renamed"


def test_the_last_enabled_admin_cannot_be_demoted(
    open_url: OpenUrl, browser: Browser, admin: User, ui_session: Session
) -> None:
    at = _edit(_as(browser, ui_session, admin, open_url, "team"), admin)
    at.selectbox(key=f"role_{admin.id}_{admin.version}").select("member")
    _button(at, "Save").click().run()
    assert shown(at.error[0].value) == (
        "Could not save the user: the workspace needs at least one enabled admin; "
        "make another admin first"
    )
    assert _fresh(ui_session, admin).role == "admin"


def test_an_admin_sets_a_password_and_makes_a_reset_link(
    open_url: OpenUrl, browser: Browser, admin: User, member: User, ui_session: Session
) -> None:
    other_session = users.start_session(ui_session, member)
    at = _edit(_as(browser, ui_session, admin, open_url, "team"), member)
    suffix = f"{member.id}_{member.version}"
    at.text_input(key=f"password_{suffix}").input("a brand new password")
    _button(at, "Set password").click().run()
    assert not at.error
    ui_session.expire_all()
    assert users.check_password(ui_session, "mel@acme.com", "a brand new password").id == member.id
    assert users.resolve_session(ui_session, other_session) is None  # her sign-ins ended

    _button(at, "Make a password reset link").click().run()
    [link] = [c.value for c in at.code]
    assert "/auth/invite/" in link
    reset = users.link_user(ui_session, link.rsplit("/", 1)[1])
    assert reset is not None and reset.id == member.id


def test_deleting_a_user_asks_first_and_unassigns_their_leads(
    open_url: OpenUrl,
    browser: Browser,
    admin: User,
    member: User,
    ui_session: Session,
    campaign: Campaign,
) -> None:
    member_id = member.id
    lead = Lead(id="lead_owned", campaign_id=campaign.id, email="x@y.co", owner_id=member_id)
    ui_session.add(lead)
    ui_session.commit()
    at = _edit(_as(browser, ui_session, admin, open_url, "team"), member)
    # "Delete this user…" opens a popover; its button is the confirmation.
    _button(at, "Yes, delete the user").click().run()
    assert not at.error
    ui_session.expire_all()
    assert [u.email for u in users.list_users(ui_session)] == ["ada@acme.com"]
    assert ui_session.get(Lead, "lead_owned").owner_id is None
    [entry] = ui_session.exec(select(LeadActivity).where(LeadActivity.lead_id == "lead_owned"))
    assert (entry.field, entry.old_value, entry.actor) == (
        "ownerId",
        member_id,
        "Ada Admin <ada@acme.com>",
    )


def test_a_member_is_refused_the_team_page(ui_db: str, member: User) -> None:
    at = AppTest.from_file(f"{Path(APP).parent}/pages/team.py", default_timeout=30)
    at.session_state["_auth_principal"] = users.principal(member)
    at.run()
    assert [e.value for e in at.error] == ["Only admins manage the team."]
    assert not at.dataframe


# ------------------------------------------------------------------ API keys


def test_a_member_sees_and_makes_only_their_own_keys(
    open_url: OpenUrl, browser: Browser, admin: User, member: User, ui_session: Session
) -> None:
    apikeys.create_api_key(ui_session, name="admin's", user_id=admin.id)
    apikeys.create_api_key(ui_session, name="mel's old", user_id=member.id)
    at = _as(browser, ui_session, member, open_url, "api_keys")
    assert at.dataframe[0].value["Name"].tolist() == ["mel's old"]
    assert "Acts as" not in at.dataframe[0].value.columns
    assert "key_user" not in [s.key for s in at.selectbox]

    at.text_input(key="key_name").input("zapier")
    at.radio(key="key_scope").set_value("read")
    _button(at, "Create key").click().run()
    assert not at.error
    [plain] = [c.value for c in at.code if c.value.startswith("lw_")]
    key, who = apikeys.authenticate(ui_session, plain)
    assert (key.name, key.user_id, key.scope, who.label) == (
        "zapier",
        member.id,
        "read",
        "Mel Member <mel@acme.com> via API key 'zapier'",
    )
    assert at.dataframe[0].value["Name"].tolist() == ["zapier", "mel's old"]  # newest first


def test_an_admin_sees_every_key_and_makes_one_for_a_member(
    open_url: OpenUrl, browser: Browser, admin: User, member: User, ui_session: Session
) -> None:
    apikeys.create_api_key(ui_session, name="mel's", user_id=member.id)
    apikeys.create_api_key(ui_session, name="system sync")
    at = _as(browser, ui_session, admin, open_url, "api_keys")
    table = at.dataframe[0].value
    assert table[["Name", "Acts as"]].values.tolist() == [
        ["system sync", "system"],
        ["mel's", "Mel Member <mel@acme.com>"],
    ]
    at.text_input(key="key_name").input("for mel")
    at.selectbox(key="key_user").select(member.id)
    _button(at, "Create key").click().run()
    assert not at.error
    made = ui_session.exec(select(ApiKey).where(ApiKey.name == "for mel")).one()
    assert (made.user_id, made.scope, made.expires_at) == (member.id, "write", None)


def test_revoking_a_key_asks_for_confirmation(
    open_url: OpenUrl, browser: Browser, admin: User, member: User, ui_session: Session
) -> None:
    key, plain = apikeys.create_api_key(ui_session, name="mel's", user_id=member.id)
    at = _as(browser, ui_session, member, open_url, "api_keys")
    assert at.selectbox(key="revoke_choice").value == key.id
    # The choice and the popover alone revoke nothing: its "Yes" button does.
    assert apikeys.authenticate(ui_session, plain)[0].id == key.id
    _button(at, "Yes, revoke it").click().run()
    assert any("Revoked the key mel's" in shown(t.value) for t in at.toast)
    ui_session.expire_all()
    assert ui_session.get(ApiKey, key.id).revoked_at is not None


def test_a_key_with_an_expiry(
    open_url: OpenUrl, browser: Browser, member: User, ui_session: Session
) -> None:
    at = _as(browser, ui_session, member, open_url, "api_keys")
    day = (datetime.now(UTC) + timedelta(days=30)).date()
    at.text_input(key="key_name").input("month")
    at.date_input(key="key_expires").set_value(day)
    _button(at, "Create key").click().run()
    made = ui_session.exec(select(ApiKey).where(ApiKey.name == "month")).one()
    assert made.expires_at is not None
    assert made.expires_at.date() == day and (made.expires_at.hour, made.expires_at.minute) == (
        0,
        0,
    )
