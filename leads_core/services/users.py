"""Users: accounts, passwords, roles, sign-in sessions and one-time links.

Passwords are hashed with Argon2 (``pwdlib``) and never stored or logged in clear. Every
secret handed out (a sign-in session's cookie, an invitation or reset link) is stored as
its SHA-256 only (:class:`~leads_core.storage.models.UserToken`).

Signing out ends a session; "sign out everywhere" (and a new password, and disabling the
user) also moves ``signed_out_at``, which every sign-in older than it fails against, SSO
identities included. A disabled user's API keys stop at once (``apikeys.authenticate``).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import func, update
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select

from leads_core.access import Principal, Role
from leads_core.clock import utcnow
from leads_core.errors import Conflict, NotFound, PreconditionFailed, Unauthorized, ValidationFailed
from leads_core.ids import new_id
from leads_core.storage.models import Lead, LeadActivity, Task, User, UserToken
from leads_core.text import drop_nul
from leads_core.webhooks.events import Hooks

MIN_PASSWORD = 10
MAX_PASSWORD = 1000  # Argon2 takes any length; this bounds the work one attempt costs
MAX_NAME = 200
SESSION_IDLE = timedelta(hours=12)  # a sign-in not used for this long ends
SESSION_LONGEST = timedelta(days=14)  # and none lasts longer than this
LINK_LIFETIME = {"invite": timedelta(days=7), "reset": timedelta(days=1)}
SEEN_RESOLUTION = timedelta(minutes=1)  # write a session's last use at most once a minute
WRONG_SIGN_IN = "wrong email or password"
_CHANGED = "{email} was changed by someone else meanwhile; reload and try again"

_hasher = PasswordHash((Argon2Hasher(),))
# Checked against when the email is unknown, so an unknown email takes as long as a known one.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


# ------------------------------------------------------------------ values


def normalize_email(raw: str) -> str:
    """The address, lower-cased, or ``ValidationFailed`` naming ``email``. A team's own
    internal domains (``acme.internal``, ``.test``) are accepted: no mail is sent to it."""
    text = drop_nul(raw or "").strip()
    try:
        checked = validate_email(
            text, check_deliverability=False, globally_deliverable=False, test_environment=True
        )
    except EmailNotValidError as exc:
        raise ValidationFailed(
            f"{text!r} is not an email address: {exc}", details=[{"field": "email"}]
        ) from None
    return str(checked.normalized).lower()


def _name(raw: str) -> str:
    name = str(drop_nul(raw or "")).strip()
    if not name or len(name) > MAX_NAME:
        raise ValidationFailed(
            f"a user's name has 1 to {MAX_NAME} characters", details=[{"field": "name"}]
        )
    return name


def _role(raw: str | Role) -> Role:
    try:
        return Role(raw)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise ValidationFailed(
            f"role must be one of {roles}, got {raw!r}", details=[{"field": "role"}]
        ) from None


def hash_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ValidationFailed(
            f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters",
            details=[{"field": "password"}],
        )
    return _hasher.hash(password)


def principal(user: User) -> Principal:
    return Principal(role=Role(user.role), name=user.name, user_id=user.id, email=user.email)


def is_active(user: User | None, since: datetime | None = None) -> bool:
    """Enabled, and (for a sign-in made at ``since``) not signed out after it."""
    if user is None or user.disabled_at is not None:
        return False
    return since is None or user.signed_out_at is None or since > user.signed_out_at


# ------------------------------------------------------------------ reading


def users_exist(session: Session) -> bool:
    return session.exec(select(User.id).limit(1)).first() is not None


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(col(User.name), col(User.id))))


def state(user: User) -> str:
    """``disabled``, ``invited`` (no password yet: an invitation link or SSO) or ``active``."""
    if user.disabled_at is not None:
        return "disabled"
    return "invited" if user.password_hash is None else "active"


def last_sign_ins(session: Session) -> dict[str, datetime]:
    """Each user's latest sign-in with a password (one grouped query over the sessions)."""
    rows = session.exec(
        select(UserToken.user_id, func.max(UserToken.created_at))
        .where(UserToken.kind == "session")
        .group_by(col(UserToken.user_id))
    ).all()
    return {user_id: when for user_id, when in rows}


def get_user(session: Session, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user with id {user_id!r}")
    return user


def find_user(session: Session, email: str) -> User:
    """By email, whatever its case; NotFound otherwise."""
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    if user is None:
        raise NotFound(f"no user with email {email!r}")
    return user


def check_owner(session: Session, owner_id: str | None, field: str = "ownerId") -> str | None:
    """``owner_id`` when it names an enabled user (or is None); else 422 naming ``field``."""
    if owner_id is None:
        return None
    user = session.get(User, owner_id, populate_existing=True)  # as it is now, not as cached
    if user is None or user.disabled_at is not None:
        what = "no user" if user is None else "a disabled user"
        raise ValidationFailed(
            f"{field}: {owner_id!r} is {what}; give an enabled user's id (usr_...)",
            details=[{"field": field, "message": f"{what} with this id"}],
        )
    return owner_id


# ------------------------------------------------------------------ writing


def create_user(
    session: Session, *, email: str, name: str, role: str | Role, password: str | None = None
) -> User:
    """A new user; without a password they sign in by an invitation link (or SSO)."""
    address = normalize_email(email)
    if session.exec(select(User.id).where(User.email == address)).first() is not None:
        raise Conflict(f"a user with email {address} exists already", details=[{"field": "email"}])
    user = User(
        id=new_id("usr"),
        email=address,
        name=_name(name),
        role=_role(role).value,
        password_hash=hash_password(password) if password is not None else None,
    )
    session.add(user)
    session.commit()
    session.refresh(user)
    return user


@dataclass(frozen=True)
class UserChanges:
    name: str | None = None
    role: Role | str | None = None
    disabled: bool | None = None


def update_user(
    session: Session, user_id: str, changes: UserChanges, *, expected_version: int | None = None
) -> User:
    """Rename, change the role, disable or enable. Refuses (409) to leave the workspace
    without an enabled admin; 412 when ``expected_version`` is not the user's version."""
    user = get_user(session, user_id)
    if expected_version is not None and user.version != expected_version:
        raise PreconditionFailed(_CHANGED.format(email=user.email))
    was_admin = _enabled_admin(user)
    now = utcnow()
    if changes.name is not None:
        user.name = _name(changes.name)
    if changes.role is not None:
        user.role = _role(changes.role).value
    if changes.disabled is not None and changes.disabled != (user.disabled_at is not None):
        user.disabled_at = now if changes.disabled else None
        if changes.disabled:
            _end_sign_ins(session, user, now)
    if was_admin and not _enabled_admin(user):
        _require_another_admin(session, user)
    user.updated_at = now
    session.add(user)
    try:
        session.commit()
    except StaleDataError:
        session.rollback()
        raise PreconditionFailed(_CHANGED.format(email=user.email)) from None
    session.refresh(user)
    return user


def _enabled_admin(user: User) -> bool:
    return user.role == Role.ADMIN and user.disabled_at is None


def _require_another_admin(session: Session, user: User) -> None:
    """409 unless an enabled admin other than ``user`` exists."""
    with session.no_autoflush:
        others = session.exec(
            select(func.count())
            .select_from(User)
            .where(User.role == Role.ADMIN, col(User.disabled_at).is_(None), User.id != user.id)
        ).one()
    if others == 0:
        session.rollback()
        raise Conflict("the workspace needs at least one enabled admin; make another admin first")


def set_password(session: Session, user_id: str, password: str) -> User:
    """A new password; every sign-in made with the old one ends."""
    user = get_user(session, user_id)
    user.password_hash = hash_password(password)
    now = utcnow()
    _end_sign_ins(session, user, now)
    user.updated_at = now
    session.add(user)
    session.commit()
    session.refresh(user)
    return user


def delete_user(
    session: Session,
    user_id: str,
    *,
    actor: str | None = None,
    expected_version: int | None = None,
) -> int:
    """Delete a user: their leads become unassigned (a history entry each), their tasks
    unassigned, their keys and sign-ins deleted. Returns how many leads were unassigned.
    412 when ``expected_version`` is not the user's version, read or at the delete."""
    user = get_user(session, user_id)
    if expected_version is not None and user.version != expected_version:
        raise PreconditionFailed(_CHANGED.format(email=user.email))
    if _enabled_admin(user):
        _require_another_admin(session, user)
    now = utcnow()
    hooks = Hooks(session)
    owned = hooks.unassigning(user.id)  # their ids; a lead.updated each, if subscribed
    session.add_all(
        LeadActivity(
            lead_id=lead_id,
            kind="field_change",
            field="ownerId",
            old_value=user.id,
            new_value=None,
            actor=actor,
            created_at=now,
        )
        for lead_id in owned
    )
    session.execute(
        update(Lead)
        .where(col(Lead.owner_id) == user.id)
        .values(owner_id=None, updated_at=now, version=Lead.version + 1)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Task)
        .where(col(Task.owner_id) == user.id)
        .values(owner_id=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    hooks.write()
    session.delete(user)  # WHERE version = the one read: a change meanwhile fails it
    try:
        session.commit()
    except StaleDataError:
        session.rollback()
        raise PreconditionFailed(_CHANGED.format(email=user.email)) from None
    return len(owned)


# ------------------------------------------------------------------ signing in


def check_password(session: Session, email: str, password: str) -> User:
    """The enabled user with this email and password, else ``Unauthorized`` (the same
    message, and about the same time, whichever part was wrong)."""
    user = session.exec(select(User).where(User.email == (email or "").strip().lower())).first()
    stored = user.password_hash if user is not None else None
    ok = _hasher.verify(password[:MAX_PASSWORD], stored or _DUMMY_HASH)
    if not ok or stored is None or not is_active(user):
        raise Unauthorized(WRONG_SIGN_IN)
    assert user is not None
    return user


def token_hash(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def _issue(session: Session, user: User, kind: str, lifetime: timedelta) -> str:
    plain = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        UserToken(
            token_hash=token_hash(plain),
            user_id=user.id,
            kind=kind,
            created_at=now,
            last_used_at=now,
            expires_at=now + lifetime,
        )
    )
    session.commit()
    return plain


def start_session(session: Session, user: User) -> str:
    """A new sign-in for ``user``: the plain token for the cookie (only its hash is kept)."""
    return _issue(session, user, "session", SESSION_LONGEST)


def resolve_session(session: Session, plain: str | None) -> User | None:
    """The user a session cookie signs in, or None: unknown, ended, idle too long, expired,
    its user disabled or signed out everywhere since."""
    if not plain:
        return None
    token = session.get(UserToken, token_hash(plain))
    now = utcnow()
    if token is None or token.kind != "session" or token.ended_at is not None:
        return None
    last = token.last_used_at or token.created_at
    if now >= token.expires_at or now - last > SESSION_IDLE:
        return None
    user = session.get(User, token.user_id)
    if not is_active(user, token.created_at):
        return None
    if now - last > SEEN_RESOLUTION:
        token.last_used_at = now
        session.add(token)
        session.commit()
    return user


def end_session(session: Session, plain: str | None) -> None:
    if not plain:
        return
    token = session.get(UserToken, token_hash(plain))
    if token is not None and token.ended_at is None:
        token.ended_at = utcnow()
        session.add(token)
        session.commit()


def sign_out_everywhere(session: Session, user_id: str) -> None:
    user = get_user(session, user_id)
    _end_sign_ins(session, user, utcnow())
    session.add(user)
    session.commit()


def _end_sign_ins(session: Session, user: User, now: datetime) -> None:
    user.signed_out_at = now
    with session.no_autoflush:  # the user's changes are written once, at the commit
        _end_sessions(session, user, now)


def _end_sessions(session: Session, user: User, now: datetime) -> None:
    session.execute(
        update(UserToken)
        .where(
            col(UserToken.user_id) == user.id,
            col(UserToken.kind) == "session",
            col(UserToken.ended_at).is_(None),
        )
        .values(ended_at=now)
    )


def issue_link(session: Session, user_id: str, kind: str) -> str:
    """A one-time ``invite`` or ``reset`` token for the user (earlier ones of the kind end)."""
    user = get_user(session, user_id)
    now = utcnow()
    session.execute(
        update(UserToken)
        .where(
            col(UserToken.user_id) == user.id,
            col(UserToken.kind) == kind,
            col(UserToken.ended_at).is_(None),
        )
        .values(ended_at=now)
    )
    return _issue(session, user, kind, LINK_LIFETIME[kind])


def link_user(session: Session, plain: str | None) -> User | None:
    """The user an unused, unexpired invitation or reset link is for; None otherwise."""
    token = session.get(UserToken, token_hash(plain)) if plain else None
    if token is None or token.kind not in LINK_LIFETIME or token.ended_at is not None:
        return None
    if utcnow() >= token.expires_at:
        return None
    user = session.get(User, token.user_id)
    return user if is_active(user) else None


def redeem_link(session: Session, plain: str, password: str) -> User:
    """Set the password a link was for, and use the link up (it works once)."""
    user = link_user(session, plain)
    if user is None:
        raise Unauthorized("this link has expired or was used already; ask an admin for a new one")
    hashed = hash_password(password)
    token = session.get(UserToken, token_hash(plain))
    assert token is not None
    now = utcnow()
    token.ended_at = now
    user.password_hash = hashed
    user.updated_at = now
    _end_sign_ins(session, user, now)
    session.add_all([token, user])
    session.commit()
    session.refresh(user)
    return user
