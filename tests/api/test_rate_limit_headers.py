"""Every answer to a keyed request says where its key stands: ``RateLimit-Limit``,
``RateLimit-Remaining`` and ``RateLimit-Reset`` (IETF draft-ietf-httpapi-ratelimit-headers),
whatever the status, streaming answers included; answers to requests without a valid key
carry none (there is no key whose allowance they could describe)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace

import pytest
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.applications import Starlette

from leads_core.api import create_api
from leads_core.api.serving import mount_api
from leads_core.config import Settings
from leads_core.services import apikeys, users

pytestmark = pytest.mark.usefixtures("campaign")
LIMIT = 5  # a minute: one more every 12 s
INTERVAL = 60 // LIMIT


def quota(response) -> tuple[int, int, int]:
    """(Limit, Remaining, Reset) of an answer."""
    headers = response.headers
    return (
        int(headers["ratelimit-limit"]),
        int(headers["ratelimit-remaining"]),
        int(headers["ratelimit-reset"]),
    )


def app_with_limit(engine: Engine, settings: Settings, per_minute: int) -> Starlette:
    api = create_api(engine, replace(settings, rate_limit_per_minute=per_minute))

    async def stream() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            for n in range(3):
                yield b"chunk %d\n" % n

        return StreamingResponse(chunks(), media_type="text/plain")

    api.add_api_route("/stream-for-tests", stream, include_in_schema=False)
    return Starlette(routes=[mount_api("/v1", api)])


@pytest.fixture
def limited(engine: Engine, settings: Settings, api_key: str) -> Iterator[TestClient]:
    with TestClient(app_with_limit(engine, settings, LIMIT)) as client:
        client.headers["Authorization"] = f"Bearer {api_key}"
        yield client


def test_every_status_carries_the_quota_counting_down(limited: TestClient) -> None:
    answers = [
        limited.get("/v1/campaigns"),  # 200
        limited.get("/v1/campaigns/cmp_nope"),  # 404
        limited.get("/v1/leads?limit=100000"),  # 422
        limited.post("/v1/leads", content=b"{", headers={"Content-Type": "application/json"}),
        limited.get("/v1/campaigns"),  # 200, the last one allowed
        limited.get("/v1/campaigns"),  # 429
    ]

    assert [a.status_code for a in answers] == [200, 404, 422, 400, 200, 429]
    quotas = [quota(a) for a in answers]
    assert [q[:2] for q in quotas] == [(5, 4), (5, 3), (5, 2), (5, 1), (5, 0), (5, 0)]
    # Reset: seconds until the whole allowance is back, INTERVAL per request taken (a slow
    # machine may have let a second or two pass meanwhile).
    for taken, (_limit, _remaining, reset) in enumerate(quotas[:5], start=1):
        assert taken * INTERVAL - 2 <= reset <= taken * INTERVAL
    assert LIMIT * INTERVAL - 2 <= quotas[5][2] <= LIMIT * INTERVAL
    retry_after = int(answers[5].headers["retry-after"])
    assert INTERVAL - 2 <= retry_after <= INTERVAL  # the next request, not the whole quota
    assert answers[5].json()["error"]["code"] == "rate_limited"


def test_a_forbidden_answer_counts_and_says_so(
    engine: Engine, settings: Settings, session: Session
) -> None:
    viewer = users.create_user(session, email="vic@acme.test", name="Vic", role="viewer")
    _key, plain = apikeys.create_api_key(session, name="v", user_id=viewer.id)
    with TestClient(app_with_limit(engine, settings, LIMIT)) as client:
        client.headers["Authorization"] = f"Bearer {plain}"
        refused = client.post("/v1/campaigns", json={"id": "cmp_v", "name": "V"})
        read = client.get("/v1/campaigns")

    assert refused.status_code == 403
    assert quota(refused)[:2] == (5, 4)
    assert quota(read)[:2] == (5, 3)


def test_a_streamed_answer_carries_the_quota(limited: TestClient) -> None:
    response = limited.get("/v1/stream-for-tests")

    assert response.status_code == 200
    assert response.text == "chunk 0\nchunk 1\nchunk 2\n"
    assert quota(response)[:2] == (5, 4)


@pytest.mark.parametrize("authorization", ["", "Bearer lw_wrongwrongwrongwrong"])
def test_an_answer_without_a_valid_key_has_no_quota(limited: TestClient, authorization) -> None:
    response = limited.get("/v1/campaigns", headers={"Authorization": authorization})

    assert response.status_code == 401
    assert not [name for name in response.headers if name.lower().startswith("ratelimit")]
    assert quota(limited.get("/v1/campaigns"))[:2] == (5, 4)  # nor did it count


def test_the_documentation_is_not_counted(limited: TestClient) -> None:
    response = limited.get("/v1/openapi.json")

    assert response.status_code == 200
    assert "ratelimit-limit" not in response.headers
    assert quota(limited.get("/v1/campaigns"))[:2] == (5, 4)


def test_with_the_limit_off_there_is_no_quota_to_tell(
    engine: Engine, settings: Settings, api_key: str
) -> None:
    with TestClient(app_with_limit(engine, settings, 0)) as client:
        client.headers["Authorization"] = f"Bearer {api_key}"
        answers = [client.get("/v1/campaigns") for _ in range(10)]

    assert {a.status_code for a in answers} == {200}
    assert not [name for a in answers for name in a.headers if name.startswith("ratelimit")]
