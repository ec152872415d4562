"""leads_core.services.users: accounts, passwords, sessions, one-time links."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from leads_core.errors import Conflict, PreconditionFailed, Unauthorized, ValidationFailed
from leads_core.services import apikeys, users
from leads_core.storage.models import Lead, LeadActivity, User, UserToken

PASSWORD = "correct horse battery"


@pytest.fixture
def admin(session: Session) -> User:
    return users.create_user(
        session, email="  Ada@ACME.test ", name=" Ada ", role="admin", password=PASSWORD
    )


def test_a_user_is_stored_with_a_hash_and_a_normalized_email(session: Session, admin: User) -> None:
    assert (admin.email, admin.name, admin.role) == ("ada@acme.test", "Ada", "admin")
    assert admin.id.startswith("usr_")
    assert admin.password_hash is not None and admin.password_hash.startswith("$argon2id$")
    assert PASSWORD not in admin.password_hash
    assert users.check_password(session, "ADA@acme.test", PASSWORD).id == admin.id
    with pytest.raises(Conflict, match="exists already"):
        users.create_user(session, email="ada@acme.test", name="Other", role="member")


@pytest.mark.parametrize(
    ("email", "name", "role", "password", "field"),
    [
        ("not an email", "X", "member", None, "email"),
        ("x@acme.test", "", "member", None, "name"),
        ("x@acme.test", "X", "owner", None, "role"),
        ("x@acme.test", "X", "member", "short", "password"),
    ],
)
def test_bad_input_names_the_field(
    session: Session, email: str, name: str, role: str, password: str | None, field: str
) -> None:
    with pytest.raises(ValidationFailed) as raised:
        users.create_user(session, email=email, name=name, role=role, password=password)
    assert raised.value.details[0]["field"] == field
    assert users.list_users(session) == []


def test_wrong_password_and_unknown_email_fail_alike(session: Session, admin: User) -> None:
    for email, password in [("ada@acme.test", "wrong password!"), ("bob@acme.test", PASSWORD)]:
        with pytest.raises(Unauthorized) as raised:
            users.check_password(session, email, password)
        assert raised.value.message == "wrong email or password"


def test_a_session_lasts_until_signed_out(session: Session, admin: User) -> None:
    token = users.start_session(session, admin)
    other = users.start_session(session, admin)
    assert users.resolve_session(session, token).id == admin.id  # type: ignore[union-attr]
    # only the hash is stored
    assert session.exec(select(UserToken.token_hash)).all() != [token]
    assert all(token not in t.token_hash for t in session.exec(select(UserToken)))
    users.end_session(session, token)
    assert users.resolve_session(session, token) is None
    assert users.resolve_session(session, other) is not None
    users.sign_out_everywhere(session, admin.id)
    assert users.resolve_session(session, other) is None
    assert users.resolve_session(session, "made-up") is None
    assert users.resolve_session(session, None) is None


def test_an_idle_or_old_session_ends(session: Session, admin: User) -> None:
    token = users.start_session(session, admin)
    stored = session.get(UserToken, users.token_hash(token))
    assert stored is not None
    stored.last_used_at = stored.last_used_at - users.SESSION_IDLE - timedelta(seconds=1)  # type: ignore[operator]
    session.add(stored)
    session.commit()
    assert users.resolve_session(session, token) is None
    fresh = users.start_session(session, admin)
    stored = session.get(UserToken, users.token_hash(fresh))
    assert stored is not None
    stored.expires_at = stored.created_at
    session.add(stored)
    session.commit()
    assert users.resolve_session(session, fresh) is None


def test_a_new_password_or_disabling_ends_every_sign_in_and_key(
    session: Session, admin: User
) -> None:
    member = users.create_user(
        session, email="max@acme.test", name="Max", role="member", password=PASSWORD
    )
    token = users.start_session(session, member)
    _key, plain = apikeys.create_api_key(session, name="k", user_id=member.id)
    users.set_password(session, member.id, "another long password")
    assert users.resolve_session(session, token) is None
    token = users.start_session(session, member)
    users.update_user(session, member.id, users.UserChanges(disabled=True))
    assert users.resolve_session(session, token) is None
    with pytest.raises(Unauthorized, match="disabled"):
        apikeys.authenticate(session, plain)
    with pytest.raises(Unauthorized):
        users.check_password(session, "max@acme.test", "another long password")
    users.update_user(session, member.id, users.UserChanges(disabled=False))
    assert apikeys.authenticate(session, plain)[1].user_id == member.id  # keys work again
    assert users.resolve_session(session, token) is None  # sign-ins do not come back


def test_the_last_enabled_admin_stays(session: Session, admin: User) -> None:
    for changes in (users.UserChanges(role="member"), users.UserChanges(disabled=True)):
        with pytest.raises(Conflict, match="at least one enabled admin"):
            users.update_user(session, admin.id, changes)
    with pytest.raises(Conflict):
        users.delete_user(session, admin.id)
    session.expire_all()
    assert (users.get_user(session, admin.id).role, admin.disabled_at) == ("admin", None)
    other = users.create_user(session, email="eve@acme.test", name="Eve", role="admin")
    assert users.update_user(session, admin.id, users.UserChanges(role="viewer")).role == "viewer"
    assert other.role == "admin"


def test_two_admins_editing_one_user_the_second_gets_412(session: Session, admin: User) -> None:
    member = users.create_user(session, email="max@acme.test", name="Max", role="member")
    seen = member.version
    users.update_user(session, member.id, users.UserChanges(name="Max A."), expected_version=seen)
    with pytest.raises(PreconditionFailed, match="changed by someone else"):
        users.update_user(
            session, member.id, users.UserChanges(role="viewer"), expected_version=seen
        )
    session.expire_all()
    assert (users.get_user(session, member.id).name, member.role) == ("Max A.", "member")


def test_an_invitation_link_works_once(session: Session, admin: User) -> None:
    invited = users.create_user(session, email="new@acme.test", name="New", role="member")
    with pytest.raises(Unauthorized):  # no password yet
        users.check_password(session, "new@acme.test", "")
    link = users.issue_link(session, invited.id, "invite")
    assert users.link_user(session, link).id == invited.id  # type: ignore[union-attr]
    users.redeem_link(session, link, "my own long password")
    assert users.check_password(session, "new@acme.test", "my own long password").id == invited.id
    assert users.link_user(session, link) is None
    with pytest.raises(Unauthorized, match="expired or was used"):
        users.redeem_link(session, link, "another long password")
    # a newer link replaces an older one
    first = users.issue_link(session, invited.id, "reset")
    second = users.issue_link(session, invited.id, "reset")
    assert users.link_user(session, first) is None
    assert users.link_user(session, second) is not None


def test_deleting_a_user_unassigns_their_leads_with_history(
    session: Session, admin: User, campaign
) -> None:
    member = users.create_user(session, email="max@acme.test", name="Max", role="member")
    session.add(Lead(id="lead_1", campaign_id=campaign.id, email="a@b.example", owner_id=member.id))
    session.commit()
    assert users.delete_user(session, member.id, actor="Ada <ada@acme.test>") == 1
    session.expire_all()
    lead = session.get(Lead, "lead_1")
    assert lead is not None and lead.owner_id is None and lead.version == 2
    entry = session.exec(select(LeadActivity).where(LeadActivity.lead_id == "lead_1")).one()
    assert (entry.field, entry.old_value, entry.new_value, entry.actor) == (
        "ownerId",
        member.id,
        None,
        "Ada <ada@acme.test>",
    )
    assert session.get(User, member.id) is None


def test_one_change_is_one_version(session: Session, admin: User) -> None:
    """Disabling (which also ends sign-ins) or a new password moves the version by one, so
    the If-Match a page holds is the number it showed plus one change."""
    member = users.create_user(session, email="max@acme.test", name="Max", role="member")
    users.start_session(session, member)
    assert member.version == 1
    assert users.update_user(session, member.id, users.UserChanges(disabled=True)).version == 2
    assert users.set_password(session, member.id, "a long new password").version == 3


def test_deleting_a_user_someone_changed_meanwhile_is_refused(
    session: Session, admin: User
) -> None:
    member = users.create_user(session, email="max@acme.test", name="Max", role="member")
    seen = member.version
    users.update_user(session, member.id, users.UserChanges(role="viewer"))
    with pytest.raises(PreconditionFailed, match="changed by someone else"):
        users.delete_user(session, member.id, expected_version=seen)
    session.expire_all()
    assert users.get_user(session, member.id).role == "viewer"
    assert users.delete_user(session, member.id, expected_version=seen + 1) == 0
