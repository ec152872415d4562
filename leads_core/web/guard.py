"""The outermost check of every request the server answers, dashboard and API alike.

:class:`Guard` is a pure ASGI middleware that ``app.py`` passes to ``st.App(middleware=...)``.
Streamlit 1.67 puts user middleware outside its own (path security, session, gzip) and the
router, so it sees every HTTP request and WebSocket handshake: the dashboard's pages and
assets, ``/_stcore/stream``, ``/_stcore/*`` and the API mounted under ``/v1``. It:

1. refuses a ``Host`` that is not an allowed name (:mod:`leads_core.web.hosts`): 421, JSON
   ``{"error": {"code": "bad_host", ...}}`` under the API, text elsewhere; a WebSocket is
   refused before it is accepted. This is what stops DNS rebinding, for every path.
2. refuses an ``Origin`` that is not an allowed name, when a browser sends one on a
   WebSocket handshake or a request that may change something (not GET/HEAD/OPTIONS): 403
   ``bad_origin``. A rebound page sends its own origin, even where its Host would pass.
3. answers 404 on ``/_stcore/metrics``: Streamlit's internal figures (sessions, caches) are
   nobody's business outside the process, and nothing of ours reads them.
4. adds the security headers (:mod:`leads_core.web.headers`) to every HTTP answer, and makes a
   redirect that names the request's host relative (Starlette's trailing-slash redirects
   build an absolute URL from the ``Host`` header: never reflect it).
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leads_core.config import get_settings
from leads_core.web import headers as security
from leads_core.web.hosts import (
    allowed_hosts,
    is_allowed_host,
    is_allowed_origin,
    relative_location,
)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PRIVATE_PATHS = frozenset({"/_stcore/metrics"})
API_PREFIX = "/v1"
MISDIRECTED = 421


def _is_api(path: str) -> bool:
    return path.startswith(f"{API_PREFIX}/")  # the API's mount; "/v1" alone is Streamlit's


def _refusal(path: str, status: int, code: str, message: str) -> Response:
    if _is_api(path):
        body = {"error": {"code": code, "message": message, "details": []}}
        return JSONResponse(body, status_code=status)
    return PlainTextResponse(message, status_code=status)


class Guard:
    """See the module's docstring. ``allowed``: the host names accepted (normalized); by
    default the loopback names and ``LEADS_ALLOWED_HOSTS``."""

    def __init__(
        self,
        app: ASGIApp,
        allowed: frozenset[str] | None = None,
        policy_for: Callable[[str], str] = security.policy_for,
    ) -> None:
        self.app = app
        self.allowed = (
            allowed if allowed is not None else allowed_hosts(get_settings().allowed_hosts)
        )
        self.policy_for = policy_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            await self._refuse(refusal, scope, receive, send)
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, self._with_headers(scope, send))

    def _refusal(self, scope: Scope) -> Response | None:
        request_headers = Headers(scope=scope)
        path = scope["path"]
        if not is_allowed_host(request_headers.get("host"), self.allowed):
            message = "This server does not answer to that host name (see LEADS_ALLOWED_HOSTS)."
            return _refusal(path, MISDIRECTED, "bad_host", message)
        origin = request_headers.get("origin")
        checks_origin = scope["type"] == "websocket" or scope["method"] not in SAFE_METHODS
        if origin is not None and checks_origin and not is_allowed_origin(origin, self.allowed):
            message = "Requests from pages of that origin are refused."
            return _refusal(path, 403, "bad_origin", message)
        if path.rstrip("/") in PRIVATE_PATHS:
            return PlainTextResponse("Not Found", status_code=404)
        return None

    async def _refuse(self, response: Response, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await response(scope, receive, self._with_headers(scope, send))
            return
        # A WebSocket handshake: refused before it is accepted, with an HTTP answer where
        # the server supports it (uvicorn does), else a plain close (the client sees 403).
        if "websocket.http.response" in scope.get("extensions", {}):
            await response(scope, receive, send)
        else:
            await send({"type": "websocket.close", "code": 1008})

    def _with_headers(self, scope: Scope, send: Send) -> Send:
        policy = self.policy_for(scope["path"])
        host_header = Headers(scope=scope).get("host")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                _add_security_headers(response_headers, policy)
                location = response_headers.get("location")
                if location is not None:
                    response_headers["location"] = relative_location(location, host_header)
            await send(message)

        return send_with_headers


def _add_security_headers(response_headers: MutableHeaders, policy: str) -> None:
    """Set what is missing: a response with a policy of its own (the API docs) keeps it."""
    if "content-security-policy" not in response_headers:
        response_headers["Content-Security-Policy"] = policy
    for name, value in security.COMMON_HEADERS:
        if name.lower() not in response_headers:
            response_headers[name] = value
