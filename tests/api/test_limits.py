"""Abusive requests are refused before any work: bodies over their limit (413), huge
arrays (413), out-of-range paging (422), and more requests than a key's rate (429)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select
from starlette.applications import Starlette
from starlette.routing import Mount

from leads_core.api import create_api
from leads_core.api.limits import RateLimiter, refusal
from leads_core.config import load_settings
from leads_core.services import apikeys
from leads_core.storage.models import ImportBatch, Lead
from leads_core.storage.rate_limits import MemoryStore, PostgresStore, QuotaStore

pytestmark = pytest.mark.usefixtures("campaign")
MB = 1024 * 1024


def stored(engine) -> tuple[int, int]:
    with Session(engine) as check:
        return (
            check.exec(select(func.count()).select_from(Lead)).one(),
            check.exec(select(func.count()).select_from(ImportBatch)).one(),
        )


@pytest.fixture
def limited(db_url: str, engine, api_key: str) -> Iterator[TestClient]:
    """The API with small limits: 1 MB bodies, 1 MB CSV files, 3 requests a minute."""
    settings = load_settings(
        {
            "DATABASE_URL": db_url,
            "LEADS_MAX_BODY_MB": "1",
            "LEADS_MAX_UPLOAD_MB": "1",
            "LEADS_RATE_LIMIT_PER_MINUTE": "3",
        }
    )
    api = create_api(engine, settings)
    # A clock that stands still: the bucket refills by time, and a busy machine took over a
    # second between the requests (Retry-After 19, not 20). The store the engine uses.
    store: QuotaStore = MemoryStore(clock=lambda: 1000.0)
    if engine.dialect.name == "postgresql":
        store = PostgresStore(engine, clock=lambda: 1000.0)
    api.state.rate_limiter = RateLimiter(3, store)
    app = Starlette(routes=[Mount("/v1", app=api)])
    with TestClient(app, headers={"Authorization": f"Bearer {api_key}"}) as client:
        yield client


def big_import(size: int) -> bytes:
    lead = {"email": "a@acme.io", "notes": "x" * 1000}
    count = size // len(json.dumps(lead)) + 1
    return json.dumps({"campaignId": "cmp_123", "leads": [lead] * count}).encode()


def assert_too_large(response, limit_mb: int) -> None:
    assert response.status_code == 413, response.text
    error = response.json()["error"]
    assert error["code"] == "payload_too_large"
    assert error["message"].startswith(f"the request body is larger than {limit_mb} MB")


# ------------------------------------------------------------------ body size


def test_a_json_body_over_the_limit_is_413_before_it_is_read(limited: TestClient, engine) -> None:
    body = big_import(MB + 1)

    response = limited.post("/v1/leads", content=body, headers={"Content-Type": "application/json"})

    assert_too_large(response, 1)
    assert stored(engine) == (0, 0)


def test_a_chunked_body_is_cut_off_at_the_limit(limited: TestClient, engine) -> None:
    """No Content-Length: the body is counted as it arrives."""
    body = big_import(MB + 1)
    chunks = (body[i : i + 65536] for i in range(0, len(body), 65536))

    response = limited.post(
        "/v1/leads", content=chunks, headers={"Content-Type": "application/json"}
    )

    assert "content-length" not in response.request.headers
    assert_too_large(response, 1)
    assert stored(engine) == (0, 0)


def test_a_body_under_the_limit_is_read(limited: TestClient) -> None:
    body = big_import(MB // 2)

    response = limited.post("/v1/leads", content=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 200
    assert response.json()["imported"] == 1  # one lead, the others duplicates of it


def test_an_upload_over_the_file_limit_and_its_form_overhead_is_413(
    limited: TestClient, engine
) -> None:
    data = b"email,notes\n" + b"a@acme.io," + b"x" * (2 * MB + 10) + b"\n"

    response = limited.post(
        "/v1/leads/import/csv",
        files={"file": ("big.csv", data, "text/csv")},
        data={"campaignId": "cmp_123"},
    )

    assert_too_large(response, 2)  # 1 MB file + 1 MB for the form around it
    assert stored(engine) == (0, 0)


def test_more_leads_than_an_import_takes_is_413_before_any_lead_is_read(
    client: TestClient, engine
) -> None:
    body = {"campaignId": "cmp_123", "leads": [{}] * 100_001}  # 300 kB: under the body limit

    response = client.post("/v1/leads", json=body)

    assert response.status_code == 413
    assert response.json()["error"]["message"] == (
        "100001 leads in one request; the limit is 100000. Split the import."
    )
    assert stored(engine) == (0, 0)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=1000001", "page"),
        ("page=" + "9" * 40, "page"),
        ("limit=" + "9" * 40, "limit"),
        ("limit=100000", "limit"),
        ("q=" + "x" * 201, "q"),
        ("sort=" + "x" * 41, "sort"),
    ],
)
def test_abusive_paging_and_search_values_are_422(client: TestClient, query: str, field: str):
    response = client.get(f"/v1/leads?{query}")

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == field


# ------------------------------------------------------------------ rate limit


def test_the_request_after_the_allowance_is_429_with_retry_after(limited: TestClient) -> None:
    answers = [limited.get("/v1/campaigns").status_code for _ in range(3)]

    refused = limited.get("/v1/campaigns")

    assert answers == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "20"  # 3 a minute: one more every 20 s
    assert refused.json()["error"] == {
        "code": "rate_limited",
        "message": "more than 3 requests a minute with this API key; retry after 20 s",
        "details": [{"retryAfter": 20}],
    }


def test_a_refused_import_imports_nothing(limited: TestClient, engine) -> None:
    for _ in range(3):
        limited.get("/v1/campaigns")

    response = limited.post(
        "/v1/leads", json={"campaignId": "cmp_123", "leads": [{"email": "a@b.io"}]}
    )

    assert response.status_code == 429
    assert stored(engine) == (0, 0)


def test_each_key_has_its_own_allowance(limited: TestClient, session: Session) -> None:
    _other, plain = apikeys.create_api_key(session, name="other")
    for _ in range(4):
        limited.get("/v1/campaigns")

    response = limited.get("/v1/campaigns", headers={"Authorization": f"Bearer {plain}"})

    assert response.status_code == 200


def test_without_a_valid_key_the_answer_is_401_not_429(limited: TestClient) -> None:
    for _ in range(4):
        limited.get("/v1/campaigns")

    response = limited.get("/v1/campaigns", headers={"Authorization": "Bearer lw_nope"})

    assert response.status_code == 401


def test_zero_turns_the_limit_off(db_url: str, engine, api_key: str) -> None:
    settings = load_settings({"DATABASE_URL": db_url, "LEADS_RATE_LIMIT_PER_MINUTE": "0"})
    app = Starlette(routes=[Mount("/v1", app=create_api(engine, settings))])
    with TestClient(app, headers={"Authorization": f"Bearer {api_key}"}) as client:
        answers = {client.get("/v1/campaigns").status_code for _ in range(60)}

    assert answers == {200}


def allowed(limiter: RateLimiter, count: int) -> list[bool]:
    return [quota.allowed for quota in (limiter.take("key_a") for _ in range(count)) if quota]


def test_the_default_allows_a_bulk_client_a_thousand_requests_a_minute() -> None:
    assert load_settings({}).rate_limit_per_minute == 1000
    limiter = RateLimiter(1000, MemoryStore(clock=lambda: 0.0))

    assert allowed(limiter, 1001) == [True] * 1000 + [False]


def test_the_allowance_refills_evenly() -> None:
    now = [0.0]
    limiter = RateLimiter(60, MemoryStore(clock=lambda: now[0]))  # one a second
    assert allowed(limiter, 60) == [True] * 60
    refused = limiter.take("key_a")
    assert refused is not None and not refused.allowed
    assert refusal(refused).headers == {"Retry-After": "1"}

    now[0] = 2.5  # two and a half requests' worth later
    assert allowed(limiter, 3) == [True, True, False]


def test_zero_counts_nothing() -> None:
    assert RateLimiter(0, MemoryStore()).take("key_a") is None
