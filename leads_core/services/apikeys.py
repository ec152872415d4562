"""API keys: shown once, stored as a SHA-256 hash, checked in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, or_, select

from leads_core.clock import utcnow
from leads_core.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from leads_core.ids import new_id
from leads_core.storage import sql
from leads_core.storage.models import ApiKey
from leads_core.text import drop_nul

KEY_PREFIX = "lw_"
PREFIX_LENGTH = 11  # "lw_" + 8 characters: shown in lists, used to find the row
LAST_USED_RESOLUTION = timedelta(minutes=1)  # avoid one write per request


MAX_NAME = 100  # so "api:<name>" fits the history's actor column (200)


def hash_key(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def create_api_key(session: Session, *, name: str) -> tuple[ApiKey, str]:
    """Returns the stored row and the plain key, which is never stored."""
    name = drop_nul(name).strip()
    if not name:
        raise ValidationFailed("an API key needs a name")
    if len(name) > MAX_NAME:
        raise ValidationFailed(
            f"an API key's name has at most {MAX_NAME} characters", details=[{"field": "name"}]
        )
    plain = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        id=new_id("key"), name=name, prefix=plain[:PREFIX_LENGTH], key_hash=hash_key(plain)
    )
    session.add(key)
    session.commit()
    session.refresh(key)
    return key, plain


def list_api_keys(session: Session) -> list[ApiKey]:
    return list(session.exec(select(ApiKey).order_by(col(ApiKey.created_at), col(ApiKey.id))))


def revoke_api_key(session: Session, key: str) -> ApiKey:
    """Revoke by id (``key_…``) or by displayed prefix (``lw_…``)."""
    found = session.exec(select(ApiKey).where(or_(ApiKey.id == key, ApiKey.prefix == key))).all()
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


def authenticate(session: Session, plain: str | None) -> ApiKey:
    """The active key matching ``plain``, or ``Unauthorized``."""
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
    if match.last_used_at is None or now - match.last_used_at > LAST_USED_RESOLUTION:
        _record_use(session, match, now)
    return match


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
