"""leads_core.services.apikeys: keys shown once, stored hashed, checked, revoked."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from leads_core.clock import utcnow
from leads_core.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from leads_core.services import apikeys
from leads_core.storage.models import ApiKey


def stored_row(engine: Engine, key_id: str) -> dict:
    with engine.connect() as connection:
        row = connection.execute(text("SELECT * FROM api_key WHERE id = :id"), {"id": key_id})
        return dict(row.mappings().one())


def test_create_stores_only_a_hash(session: Session, engine: Engine) -> None:
    key, plain = apikeys.create_api_key(session, name="  Zapier  ")

    assert plain.startswith("lw_")
    assert len(plain) == 3 + 43  # token_urlsafe(32)
    assert key.name == "Zapier"
    assert key.id.startswith("key_")
    assert key.prefix == plain[:11]
    assert key.key_hash == hashlib.sha256(plain.encode()).hexdigest() != plain
    row = stored_row(engine, key.id)
    assert row["key_hash"] == key.key_hash
    assert row["prefix"] == plain[:11]
    assert all(plain not in str(value) for value in row.values())
    assert (row["last_used_at"], row["revoked_at"]) == (None, None)


def test_every_key_is_different(session: Session) -> None:
    plains = {apikeys.create_api_key(session, name=f"key {i}")[1] for i in range(5)}

    assert len(plains) == 5
    # newest first
    assert [k.name for k in apikeys.list_api_keys(session)] == [
        f"key {i}" for i in range(4, -1, -1)
    ]


@pytest.mark.parametrize("name", ["", "   "])
def test_create_needs_a_name(session: Session, name: str) -> None:
    with pytest.raises(ValidationFailed, match="an API key needs a name"):
        apikeys.create_api_key(session, name=name)

    assert apikeys.list_api_keys(session) == []


def test_names_are_limited_so_the_history_can_name_the_key(session: Session) -> None:
    """The history's actor is ``api:<name>`` in a 200-character column, which PostgreSQL
    enforces: 100 characters is the most a name may have."""
    key, _plain = apikeys.create_api_key(session, name="k" * 100)
    assert key.name == "k" * 100
    with pytest.raises(ValidationFailed, match="at most 100 characters"):
        apikeys.create_api_key(session, name="k" * 101)
    assert [k.name for k in apikeys.list_api_keys(session)] == ["k" * 100]


def test_authenticate_returns_the_key_and_records_use(session: Session, engine: Engine) -> None:
    key, plain = apikeys.create_api_key(session, name="n8n")

    found, _who = apikeys.authenticate(session, plain)

    assert found.id == key.id
    first_use = found.last_used_at
    assert first_use is not None
    assert stored_row(engine, key.id)["last_used_at"] is not None
    # within a minute the timestamp is not rewritten (one write per minute at most)
    assert apikeys.authenticate(session, plain)[0].last_used_at == first_use


def test_authenticate_refreshes_an_old_last_used_at(session: Session) -> None:
    key, plain = apikeys.create_api_key(session, name="n8n")
    long_ago = utcnow() - timedelta(minutes=5)
    key.last_used_at = long_ago
    session.add(key)
    session.commit()

    found, _who = apikeys.authenticate(session, plain)

    assert found.last_used_at > long_ago + timedelta(minutes=4)


@pytest.mark.parametrize(
    "presented",
    [None, "", "lw_", "lw_short", "nope_0123456789abcdefghijklmnop", "{plain}x", "{upper}"],
)
def test_authenticate_refuses_wrong_keys(session: Session, presented: str | None) -> None:
    _key, plain = apikeys.create_api_key(session, name="n8n")
    if presented is not None:
        presented = presented.format(plain=plain, upper="lw_" + plain[3:].swapcase())

    with pytest.raises(Unauthorized) as raised:
        apikeys.authenticate(session, presented)

    assert (raised.value.status, raised.value.code) == (401, "unauthorized")


def test_revoke_by_id(session: Session) -> None:
    key, plain = apikeys.create_api_key(session, name="n8n")

    revoked = apikeys.revoke_api_key(session, key.id)

    assert revoked.revoked_at is not None
    with pytest.raises(Unauthorized):
        apikeys.authenticate(session, plain)
    # revoking again keeps the first date
    assert apikeys.revoke_api_key(session, key.id).revoked_at == revoked.revoked_at


def test_revoke_by_prefix_leaves_other_keys(session: Session) -> None:
    key, plain = apikeys.create_api_key(session, name="old")
    other, other_plain = apikeys.create_api_key(session, name="new")

    apikeys.revoke_api_key(session, key.prefix)

    with pytest.raises(Unauthorized):
        apikeys.authenticate(session, plain)
    assert apikeys.authenticate(session, other_plain)[0].id == other.id
    assert [k.revoked_at is None for k in apikeys.list_api_keys(session)] == [True, False]


def test_revoke_unknown_key(session: Session) -> None:
    with pytest.raises(NotFound, match="no API key with id or prefix 'lw_nothing'"):
        apikeys.revoke_api_key(session, "lw_nothing")


def test_keys_sharing_a_prefix(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    tokens = iter(["SAMEPREFIX-first-key-body", "SAMEPREFIX-second-key-body"])
    monkeypatch.setattr(apikeys.secrets, "token_urlsafe", lambda _n: next(tokens))
    first, first_plain = apikeys.create_api_key(session, name="first")
    second, second_plain = apikeys.create_api_key(session, name="second")
    assert first.prefix == second.prefix == "lw_SAMEPREF"

    # both authenticate: the prefix only narrows the search, the hash decides
    assert apikeys.authenticate(session, first_plain)[0].id == first.id
    assert apikeys.authenticate(session, second_plain)[0].id == second.id
    with pytest.raises(Conflict, match="revoke by id"):
        apikeys.revoke_api_key(session, "lw_SAMEPREF")
    apikeys.revoke_api_key(session, first.id)
    with pytest.raises(Unauthorized):
        apikeys.authenticate(session, first_plain)
    assert apikeys.authenticate(session, second_plain)[0].id == second.id


def test_list_api_keys_never_holds_the_plain_key(session: Session) -> None:
    _key, plain = apikeys.create_api_key(session, name="n8n")

    [listed] = apikeys.list_api_keys(session)

    assert isinstance(listed, ApiKey)
    assert plain not in repr(listed.model_dump())
