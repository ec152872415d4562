"""The OpenAPI document's errors (``leads_core.api.openapi``), checked against the API's
real error responses; and what the fuzzer (tests/e2e/test_fuzz.py) found in them: the
``Allow`` header of a 405, and ``mapping=null`` on a CSV upload."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from leads_core.api import create_api
from leads_core.api.openapi import DOMAIN_ERRORS, Error, add_error_responses
from leads_core.config import load_settings

ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
RATE_LIMIT = ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"]

#: Every operation's documented statuses, errors included.
RESPONSES = {
    "GET /leads": ["200", "401", "403", "404", "422", "429"],
    "PATCH /leads": ["200", "400", "401", "403", "413", "422", "429", "503"],
    "GET /leads/export.csv": ["200", "401", "403", "404", "422", "429"],
    "POST /leads": ["200", "400", "401", "403", "404", "413", "422", "429", "503"],
    "POST /leads/import/csv": ["200", "400", "401", "403", "404", "413", "422", "429", "503"],
    "GET /leads/{lead_id}": ["200", "401", "403", "404", "422", "429"],
    "PATCH /leads/{lead_id}": [
        "200",
        "400",
        "401",
        "403",
        "404",
        "409",
        "412",
        "413",
        "422",
        "429",
        "503",
    ],
    "DELETE /leads/{lead_id}": ["204", "401", "403", "404", "409", "412", "422", "429", "503"],
    "GET /leads/{lead_id}/activity": ["200", "401", "403", "404", "422", "429"],
    "GET /campaigns": ["200", "401", "403", "429"],
    "POST /campaigns": ["201", "400", "401", "403", "409", "413", "422", "429", "503"],
    "GET /campaigns/{campaign_id}": ["200", "401", "403", "404", "422", "429"],
    "PATCH /campaigns/{campaign_id}": [
        "200",
        "400",
        "401",
        "403",
        "404",
        "413",
        "422",
        "429",
        "503",
    ],
    "DELETE /campaigns/{campaign_id}": ["204", "401", "403", "404", "409", "422", "429", "503"],
    "POST /campaigns/{campaign_id}/rescore": ["200", "401", "403", "404", "422", "429", "503"],
    "GET /imports": ["200", "401", "403", "422", "429"],
    "GET /imports/{import_id}": ["200", "401", "403", "404", "422", "429"],
    "GET /imports/{import_id}/problems.csv": ["200", "401", "403", "404", "422", "429"],
    "DELETE /imports/{import_id}": ["200", "401", "403", "404", "422", "429", "503"],
    "GET /me": ["200", "401", "403", "429"],
    "GET /leads/{lead_id}/tasks": ["200", "401", "403", "404", "422", "429"],
    "POST /leads/{lead_id}/tasks": ["201", "400", "401", "403", "404", "413", "422", "429", "503"],
    "GET /tasks": ["200", "401", "403", "422", "429"],
    "PATCH /tasks/{task_id}": [
        "200",
        "400",
        "401",
        "403",
        "404",
        "409",
        "412",
        "413",
        "422",
        "429",
        "503",
    ],
    "POST /leads/{lead_id}/activity": [
        "201",
        "400",
        "401",
        "403",
        "404",
        "413",
        "422",
        "429",
        "503",
    ],
    "GET /webhooks": ["200", "401", "403", "429"],
    "POST /webhooks": ["201", "400", "401", "403", "413", "422", "429", "503"],
    "GET /webhooks/{webhook_id}": ["200", "401", "403", "404", "422", "429"],
    "PATCH /webhooks/{webhook_id}": [
        "200",
        "400",
        "401",
        "403",
        "404",
        "413",
        "422",
        "429",
        "503",
    ],
    "DELETE /webhooks/{webhook_id}": ["204", "401", "403", "404", "422", "429", "503"],
    "GET /webhooks/{webhook_id}/deliveries": ["200", "401", "403", "404", "422", "429"],
    "POST /webhooks/{webhook_id}/test": ["202", "401", "403", "404", "409", "422", "429", "503"],
    "POST /webhooks/{webhook_id}/rotate-secret": [
        "200",
        "400",
        "401",
        "403",
        "404",
        "413",
        "422",
        "429",
        "503",
    ],
    "POST /webhooks/{webhook_id}/deliveries/{delivery_id}/resend": [
        "202",
        "401",
        "403",
        "404",
        "422",
        "429",
        "503",
    ],
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_api(create_engine("sqlite://"), load_settings({})).openapi()


def operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path}": operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }


def test_every_operation_documents_the_errors_it_can_return(document: dict[str, Any]) -> None:
    documented = {name: list(op["responses"]) for name, op in operations(document).items()}
    assert documented == RESPONSES


def test_every_error_response_is_the_one_error_shape(document: dict[str, Any]) -> None:
    for name, operation in operations(document).items():
        for status, response in operation["responses"].items():
            if status >= "400":
                media = response["content"]["application/json"]
                assert {"application/json": {"schema": media["schema"]}} == ERROR, (name, status)
                assert media["example"]["error"]["code"], (name, status)  # examples.ERRORS
                assert response["description"], (name, status)
    schemas = document["components"]["schemas"]
    assert schemas["Error"]["required"] == ["error"]
    assert schemas["ErrorInfo"]["required"] == ["code", "message", "details"]
    assert schemas["Error"]["additionalProperties"] is False
    assert {"HTTPValidationError", "ValidationError"}.isdisjoint(schemas)  # FastAPI's shape


def test_401_and_429_document_their_headers(document: dict[str, Any]) -> None:
    get_campaigns = operations(document)["GET /campaigns"]["responses"]
    assert list(get_campaigns["401"]["headers"]) == ["WWW-Authenticate"]
    assert get_campaigns["401"]["headers"]["WWW-Authenticate"]["required"] is True
    assert list(get_campaigns["429"]["headers"]) == ["Retry-After", *RATE_LIMIT]
    post_leads = operations(document)["POST /leads"]["responses"]
    assert list(post_leads["503"]["headers"]) == ["Retry-After", *RATE_LIMIT]


def test_every_answer_to_a_keyed_request_documents_the_rate_limit_headers(
    document: dict[str, Any],
) -> None:
    for name, operation in operations(document).items():
        for status, response in operation["responses"].items():
            headers = response.get("headers", {})
            if status == "401":  # no valid key, no allowance
                assert not set(RATE_LIMIT) & set(headers), name
                continue
            assert [h for h in headers if h in RATE_LIMIT] == RATE_LIMIT, (name, status)
            for header in RATE_LIMIT:
                assert headers[header]["schema"]["type"] == "integer"
                assert headers[header]["description"]


def test_the_rules_follow_the_operations_headers() -> None:
    def header(name: str) -> dict[str, Any]:
        return {"name": name, "in": "header", "schema": {"type": "string"}}

    document = {
        "paths": {
            "/things/{id}": {
                "put": {
                    "parameters": [{"name": "id", "in": "path"}, header("If-Match")],
                    "responses": {"200": {"description": "ok"}},
                },
                "post": {"parameters": [header("Idempotency-Key")], "responses": {}},
                "get": {"security": [], "responses": {}},
            }
        }
    }
    add_error_responses(document)
    things = document["paths"]["/things/{id}"]
    assert list(things["put"]["responses"]) == ["200", "404", "412", "422", "429", "503"]
    assert list(things["post"]["responses"]) == ["422", "429", "503"]
    assert "Idempotency-Key" in things["post"]["responses"]["422"]["description"]
    assert list(things["get"]["responses"]) == ["429"]  # no key asked: no 401


def test_domain_errors_name_operations_that_exist(document: dict[str, Any]) -> None:
    names = set(operations(document))
    assert {f"{method} {path}" for method, path in DOMAIN_ERRORS} <= names


def assert_documented_error(client: TestClient, response: Any, operation: str) -> dict:
    """The response is an error the document lists for ``operation``, in its shape."""
    documented = operations(client.get("/v1/openapi.json").json())[operation]["responses"]
    assert str(response.status_code) in documented, response.text
    assert response.headers["content-type"] == "application/json"
    return Error.model_validate(response.json()).model_dump(exclude_none=True)["error"]


@pytest.mark.usefixtures("campaign")
def test_the_errors_the_api_sends_are_documented(client: TestClient) -> None:
    anonymous = client.get("/v1/campaigns", headers={"Authorization": ""})
    assert assert_documented_error(client, anonymous, "GET /campaigns")["code"] == "unauthorized"
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"

    bad_json = client.post(
        "/v1/campaigns", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert assert_documented_error(client, bad_json, "POST /campaigns") == {
        "code": "bad_request",
        "message": "the request body is not valid JSON",
        "details": [],
    }

    invalid = client.post("/v1/campaigns", json={"name": "x", "id": "nope"})
    error = assert_documented_error(client, invalid, "POST /campaigns")
    assert (error["code"], [d["field"] for d in error["details"]]) == ("validation_error", ["id"])

    taken = client.post("/v1/campaigns", json={"name": "again", "id": "cmp_123"})
    assert assert_documented_error(client, taken, "POST /campaigns")["code"] == "conflict"

    missing = client.get("/v1/leads/lead_nope")
    assert assert_documented_error(client, missing, "GET /leads/{lead_id}") == {
        "code": "not_found",
        "message": "lead 'lead_nope' not found",
        "details": [],
    }

    unknown_campaign = client.get("/v1/leads", params={"campaignId": "cmp_nope"})
    assert assert_documented_error(client, unknown_campaign, "GET /leads")["code"] == "not_found"

    for method in ("GET", "DELETE"):
        no_import = client.request(method, "/v1/imports/imp_nope")
        assert assert_documented_error(client, no_import, f"{method} /imports/{{import_id}}") == {
            "code": "not_found",
            "message": "import 'imp_nope' not found",
            "details": [],
        }
    no_problems = client.get("/v1/imports/imp_nope/problems.csv")
    error = assert_documented_error(client, no_problems, "GET /imports/{import_id}/problems.csv")
    assert error["code"] == "not_found"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("OPTIONS", "/v1/campaigns", "GET, POST"),
        ("PUT", "/v1/campaigns/cmp_123", "DELETE, GET, PATCH"),
        ("PUT", "/v1/leads/lead_x", "DELETE, GET, PATCH"),
        ("GET", "/v1/leads/import/csv", "POST"),
        ("DELETE", "/v1/leads/lead_x/activity", "GET, POST"),
        ("GET", "/v1/tasks/tsk_x", "PATCH"),
    ],
)
def test_a_405_allows_every_method_of_the_path(
    client: TestClient, method: str, path: str, allow: str
) -> None:
    # Starlette named only the methods of the first route matching the path: `Allow: GET`
    # for /campaigns, which takes POST too.
    response = client.request(method, path)
    assert (response.status_code, response.headers["Allow"]) == (405, allow)
    assert response.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.usefixtures("campaign")
def test_a_csv_upload_with_mapping_null_maps_its_headers_itself(client: TestClient) -> None:
    # The schema allows `mapping` to be null; a form field can only say so as JSON `null`,
    # which was refused (422 "got NoneType").
    response = client.post(
        "/v1/leads/import/csv",
        data={"campaignId": "cmp_123", "mapping": "null"},
        files={"file": ("leads.csv", b"Email,Company\nana@acme.io,Acme\n", "text/csv")},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["imported"], body["csv"]["mapping"]) == (
        1,
        {"Email": "email", "Company": "company"},
    )
