"""API keys on every /v1 route, and the one error shape of the API."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlmodel import Session, func, select

from leads_core.api import create_api
from leads_core.config import load_settings
from leads_core.services import apikeys
from leads_core.storage.models import ApiKey, Campaign, Lead

# The API's documentation is public, as any API's reference is; it holds no data.
PUBLIC_DOCS = {"/openapi.json", "/docs", "/redoc", "/docs-assets"}
PATH_VALUES = {
    "lead_id": "lead_x",
    "campaign_id": "cmp_123",
    "import_id": "imp_x",
    "task_id": "tsk_x",
    "webhook_id": "whk_x",
    "delivery_id": "1",
}


def api_operations() -> list[tuple[str, str]]:
    """Every (method, path) the API serves, read from the app itself: a route added
    later is covered without editing this test."""
    operations = []

    def walk(routes: list[Any], prefix: str) -> None:
        for route in routes:
            if hasattr(route, "original_router"):  # FastAPI's include_router(), flattened
                walk(route.original_router.routes, prefix + route.include_context.prefix)
                continue
            path = prefix + route.path
            if path in PUBLIC_DOCS:
                continue
            assert isinstance(route, APIRoute), f"{path}: a route outside the API's key check"
            for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
                operations.append((method, "/v1" + path.format(**PATH_VALUES)))

    walk(create_api(create_engine("sqlite://"), load_settings({})).routes, "")
    return operations


ROUTES = api_operations()


def test_the_route_list_is_complete() -> None:
    """The enumeration sees every endpoint of leads-api.md and the campaign routes."""
    assert len(ROUTES) == 34
    assert {("PATCH", "/v1/leads"), ("GET", "/v1/leads/export.csv")} <= set(ROUTES)
    assert ("POST", "/v1/webhooks") in ROUTES
    assert ("GET", "/v1/me") in ROUTES
    assert {("GET", "/v1/leads"), ("POST", "/v1/leads/import/csv")} <= set(ROUTES)
    assert ("DELETE", "/v1/campaigns/cmp_123") in ROUTES
    assert {("GET", "/v1/imports"), ("DELETE", "/v1/imports/imp_x")} <= set(ROUTES)
    assert ("POST", "/v1/webhooks/whk_x/deliveries/1/resend") in ROUTES
    assert {("GET", "/v1/tasks"), ("PATCH", "/v1/tasks/tsk_x")} <= set(ROUTES)
    assert {("POST", "/v1/leads/lead_x/tasks"), ("POST", "/v1/leads/lead_x/activity")} <= set(
        ROUTES
    )


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["error"]
    assert sorted(body["error"]) == ["code", "details", "message"]
    assert body["error"]["code"] == code
    return body["error"]


def assert_unauthorized(response) -> None:
    error = error_of(response, 401, "unauthorized")
    assert error == {
        "code": "unauthorized",
        "message": "missing or invalid API key",
        "details": [],
    }
    assert response.headers["www-authenticate"] == "Bearer"


def count(engine, model) -> int:
    with Session(engine) as check:
        return check.exec(select(func.count()).select_from(model)).one()


# ------------------------------------------------------------------ 401


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_route_needs_a_key(
    client: TestClient, campaign, engine, method: str, path: str
) -> None:
    del client.headers["Authorization"]

    response = client.request(method, path, json={"name": "x", "campaignId": "cmp_123"})

    assert_unauthorized(response)
    assert (count(engine, Campaign), count(engine, Lead)) == (1, 0)


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_route_refuses_a_revoked_key(
    client: TestClient, session: Session, campaign, engine, method: str, path: str
) -> None:
    lead = client.post("/v1/leads", json={"campaignId": "cmp_123", "leads": [{"email": "a@b.io"}]})
    assert lead.status_code == 200  # the key worked until now
    apikeys.revoke_api_key(session, session.exec(select(ApiKey)).one().id)

    response = client.request(
        method, path.replace("lead_x", lead.json()["leads"][0]["id"]), json={"name": "x"}
    )

    assert_unauthorized(response)
    assert (count(engine, Campaign), count(engine, Lead)) == (1, 1)


def test_only_the_documentation_is_public(client: TestClient) -> None:
    del client.headers["Authorization"]

    assert client.get("/v1/openapi.json").json()["info"]["title"] == "Leads API"
    assert client.get("/v1/docs").status_code == 200
    assert_unauthorized(client.get("/v1/leads"))


@pytest.mark.parametrize(
    "authorization",
    [
        "",
        "Bearer",
        "Bearer ",
        "Bearer lw_wrong-key-of-the-right-shape-000000000000000000",
        "Bearer not-a-key",
        "Token {key}",
        "Basic {key}",
        "{key}",
        "Bearer {key}x",
        "Bearer {key_without_last_char}",
    ],
)
def test_missing_or_wrong_key_is_401(client: TestClient, api_key: str, authorization: str) -> None:
    header = authorization.format(key=api_key, key_without_last_char=api_key[:-1])

    assert_unauthorized(client.get("/v1/leads", headers={"Authorization": header}))


def test_no_authorization_header_is_401(client: TestClient) -> None:
    del client.headers["Authorization"]

    assert_unauthorized(client.get("/v1/leads"))


def test_scheme_is_case_insensitive(client: TestClient, api_key: str) -> None:
    response = client.get("/v1/leads", headers={"Authorization": f"bearer {api_key}"})

    assert response.status_code == 200


def test_revoked_key_is_401(client: TestClient, session: Session, api_key: str) -> None:
    assert client.get("/v1/leads").status_code == 200
    key = session.exec(select(ApiKey)).one()

    apikeys.revoke_api_key(session, key.id)

    assert_unauthorized(client.get("/v1/leads"))


def test_other_keys_keep_working_after_a_revoke(
    client: TestClient, session: Session, api_key: str
) -> None:
    _second, plain = apikeys.create_api_key(session, name="second")

    apikeys.revoke_api_key(session, api_key[: apikeys.PREFIX_LENGTH])

    assert_unauthorized(client.get("/v1/leads"))
    assert client.get("/v1/leads", headers={"Authorization": f"Bearer {plain}"}).status_code == 200


def test_use_records_last_used_at_and_actor(
    client: TestClient, campaign, engine, api_key: str
) -> None:
    with Session(engine) as check:
        assert check.exec(select(ApiKey)).one().last_used_at is None

    response = client.post(
        "/v1/leads", json={"campaignId": "cmp_123", "leads": [{"email": "a@b.io"}]}
    )

    with Session(engine) as check:
        key = check.exec(select(ApiKey)).one()
    assert key.last_used_at is not None
    assert key.last_used_at >= key.created_at
    lead_id = response.json()["leads"][0]["id"]
    activity = client.get(f"/v1/leads/{lead_id}/activity").json()
    assert [a["actor"] for a in activity] == ["api:tests"]


# ------------------------------------------------------------------ error shape


def test_unknown_route_is_404_in_the_error_shape(client: TestClient) -> None:
    error = error_of(client.get("/v1/nothing-here"), 404, "not_found")

    assert error == {"code": "not_found", "message": "Not Found", "details": []}


def test_wrong_method_is_405_in_the_error_shape(client: TestClient) -> None:
    error = error_of(client.put("/v1/leads"), 405, "method_not_allowed")

    assert error["details"] == []


def test_invalid_json_is_400(client: TestClient) -> None:
    response = client.post(
        "/v1/leads",
        content=b'{"campaignId": "cmp_123", "leads": [',
        headers={"Content-Type": "application/json"},
    )

    error = error_of(response, 400, "bad_request")
    assert error == {
        "code": "bad_request",
        "message": "the request body is not valid JSON",
        "details": [],
    }


def test_validation_error_details(client: TestClient) -> None:
    response = client.post("/v1/leads", json={"leads": "nope", "autoScore": "maybe"})

    error = error_of(response, 422, "validation_error")
    assert [(d["field"], d["location"]) for d in error["details"]] == [
        ("campaignId", "body"),
        ("leads", "body"),
        ("autoScore", "body"),
    ]
    assert all(sorted(d) == ["field", "location", "message"] for d in error["details"])
    assert error["message"].split("; ")[0] == "campaignId: Field required"


def test_openapi_document_and_docs_are_served(client: TestClient) -> None:
    document = client.get("/v1/openapi.json")
    docs = client.get("/v1/docs")

    assert document.status_code == 200
    assert sorted(document.json()["paths"]) == [
        "/campaigns",
        "/campaigns/{campaign_id}",
        "/campaigns/{campaign_id}/rescore",
        "/imports",
        "/imports/{import_id}",
        "/imports/{import_id}/problems.csv",
        "/leads",
        "/leads/export.csv",
        "/leads/import/csv",
        "/leads/{lead_id}",
        "/leads/{lead_id}/activity",
        "/leads/{lead_id}/tasks",
        "/me",
        "/tasks",
        "/tasks/{task_id}",
        "/webhooks",
        "/webhooks/{webhook_id}",
        "/webhooks/{webhook_id}/deliveries",
        "/webhooks/{webhook_id}/deliveries/{delivery_id}/resend",
        "/webhooks/{webhook_id}/rotate-secret",
        "/webhooks/{webhook_id}/test",
    ]
    assert docs.status_code == 200
    assert "/v1/openapi.json" in docs.text


# ------------------------------------------------------------------ NUL characters
# PostgreSQL cannot hold a NUL in text; SQLite can. Both engines answer alike.


@pytest.mark.usefixtures("campaign")
def test_nul_characters_are_dropped_from_stored_text(client: TestClient) -> None:
    imported = client.post(
        "/v1/leads",
        json={"campaignId": "cmp_123", "leads": [{"email": "a@b.co", "firstName": "An\x00n"}]},
    )
    assert imported.status_code == 200, imported.text
    lead_id = imported.json()["leads"][0]["id"]
    assert client.get(f"/v1/leads/{lead_id}").json()["firstName"] == "Ann"

    patched = client.patch(f"/v1/leads/{lead_id}", json={"notes": "call\x00 back"})
    assert patched.json()["notes"] == "call back"

    created = client.post(
        "/v1/campaigns", json={"name": "Q2\x00", "criteria": {"targetPositions": ["C\x00TO"]}}
    )
    assert created.status_code == 201, created.text
    assert (created.json()["name"], created.json()["criteria"]["targetPositions"]) == (
        "Q2",
        ["CTO"],
    )


@pytest.mark.parametrize(
    "url",
    [
        "/v1/leads/lead%00x",
        "/v1/leads/lead%00x/activity",
        "/v1/campaigns/cmp_123%00",
        "/v1/leads?campaignId=cmp_123%00",
        "/v1/leads?source=linkedin%00",
    ],
)
@pytest.mark.usefixtures("campaign")
def test_a_nul_character_in_the_url_is_422_not_a_server_error(client: TestClient, url: str) -> None:
    error = error_of(client.get(url), 422, "validation_error")
    assert "NUL" in error["message"]
