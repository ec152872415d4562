"""leads_core.web.guard on an app built as app.py builds it (the API mounted under /v1,
dashboard-like routes, a WebSocket), through Starlette's TestClient: refused hosts and
origins, headers on every answer, redirects that never name the request's host, no
/_stcore/metrics. The same on a real ``streamlit run app.py``: tests/e2e/test_rebinding.py."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient, WebSocketDenialResponse
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket

from leads_core.api import create_api
from leads_core.api.serving import mount_api
from leads_core.config import Settings
from leads_core.web import headers
from leads_core.web.guard import Guard
from leads_core.web.hosts import allowed_hosts

BASE = "http://127.0.0.1:8501"
LOCAL = {"Host": "127.0.0.1:8501"}  # the TestClient's WebSocket says "testserver" otherwise
EVIL = "evil.example:8501"
BAD_HOST = {
    "error": {
        "code": "bad_host",
        "message": "This server does not answer to that host name (see LEADS_ALLOWED_HOSTS).",
        "details": [],
    }
}
BAD_ORIGIN = {
    "error": {
        "code": "bad_origin",
        "message": "Requests from pages of that origin are refused.",
        "details": [],
    }
}
SECURITY_HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


async def _page(_request: object) -> PlainTextResponse:
    return PlainTextResponse("page")


async def _metrics(_request: object) -> PlainTextResponse:
    return PlainTextResponse("# streamlit metrics")


async def _to_base(_request: object) -> RedirectResponse:
    return RedirectResponse("/", status_code=302)  # as Streamlit's sign-in routes answer


async def _stream(websocket: WebSocket) -> None:
    await websocket.accept(subprotocol="streamlit")
    await websocket.send_text("hello")
    await websocket.close()


@pytest.fixture
def app_client(engine: Engine, settings: Settings, api_key: str) -> Iterator[TestClient]:
    app = Starlette(
        routes=[
            mount_api("/v1", create_api(engine, settings)),
            Route("/leads", _page),
            Route("/upload", _page, methods=["GET", "PUT"]),
            Route("/_stcore/metrics", _metrics),
            Route("/auth/logout", _to_base),
            WebSocketRoute("/_stcore/stream", _stream),
        ],
        middleware=[Middleware(Guard, allowed=allowed_hosts(["leads.example.test"]))],
    )
    with TestClient(app, base_url=BASE) as client:
        client.headers["Authorization"] = f"Bearer {api_key}"
        yield client


def test_allowed_hosts_are_served(app_client: TestClient) -> None:
    for host in ["127.0.0.1:8501", "localhost:8501", "[::1]:8501", "leads.example.test"]:
        assert app_client.get("/leads", headers={"Host": host}).text == "page"
        assert app_client.get("/v1/me", headers={"Host": host}).status_code == 200


def test_a_forged_host_is_refused_everywhere_even_with_a_valid_key(
    app_client: TestClient,
) -> None:
    page = app_client.get("/leads", headers={"Host": EVIL})
    assert (page.status_code, page.text) == (
        421,
        "This server does not answer to that host name (see LEADS_ALLOWED_HOSTS).",
    )
    assert page.headers["content-type"] == "text/plain; charset=utf-8"
    api = app_client.get("/v1/leads", headers={"Host": EVIL})
    assert (api.status_code, api.json()) == (421, BAD_HOST)
    assert app_client.get("/v1/docs", headers={"Host": EVIL}).status_code == 421
    assert app_client.get("/leads", headers={"Host": "127.0.0.1:8501:1"}).status_code == 421
    with pytest.raises(WebSocketDenialResponse) as denied:
        app_client.websocket_connect("/_stcore/stream", headers={"Host": EVIL}).__enter__()
    assert denied.value.status_code == 421


def test_a_foreign_origin_is_refused_on_writes_and_the_websocket(app_client: TestClient) -> None:
    evil = {"Origin": f"http://{EVIL}"}
    created = app_client.post("/v1/campaigns", json={"name": "x", "criteria": {}}, headers=evil)
    assert (created.status_code, created.json()) == (403, BAD_ORIGIN)
    assert app_client.put("/upload", headers={"Origin": "null"}).status_code == 403
    with pytest.raises(WebSocketDenialResponse) as denied:
        app_client.websocket_connect("/_stcore/stream", headers={**LOCAL, **evil}).__enter__()
    assert denied.value.status_code == 403
    # Reading is not refused for an Origin (a browser's cross-origin GET cannot read the
    # answer without CORS); a same-origin write and WebSocket pass.
    assert app_client.get("/v1/me", headers=evil).status_code == 200
    own = {"Origin": BASE}
    assert app_client.put("/upload", headers=own).text == "page"
    with app_client.websocket_connect("/_stcore/stream", headers={**LOCAL, **own}) as websocket:
        assert websocket.receive_text() == "hello"
    # No Origin: not a browser, and no page to rebind.
    with app_client.websocket_connect("/_stcore/stream", headers=LOCAL) as websocket:
        assert websocket.receive_text() == "hello"


def test_metrics_are_not_served(app_client: TestClient) -> None:
    for path in ["/_stcore/metrics", "/_stcore/metrics/"]:
        response = app_client.get(path)
        assert (response.status_code, response.text) == (404, "Not Found")


def test_every_answer_carries_the_security_headers(app_client: TestClient) -> None:
    page = app_client.get("/leads")
    assert page.headers["content-security-policy"] == headers.dashboard_policy()
    api = app_client.get("/v1/me")
    assert api.headers["content-security-policy"] == headers.API_POLICY
    refused = app_client.get("/leads", headers={"Host": EVIL})
    assert refused.headers["content-security-policy"] == headers.dashboard_policy()
    for response in (page, api, refused, app_client.get("/v1/nothing")):
        assert {k: response.headers[k] for k in SECURITY_HEADERS} == SECURITY_HEADERS


def test_the_api_docs_keep_their_own_policy(app_client: TestClient) -> None:
    docs = app_client.get("/v1/docs")
    assert docs.status_code == 200
    (script_hash,) = headers.inline_script_hashes(docs.text)
    assert docs.headers["content-security-policy"] == headers.docs_policy(docs.text)
    assert f"script-src 'self' {script_hash};" in docs.headers["content-security-policy"]
    redoc = app_client.get("/v1/redoc")
    assert headers.inline_script_hashes(redoc.text) == ()
    assert "worker-src 'self' blob:;" in redoc.headers["content-security-policy"]
    assert docs.headers["x-frame-options"] == "DENY"


def test_redirects_never_name_the_request_host(app_client: TestClient) -> None:
    # FastAPI's trailing-slash redirect is absolute, from the Host header; made relative.
    for host in ["127.0.0.1:8501", "leads.example.test"]:
        moved = app_client.get("/v1/leads/?limit=5", headers={"Host": host}, follow_redirects=False)
        assert (moved.status_code, moved.headers["location"]) == (307, "/v1/leads?limit=5")
    moved = app_client.get("/v1//evil.example/", follow_redirects=False)
    assert moved.status_code == 404  # no route for it, so no redirect at all
    logout = app_client.get("/auth/logout", follow_redirects=False)
    assert logout.headers["location"] == "/"


def test_without_the_guard_the_redirect_would_name_the_host(
    engine: Engine, settings: Settings, api_key: str
) -> None:
    """What the guard fixes: Starlette builds the redirect from the Host header."""
    app = Starlette(routes=[mount_api("/v1", create_api(engine, settings))])
    with TestClient(app, base_url=BASE) as client:
        moved = client.get(
            "/v1/leads/",
            headers={"Host": EVIL, "Authorization": f"Bearer {api_key}"},
            follow_redirects=False,
        )
    assert moved.headers["location"] == f"http://{EVIL}/v1/leads"


def test_other_scopes_pass_through() -> None:
    seen: list[str] = []

    async def inner(scope: Scope, _receive: Receive, _send: Send) -> None:
        seen.append(scope["type"])

    async def nothing() -> Message:
        return {}

    async def ignore(_message: Message) -> None:
        return None

    asyncio.run(Guard(inner, allowed=allowed_hosts())({"type": "lifespan"}, nothing, ignore))
    assert seen == ["lifespan"]
