"""Who is asking, before any work: the API key, the rate limit and the role, checked by an
ASGI middleware before the request's body is read.

A request with no valid key is answered 401 without reading a byte of its body (a 32 MB
JSON POST no longer gets parsed first); an address sending wrong keys is slowed down
(``FailureThrottle``, the one the dashboard's sign-in uses too); a valid key over its rate
gets 429; a key whose role or scope does not allow the operation gets 403 ``forbidden``.

What an operation needs: GET reads, any other method writes, unless the route names its
action with :func:`needs` (e.g. deleting a campaign; managing keys). The action is also
written into the OpenAPI document (``x-required-action``) so clients can read it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from leads_core.access import Action, Principal
from leads_core.api.errors import error_response
from leads_core.errors import LeadsError, Unauthorized
from leads_core.services import apikeys
from leads_core.throttle import FailureThrottle

ACTION_KEY = "x-required-action"
READING = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC = ("/docs", "/redoc", "/openapi.json", "/docs-assets")  # under the API's root


def needs(action: Action) -> dict[str, Any]:
    """``openapi_extra`` for a route that needs more than its method says."""
    return {ACTION_KEY: action.value}


def required_action(route: BaseRoute | None, method: str) -> Action:
    extra = getattr(route, "openapi_extra", None) or {}
    if ACTION_KEY in extra:
        return Action(extra[ACTION_KEY])
    return Action.READ if method in READING else Action.WRITE


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"


def _bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" else None
    return None


class Authenticate:
    """ASGI middleware of the API (inside its mount): sets ``scope["state"]["principal"]``."""

    def __init__(self, app: ASGIApp, api: FastAPI) -> None:
        self.app = app
        self.api = api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._public(scope):
            await self.app(scope, receive, send)
            return
        try:
            principal = await self._principal(scope)
            self.api.state.rate_limiter.check(principal.key_id or principal.name)
            principal.require(required_action(self._route(scope), scope["method"]))
        except LeadsError as exc:
            headers = getattr(exc, "headers", None)
            if exc.status == 401:
                headers = {"WWW-Authenticate": "Bearer"}
            response = error_response(exc.status, exc.code, exc.message, exc.details, headers)
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)

    def _public(self, scope: Scope) -> bool:
        path: str = scope["path"][len(scope.get("root_path", "")) :]
        return path.startswith(PUBLIC)

    async def _principal(self, scope: Scope) -> Principal:
        throttle: FailureThrottle = self.api.state.failures
        address = f"address:{client_address(scope)}"
        throttle.check([address])  # 429 while this address is sending wrong keys
        token = _bearer(scope)
        try:
            return await run_in_threadpool(self._authenticate, token)
        except Unauthorized:
            throttle.failed([address])
            raise

    def _authenticate(self, token: str | None) -> Principal:
        with Session(self.api.state.engine, expire_on_commit=False) as session:
            return apikeys.authenticate(session, token)[1]

    def _route(self, scope: Scope) -> BaseRoute | None:
        for route in self.api.router.routes:
            if isinstance(route, Route) and route.matches(scope)[0] is Match.FULL:
                return route
        return None
