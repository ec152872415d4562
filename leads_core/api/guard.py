"""Who is asking, before any work: the API key, the rate limit and the role, checked by an
ASGI middleware before the request's body is read.

A request with no valid key is answered 401 without reading a byte of its body (a 32 MB
JSON POST no longer gets parsed first); an address sending wrong keys is slowed down
(``FailureThrottle``, the one the dashboard's sign-in uses too); a valid key over its rate
gets 429; a key whose role or scope does not allow the operation gets 403 ``forbidden``.
Every answer to a request with a valid key, whatever its status, carries the key's
``RateLimit-*`` headers (added around ``send``, so routes need nothing).

What an operation needs: GET reads, any other method writes, unless the route names its
action with :func:`needs` (e.g. deleting a campaign; managing keys). The action is also
written into the OpenAPI document (``x-required-action``) so clients can read it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute, compile_path, get_route_path
from starlette.types import ASGIApp, Receive, Scope, Send

from leads_core.access import Action, Principal
from leads_core.api.errors import error_response
from leads_core.api.limits import RateLimiter, refusal, with_quota
from leads_core.errors import LeadsError, Unauthorized
from leads_core.services import apikeys
from leads_core.storage.rate_limits import Quota
from leads_core.throttle import FailureThrottle

ACTION_KEY = "x-required-action"
READING = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC = ("/docs", "/redoc", "/openapi.json", "/docs-assets")  # under the API's root


Operation = tuple[re.Pattern[str], frozenset[str], Action]


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
        self._table: list[Operation] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._public(scope):
            await self.app(scope, receive, send)
            return
        try:
            principal, quota = await self._principal(scope)
        except LeadsError as exc:
            await _refuse(exc, scope, receive, send)
            return
        send = with_quota(send, quota)  # from here on, every answer tells the key's quota
        try:
            if quota is not None and not quota.allowed:
                raise refusal(quota)
            principal.require(self._action(scope))
        except LeadsError as exc:
            await _refuse(exc, scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)

    def _public(self, scope: Scope) -> bool:
        path: str = scope["path"][len(scope.get("root_path", "")) :]
        return path.startswith(PUBLIC)

    async def _principal(self, scope: Scope) -> tuple[Principal, Quota | None]:
        """Who is asking, and their key's quota after counting this request."""
        throttle: FailureThrottle = self.api.state.failures
        address = f"address:{client_address(scope)}"
        throttle.check([address])  # 429 while this address is sending wrong keys
        token = _bearer(scope)
        if not token:  # no key at all is a mistake, not a guess: not counted
            raise Unauthorized("missing or invalid API key")
        try:
            return await run_in_threadpool(self._authenticate, token)
        except Unauthorized:
            throttle.failed([address])
            raise

    def _authenticate(self, token: str | None) -> tuple[Principal, Quota | None]:
        """In a worker thread: both may ask the database (the quota on PostgreSQL)."""
        limiter: RateLimiter = self.api.state.rate_limiter
        with Session(self.api.state.engine, expire_on_commit=False) as session:
            principal = apikeys.authenticate(session, token)[1]
            quota = limiter.take(principal.key_id or principal.name, session.connection())
            session.commit()  # PostgreSQL: the allowance's row (SQLite: nothing written)
        return principal, quota

    def _action(self, scope: Scope) -> Action:
        if self._table is None:  # the routers are included after the middleware is added
            self._table = list(_operations(self.api.router.routes))
        path = get_route_path(scope)
        for pattern, methods, action in self._table:
            if scope["method"] in methods and pattern.fullmatch(path):
                return action
        return Action.READ if scope["method"] in READING else Action.WRITE


async def _refuse(exc: LeadsError, scope: Scope, receive: Receive, send: Send) -> None:
    headers = getattr(exc, "headers", None)
    if exc.status == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    response = error_response(exc.status, exc.code, exc.message, exc.details, headers)
    await response(scope, receive, send)


def _operations(routes: Iterable[BaseRoute], prefix: str = "") -> Iterator[Operation]:
    """(path pattern, methods, action) of every API route, included routers flattened."""
    for route in routes:
        if hasattr(route, "original_router"):  # FastAPI's include_router()
            inner = prefix + route.include_context.prefix  # type: ignore[attr-defined]
            yield from _operations(route.original_router.routes, inner)
        elif isinstance(route, APIRoute):
            pattern = compile_path(prefix + route.path)[0]
            for method in route.methods or ():
                yield pattern, frozenset({method}), required_action(route, method)
