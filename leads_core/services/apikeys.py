"""API keys: shown once, stored as a SHA-256 hash, checked in constant time.

A key acts as its user (``user_id``), with that user's role, narrowed to reading by the
``read`` scope; a key with no user acts as the built-in system account (admin). A key stops
working when revoked, when it expires, and while its user is disabled."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, or_, select

from leads_core import access
from leads_core.access import Principal, Scope
from leads_core.clock import utcnow
from leads_core.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from leads_core.ids import new_id
from leads_core.services import users
from leads_core.storage import sql
from leads_core.storage.models import ApiKey, User
from leads_core.text import drop_nul

KEY_PREFIX = "lw_"
PREFIX_LENGTH = 11  # "lw_" + 8 characters: shown in lists, used to find the row
LAST_USED_RESOLUTION = timedelta(minutes=1)  # avoid one write per request


MAX_NAME = 100  # so "api:<name>" fits the history's actor column (200)


def hash_key(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def create_api_key(
    session: Session,
    *,
    name: str,
    user_id: str | None = None,
    scope: Scope | str = Scope.WRITE,
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """Returns the stored row and the plain key, which is never stored. ``user_id`` None
    makes a key of the system account."""
    name = drop_nul(name).strip()
    if not name:
        raise ValidationFailed("an API key needs a name")
    if len(name) > MAX_NAME:
        raise ValidationFailed(
            f"an API key's name has at most {MAX_NAME} characters", details=[{"field": "name"}]
        )
    try:
        scope = Scope(scope)
    except ValueError:
        raise ValidationFailed(
            f"scope must be read or write, got {scope!r}", details=[{"field": "scope"}]
        ) from None
    if user_id is not None:
        users.get_user(session, user_id)
    if expires_at is not None and expires_at <= utcnow():
        raise ValidationFailed("the expiry must be in the future", details=[{"field": "expiresAt"}])
    plain = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        id=new_id("key"),
        name=name,
        prefix=plain[:PREFIX_LENGTH],
        key_hash=hash_key(plain),
        user_id=user_id,
        scope=scope.value,
        expires_at=expires_at,
    )
    session.add(key)
    session.commit()
    session.refresh(key)
    return key, plain


def list_api_keys(session: Session, *, user_id: str | None = None) -> list[ApiKey]:
    """Every key, newest first; only ``user_id``'s when given."""
    query = select(ApiKey)
    if user_id is not None:
        query = query.where(ApiKey.user_id == user_id)
    return list(session.exec(query.order_by(col(ApiKey.created_at).desc(), col(ApiKey.id))))


def revoke_api_key(session: Session, key: str, *, by: Principal | None = None) -> ApiKey:
    """Revoke by id (``key_…``) or by displayed prefix (``lw_…``). ``by``, when given,
    must manage every key or own this one (else 404 for another's, as if it did not exist)."""
    query = select(ApiKey).where(or_(ApiKey.id == key, ApiKey.prefix == key))
    if by is not None and not by.can(access.Action.MANAGE):
        by.require(access.Action.OWN_KEYS)
        query = query.where(ApiKey.user_id == by.user_id)
    found = session.exec(query).all()
    if not found:
        raise NotFound(f"no API key with id or prefix {key!r}")
    if len(found) > 1:
        raise Conflict(f"prefix {key!r} matches several keys; revoke by id")
    api_key = found[0]
    if api_key.revoked_at is None:
        api_key.revoked_at = utcnow()
        session.add(api_key)
        session.commit()
        session.refresh(api_key)
    return api_key


def authenticate(session: Session, plain: str | None) -> tuple[ApiKey, Principal]:
    """The active key matching ``plain`` and who it acts as, or ``Unauthorized``: unknown,
    revoked, expired, or its user disabled."""
    if not plain or not plain.startswith(KEY_PREFIX) or len(plain) < PREFIX_LENGTH + 8:
        raise Unauthorized("missing or invalid API key")
    digest = hash_key(plain)
    candidates = session.exec(
        select(ApiKey).where(
            ApiKey.prefix == plain[:PREFIX_LENGTH], col(ApiKey.revoked_at).is_(None)
        )
    ).all()
    match = None
    for candidate in candidates:
        if hmac.compare_digest(candidate.key_hash, digest):
            match = candidate
    if match is None:
        raise Unauthorized("missing or invalid API key")
    now = utcnow()
    if match.expires_at is not None and now >= match.expires_at:
        raise Unauthorized("this API key has expired")
    who = _acting_as(session, match)
    if match.last_used_at is None or now - match.last_used_at > LAST_USED_RESOLUTION:
        _record_use(session, match, now)
    return match, who


def _acting_as(session: Session, key: ApiKey) -> Principal:
    scope = Scope(key.scope)
    if key.user_id is None:
        return replace(access.system(key.name, key.id), scope=scope)
    user = session.get(User, key.user_id)
    if user is None or not users.is_active(user):
        raise Unauthorized("this API key's user is disabled")
    return replace(users.principal(user), scope=scope, key_id=key.id, key_name=key.name)


def _record_use(session: Session, key: ApiKey, now: datetime) -> None:
    """Best effort: while a long SQLite import holds the write lock, a request does not
    wait for it only to note when its key was used (the next request will)."""
    key.last_used_at = now
    session.add(key)
    try:
        with sql.without_waiting(session):
            session.flush()
        session.commit()
    except OperationalError:
        session.rollback()
