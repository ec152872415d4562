"""Every /v1 operation of the app's own OpenAPI document, asked by each kind of caller,
answers as the role table says: the table below is written here, independently of
``leads_core.access``, and no operation may be missing from it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.applications import Starlette

from leads_core.access import Action, Principal, Role, Scope
from leads_core.api import create_api
from leads_core.api.serving import mount_api
from leads_core.clock import utcnow
from leads_core.config import Settings
from leads_core.errors import Forbidden
from leads_core.services import apikeys, users
from leads_core.storage.models import ApiKey

#: What each operation needs. A new operation fails ``test_the_table_names_every_operation``
#: until it is added here.
NEEDS: dict[str, str] = {
    "GET /leads": "read",
    "PATCH /leads": "write",
    "GET /leads/export.csv": "read",
    "POST /leads": "write",
    "POST /leads/import/csv": "write",
    "GET /leads/{lead_id}": "read",
    "PATCH /leads/{lead_id}": "write",
    "DELETE /leads/{lead_id}": "write",
    "GET /leads/{lead_id}/activity": "read",
    "GET /campaigns": "read",
    "POST /campaigns": "write",
    "GET /campaigns/{campaign_id}": "read",
    "PATCH /campaigns/{campaign_id}": "write",
    "DELETE /campaigns/{campaign_id}": "delete_campaign",
    "POST /campaigns/{campaign_id}/rescore": "write",
    "GET /imports": "read",
    "GET /imports/{import_id}": "read",
    "GET /imports/{import_id}/problems.csv": "read",
    "DELETE /imports/{import_id}": "write",
    "GET /me": "read",
    "GET /leads/{lead_id}/tasks": "read",
    "POST /leads/{lead_id}/tasks": "write",
    "POST /leads/{lead_id}/activity": "write",
    "GET /tasks": "read",
    "PATCH /tasks/{task_id}": "write",
    "GET /webhooks": "manage",
    "POST /webhooks": "manage",
    "GET /webhooks/{webhook_id}": "manage",
    "PATCH /webhooks/{webhook_id}": "manage",
    "DELETE /webhooks/{webhook_id}": "manage",
    "GET /webhooks/{webhook_id}/deliveries": "manage",
    "POST /webhooks/{webhook_id}/test": "manage",
    "POST /webhooks/{webhook_id}/rotate-secret": "manage",
    "POST /webhooks/{webhook_id}/deliveries/{delivery_id}/resend": "manage",
}

#: What each caller may do; ``None``: not even signed in (401 everywhere).
MAY: dict[str, set[str] | None] = {
    "admin": {"read", "write", "delete_campaign", "own_keys", "manage"},
    "system key": {"read", "write", "delete_campaign", "own_keys", "manage"},
    "member": {"read", "write", "own_keys"},
    "viewer": {"read"},
    "admin read-scope key": {"read"},
    "member read-scope key": {"read"},
    "disabled user": None,
    "revoked key": None,
    "expired key": None,
}
PASSWORD = "correct horse battery"


def _key(session: Session, user_id: str | None, **options: Any) -> str:
    return apikeys.create_api_key(session, name="roles", user_id=user_id, **options)[1]


@pytest.fixture
def keys(session: Session) -> dict[str, str]:
    admin = users.create_user(session, email="ada@acme.test", name="Ada", role="admin")
    member = users.create_user(session, email="max@acme.test", name="Max", role="member")
    viewer = users.create_user(session, email="vic@acme.test", name="Vic", role="viewer")
    gone = users.create_user(session, email="dan@acme.test", name="Dan", role="member")
    found = {
        "admin": _key(session, admin.id),
        "system key": _key(session, None),
        "member": _key(session, member.id),
        "viewer": _key(session, viewer.id),
        "admin read-scope key": _key(session, admin.id, scope="read"),
        "member read-scope key": _key(session, member.id, scope="read"),
        "disabled user": _key(session, gone.id),
        "revoked key": _key(session, admin.id),
        "expired key": _key(session, admin.id, expires_at=utcnow() + timedelta(seconds=1)),
    }
    users.update_user(session, gone.id, users.UserChanges(disabled=True))
    revoked = apikeys.authenticate(session, found["revoked key"])[0]
    apikeys.revoke_api_key(session, revoked.id)
    expired = apikeys.authenticate(session, found["expired key"])[0]
    stored = session.get(ApiKey, expired.id)
    assert stored is not None
    stored.expires_at = utcnow() - timedelta(seconds=1)
    session.add(stored)
    session.commit()
    return found


@pytest.fixture
def client(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    unthrottled = replace(settings, auth_failure_limit=0)  # 401s here are not guesses
    app = Starlette(routes=[mount_api("/v1", create_api(engine, unthrottled))])
    with TestClient(app) as client:
        yield client


def operations(client: TestClient) -> dict[str, dict[str, Any]]:
    document = client.get("/v1/openapi.json").json()
    return {
        f"{method.upper()} {path}": operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }


def test_the_table_names_every_operation(client: TestClient) -> None:
    assert sorted(operations(client)) == sorted(NEEDS)


def test_the_document_says_what_each_operation_needs(client: TestClient) -> None:
    documented = {name: op.get("x-required-action") for name, op in operations(client).items()}
    # GET reads and other methods write unless the operation says otherwise
    implied = {
        name: documented[name] or ("read" if name.startswith("GET ") else "write")
        for name in documented
    }
    assert implied == NEEDS


def _request(client: TestClient, name: str, key: str):
    method, path = name.split(" ", 1)
    url = "/v1" + path.replace("{", "x_").replace("}", "")  # ids that name nothing
    body = {} if method in ("POST", "PATCH") else None
    return client.request(method, url, json=body, headers={"Authorization": f"Bearer {key}"})


@pytest.mark.parametrize("caller", sorted(MAY))
def test_every_operation_answers_each_caller_as_the_table_says(
    client: TestClient, keys: dict[str, str], caller: str
) -> None:
    may = MAY[caller]
    answers = {name: _request(client, name, keys[caller]) for name in sorted(NEEDS)}
    if may is None:
        assert {n: r.status_code for n, r in answers.items()} == dict.fromkeys(answers, 401)
        return
    refused = {n for n, r in answers.items() if r.status_code == 403}
    assert refused == {n for n in NEEDS if NEEDS[n] not in may}
    for name, response in answers.items():
        assert response.status_code != 401, (name, response.text)
        if response.status_code == 403:
            assert response.json()["error"]["code"] == "forbidden"


def test_me_names_the_keys_user(client: TestClient, keys: dict[str, str]) -> None:
    me = client.get("/v1/me", headers={"Authorization": f"Bearer {keys['member read-scope key']}"})
    assert me.status_code == 200
    assert {k: v for k, v in me.json().items() if k != "id"} == {
        "email": "max@acme.test",
        "name": "Max",
        "role": "member",
    }
    assert me.json()["id"].startswith("usr_")
    system = client.get("/v1/me", headers={"Authorization": f"Bearer {keys['system key']}"})
    assert system.json() == {"id": None, "email": None, "name": "system", "role": "admin"}


# ------------------------------------------------------------------ the rule itself

ROLE_MAY = {"admin": MAY["admin"], "member": MAY["member"], "viewer": MAY["viewer"]}


@given(
    role=st.sampled_from(list(Role)),
    scope=st.sampled_from(list(Scope)),
    action=st.sampled_from(list(Action)),
    user=st.booleans(),
)
def test_a_principal_may_exactly_what_the_table_allows(
    role: Role, scope: Scope, action: Action, user: bool
) -> None:
    principal = Principal(
        role=role,
        name="x",
        user_id="usr_x" if user else None,
        scope=scope,
        key_id="key_x",
        key_name="k",
    )
    allowed = action.value in ROLE_MAY[role.value] and (
        scope is Scope.WRITE or action.value == "read"
    )
    assert principal.can(action) is allowed
    if allowed:
        principal.require(action)
    else:
        with pytest.raises(Forbidden):
            principal.require(action)
