"""One JSON error shape for every failure:
``{"error": {"code": "...", "message": "...", "details": [...]}}``."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException
from starlette.routing import compile_path
from starlette.types import HTTPExceptionHandler

from leads_core.errors import LeadsError

log = logging.getLogger("leads_core.api")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}


def error_response(
    status: int,
    code: str,
    message: str,
    details: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details or []}}
    return JSONResponse(body, status_code=status, headers=headers)


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "form")]
    return ".".join(parts) or "body"


async def _leads_error(_request: Request, exc: LeadsError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else getattr(exc, "headers", None)
    return error_response(exc.status, exc.code, exc.message, exc.details, headers)


async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(400, "bad_request", "the request body is not valid JSON")
    details = [
        {
            "field": _field_name(tuple(e.get("loc", ()))),
            "location": str(e["loc"][0]) if e.get("loc") else "body",
            "message": e.get("msg", "invalid"),
        }
        for e in errors
    ]
    message = "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
    return error_response(422, "validation_error", message, details)


_METHODS = ("GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE")


def _allowed_methods(request: Request) -> str | None:
    """The methods the OpenAPI document lists for the request's path. Starlette's 405 names
    only those of the first route whose path matched, and each method is a route of its own
    (``OPTIONS /campaigns`` said ``Allow: GET``, not ``GET, POST``)."""
    path = request.scope["path"].removeprefix(request.scope.get("root_path", ""))
    for template, item in request.app.openapi()["paths"].items():
        if compile_path(template)[0].match(path):
            return ", ".join(sorted(m.upper() for m in item if m.upper() in _METHODS))
    return None


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    code = _HTTP_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    headers = getattr(exc, "headers", None)
    allowed = _allowed_methods(request) if exc.status_code == 405 else None
    if allowed:
        headers = {**(headers or {}), "Allow": allowed}
    return error_response(exc.status_code, code, message, headers=headers)


async def _database_busy(request: Request, exc: OperationalError) -> JSONResponse:
    """SQLite's write lock still held after the busy timeout (a longer import than
    LEADS_SQLITE_BUSY_TIMEOUT_MS allows for): the request changed nothing; try again."""
    if "database is locked" not in str(exc.orig):
        return await _unexpected(request, exc)
    log.warning("database busy: the write lock was held longer than the busy timeout")
    return error_response(
        503,
        "database_busy",
        "the database is busy with a long write (an import); nothing was changed - retry",
        headers={"Retry-After": "10"},
    )


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=exc)
    return error_response(500, "internal_error", "unexpected server error; it has been logged")


_E = TypeVar("_E", bound=Exception)


def _handle(
    app: FastAPI, kind: type[_E], handler: Callable[[Request, _E], Awaitable[JSONResponse]]
) -> None:
    # Starlette types every handler as taking any Exception; it calls this one only with
    # a `kind`, which its typing cannot tie to the handler (the TypeVar here does).
    app.add_exception_handler(kind, cast(HTTPExceptionHandler, handler))


def install_error_handlers(app: FastAPI) -> None:
    _handle(app, LeadsError, _leads_error)
    _handle(app, RequestValidationError, _validation_error)
    _handle(app, HTTPException, _http_error)
    _handle(app, OperationalError, _database_busy)
    _handle(app, Exception, _unexpected)
