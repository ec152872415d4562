"""The key, the rate and the role are checked before a request's body is read; wrong keys
are throttled per client address (``leads_core.api.guard``, ``leads_core.throttle``)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from leads_core.api import create_api
from leads_core.config import Settings
from leads_core.errors import RateLimited
from leads_core.services import apikeys, users
from leads_core.throttle import FailureThrottle

BODY = b'{"campaignId": "cmp_x", "leads": [' + b'{"email": "a@b.example"},' * 1000 + b"{}]}"


def call(api: Any, method: str, path: str, key: str | None, client: str = "127.0.0.1"):
    """Run one request through the API app; returns (status, body, chunks of body read)."""
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(BODY))]
    if key is not None:
        headers.append((b"authorization", b"Bearer " + key.encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": (client, 50000),
        "server": ("127.0.0.1", 8501),
    }
    read: list[int] = []
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        read.append(len(BODY))
        return {"type": "http.request", "body": BODY, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(api(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body, read


@pytest.fixture
def api(engine: Engine, settings: Settings):
    return create_api(engine, replace(settings, auth_failure_limit=3))


@pytest.mark.parametrize("key", [None, "lw_wrongwrongwrongwrong", "Basic abc"])
def test_no_valid_key_is_answered_without_reading_the_body(api: Any, key: str | None) -> None:
    status, body, read = call(api, "POST", "/leads", key)
    assert status == 401
    assert b'"code":"unauthorized"' in body
    assert read == []  # not a byte of the body was asked for


def test_a_viewer_is_refused_before_the_body_is_read(api: Any, session: Session) -> None:
    viewer = users.create_user(session, email="vic@acme.test", name="Vic", role="viewer")
    _key, plain = apikeys.create_api_key(session, name="v", user_id=viewer.id)
    status, body, read = call(api, "POST", "/leads", plain)
    assert (status, read) == (403, [])
    assert b'"code":"forbidden"' in body
    status, _body, read = call(api, "GET", "/leads", plain)
    assert status == 200


def test_wrong_keys_are_throttled_per_address(api: Any, session: Session) -> None:
    _key, good = apikeys.create_api_key(session, name="good")
    for _ in range(3):
        assert call(api, "GET", "/leads", "lw_guessguessguessguess", "10.0.0.1")[0] == 401
    status, body, _read = call(api, "GET", "/leads", "lw_guessguessguessguess", "10.0.0.1")
    assert status == 429
    assert b'"code":"rate_limited"' in body
    # the address is refused even with a good key meanwhile; another address is not
    assert call(api, "GET", "/leads", good, "10.0.0.1")[0] == 429
    assert call(api, "GET", "/leads", good, "10.0.0.2")[0] == 200
    # a request with no key at all is a mistake, not a guess: still 401, never counted
    for _ in range(5):
        assert call(api, "GET", "/leads", None, "10.0.0.3")[0] == 401


def test_the_throttle_forgets_failures_after_its_window() -> None:
    now = [1000.0]
    throttle = FailureThrottle(limit=2, window=300, clock=lambda: now[0])
    throttle.failed(["address:a", "account:x"])
    throttle.failed(["address:a"])
    with pytest.raises(RateLimited) as raised:
        throttle.check(["address:a"])
    assert raised.value.headers == {"Retry-After": "300"}
    throttle.check(["account:x"])  # one failure: fine
    now[0] += 300.5
    throttle.check(["address:a"])  # both failures are older than the window
    throttle.failed(["address:a"])
    throttle.succeeded(["address:a"])
    throttle.check(["address:a"])
    assert FailureThrottle(limit=0).check(["anything"]) is None  # 0: off
