"""The error half of the OpenAPI document (and the rate-limit headers of every answer): the one JSON error shape as a component schema
(``Error``) and, on every operation, the error responses it can return.

FastAPI documents only what a route returns when it succeeds, plus a 422 in its own
``{"detail": [...]}`` shape, which this API never sends (``leads_core.api.errors`` renders
every failure as ``{"error": {"code", "message", "details"}}``). ``document_errors`` wraps
``FastAPI.openapi`` so the generated document is corrected once, before it is cached:

- rules that follow from how the API is built: 401 wherever the API key is required; 429
  everywhere (``LEADS_RATE_LIMIT_PER_MINUTE``); 422 wherever there is a parameter or a
  body; 400 (unreadable JSON or form data) and 413 (``LEADS_MAX_BODY_MB``) wherever there
  is a body; 404 wherever a path names a resource; 412 wherever ``If-Match`` is accepted
  (and the 422 says an ``Idempotency-Key`` reused for another request is one); 503 on
  every write (SQLite's write lock held past the busy timeout);
- :data:`DOMAIN_ERRORS`, what the service functions raise beyond those, per operation;
- :data:`RATE_LIMIT_HEADERS` on every response but 401 (every answer to a keyed request).

``tests/api/test_openapi.py`` checks the document; ``tests/e2e/test_fuzz.py`` checks that
the running server answers as it says (schemathesis)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema, models_json_schema

from leads_core.api.examples import add_examples

REF = "#/components/schemas/{model}"


def _no_defaults(schema: dict[str, Any]) -> None:
    """An absent key has no value, not a ``null`` default."""
    for prop in schema.get("properties", {}).values():
        prop.pop("default", None)


class ErrorDetail(BaseModel):
    """One thing wrong with the request; each key is present when it is known."""

    model_config = ConfigDict(title="ErrorDetail", json_schema_extra=_no_defaults)

    field: str | SkipJsonSchema[None] = Field(None, description="The field at fault, camelCase")
    location: str | SkipJsonSchema[None] = Field(None, description="`body`, `query`, `path`...")
    message: str | SkipJsonSchema[None] = Field(None, description="What is wrong with it")
    retryAfter: int | SkipJsonSchema[None] = Field(None, description="429: seconds to wait")


class ErrorInfo(BaseModel):
    model_config = ConfigDict(title="ErrorInfo", extra="forbid")

    code: str = Field(description="Stable, machine-readable: `not_found`, `validation_error`...")
    message: str = Field(description="For a person to read")
    details: list[ErrorDetail] = Field(description="Per-field problems; often empty")


class Error(BaseModel):
    """The body of every error response."""

    model_config = ConfigDict(title="Error", extra="forbid")

    error: ErrorInfo


#: What each status means, wherever the rules in the module docstring add it.
GENERIC: dict[int, str] = {
    400: "Bad request: the body is not valid JSON or not readable form data",
    401: "Missing, wrong, expired or revoked API key (`Authorization: Bearer <key>`), or its "
    "user is disabled",
    403: "Forbidden: the key's role or scope does not allow this operation (its "
    "`x-required-action`)",
    404: "Not found: no such resource",
    412: "Precondition failed: `If-Match` does not match the resource's current `ETag`",
    413: "Payload too large: the body is over `LEADS_MAX_BODY_MB`",
    422: "Validation error: `details` names each field at fault",
    429: "Too many requests for this API key (`LEADS_RATE_LIMIT_PER_MINUTE`): wait `Retry-After`",
    503: "Database busy (SQLite): another write, such as a large import, held the write lock "
    "longer than `LEADS_SQLITE_BUSY_TIMEOUT_MS`; or a worker process preparing an import "
    "stopped. Nothing was changed: retry after `Retry-After`",
}

IDEMPOTENT_422 = f"{GENERIC[422]}; or the `Idempotency-Key` was used for another request"

#: Errors the service functions raise beyond the rules, per (METHOD, path under /v1).
#: ``tests/api/test_openapi.py`` checks that every entry names an operation that exists.
DOMAIN_ERRORS: dict[tuple[str, str], dict[int, str]] = {
    ("GET", "/leads"): {404: "Not found: `campaignId` names no campaign"},
    ("GET", "/leads/export.csv"): {404: "Not found: `campaignId` names no campaign"},
    ("POST", "/leads"): {
        404: "Not found: `campaignId` names no campaign",
        413: "Payload too large: more leads than `LEADS_MAX_IMPORT_ROWS`, or a body over "
        "`LEADS_MAX_BODY_MB`",
    },
    ("POST", "/leads/import/csv"): {
        400: "Bad file: the upload is neither CSV text nor a readable .xlsx workbook (binary, "
        "empty, password-protected, unpacking too large...), or the form data is unreadable",
        404: "Not found: `campaignId` names no campaign",
        413: "Payload too large: a file over `LEADS_MAX_UPLOAD_MB`, more rows than "
        "`LEADS_MAX_IMPORT_ROWS`, or a body over `LEADS_MAX_BODY_MB`",
    },
    ("PATCH", "/leads/{lead_id}"): {
        409: "Conflict: another lead of the campaign has this email or LinkedIn URL, or "
        "others are changing the lead right now (try again)",
    },
    ("DELETE", "/leads/{lead_id}"): {
        409: "Conflict: others are changing the lead right now (try again)",
    },
    ("POST", "/campaigns"): {409: "Conflict: a campaign with this `id` already exists"},
    ("POST", "/leads/{lead_id}/tasks"): {
        422: f"{GENERIC[422]}; `ownerId` names no user, or a disabled one",
    },
    ("PATCH", "/tasks/{task_id}"): {
        409: "Conflict: others are changing the task right now (try again)",
        422: f"{GENERIC[422]}; `ownerId` names no user, or a disabled one; `title`, `dueAt` "
        "or `done` is null",
    },
    ("GET", "/tasks"): {
        422: f"{GENERIC[422]}; `ownerId=me` from the system account's key (it is no user)",
    },
    ("POST", "/leads/{lead_id}/activity"): {
        422: f"{GENERIC[422]}; `at` is more than a minute in the future",
    },
    ("POST", "/webhooks"): {
        422: f"{GENERIC[422]}; `url` is refused by the SSRF guard (not http(s), or its host "
        "is or resolves to a loopback, private, link-local or metadata address)",
    },
    ("PATCH", "/webhooks/{webhook_id}"): {
        422: f"{GENERIC[422]}; `url` is refused by the SSRF guard, or `url`, `events` or "
        "`enabled` is null",
    },
    ("POST", "/webhooks/{webhook_id}/test"): {
        409: "Conflict: the endpoint is disabled (enable it to send a test event)",
    },
    ("DELETE", "/campaigns/{campaign_id}"): {
        409: "Conflict: the campaign still has leads and `deleteLeads` is not `true`",
    },
}

RETRY_AFTER = {
    "description": "Seconds to wait before the next request",
    "schema": {"type": "integer", "minimum": 0},
}
_HEADERS: dict[int, dict[str, Any]] = {
    401: {
        "WWW-Authenticate": {
            "description": "Always `Bearer`",
            "required": True,
            "schema": {"type": "string"},
        }
    },
    429: {"Retry-After": RETRY_AFTER},
    503: {"Retry-After": RETRY_AFTER},
}

#: On every answer to a request with a valid API key, whatever its status (so on every
#: response but 401); absent when the limit is off (``LEADS_RATE_LIMIT_PER_MINUTE=0``).
RATE_LIMIT_HEADERS: dict[str, Any] = {
    "RateLimit-Limit": {
        "description": "Requests this API key may make a minute "
        "(`LEADS_RATE_LIMIT_PER_MINUTE`), in a burst or spread out",
        "schema": {"type": "integer", "minimum": 1},
    },
    "RateLimit-Remaining": {
        "description": "Requests the key may make right now, after this one",
        "schema": {"type": "integer", "minimum": 0},
    },
    "RateLimit-Reset": {
        "description": "Seconds until all of `RateLimit-Limit` are available again (the "
        "allowance refills evenly: one request every 60 / `RateLimit-Limit` seconds)",
        "schema": {"type": "integer", "minimum": 0},
    },
}

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def document_errors(api: FastAPI) -> None:
    """Make ``api.openapi()`` return the document with the errors described."""
    generate = api.openapi

    def openapi() -> dict[str, Any]:
        document = api.openapi_schema
        if document is None:
            document = generate()  # FastAPI caches this very dict as api.openapi_schema
            add_error_responses(document)
            add_examples(document)
        return document

    # FastAPI's documented way to change its document, though it declares openapi a method.
    api.openapi = openapi  # type: ignore[method-assign]


def add_error_responses(document: dict[str, Any]) -> None:
    """Add the ``Error`` schemas and each operation's error responses to ``document``."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    _, top = models_json_schema([(Error, "serialization")], ref_template=REF)
    schemas.update(top["$defs"])
    global_security = bool(document.get("security"))
    for path, item in document.get("paths", {}).items():
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            statuses = _rule_statuses(method, operation, global_security)
            statuses.update(DOMAIN_ERRORS.get((method.upper(), path), {}))
            responses = operation.setdefault("responses", {})
            for status, description in statuses.items():
                responses[str(status)] = _error_response(status, description)
            for status, response in responses.items():
                if status != "401":  # no valid key: no allowance to tell
                    response["headers"] = {**response.get("headers", {}), **RATE_LIMIT_HEADERS}
            operation["responses"] = dict(sorted(responses.items()))
    for unused in ("HTTPValidationError", "ValidationError"):  # FastAPI's own 422 shape
        if unused in schemas and f'"{REF.format(model=unused)}"' not in json.dumps(document):
            del schemas[unused]


def _rule_statuses(method: str, operation: dict[str, Any], global_security: bool) -> dict[int, str]:
    parameters = operation.get("parameters", [])
    headers = {p["name"].lower() for p in parameters if p.get("in") == "header"}
    has_body = "requestBody" in operation
    statuses = {429: GENERIC[429]}
    if operation.get("security", global_security):
        statuses[401] = GENERIC[401]
        statuses[403] = GENERIC[403]
    if parameters or has_body:
        statuses[422] = GENERIC[422]
    if has_body:
        statuses[400] = GENERIC[400]
        statuses[413] = GENERIC[413]
    if any(p.get("in") == "path" for p in parameters):
        statuses[404] = GENERIC[404]
    if "if-match" in headers:
        statuses[412] = GENERIC[412]
    if "idempotency-key" in headers:
        statuses[422] = IDEMPOTENT_422
    if method != "get":
        statuses[503] = GENERIC[503]
    return statuses


def _error_response(status: int, description: str) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": REF.format(model="Error")}}},
    }
    if status in _HEADERS:
        response["headers"] = dict(_HEADERS[status])
    return response
