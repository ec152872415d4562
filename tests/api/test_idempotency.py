"""Safe retries: an import sent again with the same ``Idempotency-Key`` returns the first
response and imports nothing twice."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from leads_core.clock import utcnow
from leads_core.services import apikeys
from leads_core.storage.models import IdempotentRequest, ImportBatch, Lead

pytestmark = pytest.mark.usefixtures("campaign")

BODY = {
    "campaignId": "cmp_123",
    "leads": [{"email": "marie@techcorp.com"}, {"email": "jean@startup.io"}, {"company": "x"}],
}
CSV = b"firstName,email\nMarie,marie@techcorp.com\nJean,jean@startup.io\n"


def counts(engine) -> tuple[int, int]:
    """(leads, import batches) stored."""
    with Session(engine) as check:
        return (
            check.exec(select(func.count()).select_from(Lead)).one(),
            check.exec(select(func.count()).select_from(ImportBatch)).one(),
        )


def post_json(client: TestClient, key: str | None, body: dict = BODY, **headers: str):
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post("/v1/leads", json=body, headers=headers)


def post_csv(client: TestClient, key: str, data: bytes = CSV):
    return client.post(
        "/v1/leads/import/csv",
        files={"file": ("leads.csv", data, "text/csv")},
        data={"campaignId": "cmp_123"},
        headers={"Idempotency-Key": key},
    )


def test_a_retry_returns_the_first_response_and_imports_nothing(client: TestClient, engine) -> None:
    first = post_json(client, "7f1c-retry")
    retry = post_json(client, "7f1c-retry")

    assert first.status_code == retry.status_code == 200
    assert first.json()["imported"] == 2 and len(first.json()["errors"]) == 1
    assert retry.content == first.content  # the same ids, counts and errors, byte for byte
    assert "idempotent-replayed" not in first.headers
    assert retry.headers["idempotent-replayed"] == "true"
    assert counts(engine) == (2, 1)


def test_without_a_key_a_second_import_counts_the_duplicates(client: TestClient, engine) -> None:
    """The contrast: what a retry without a key answers (nothing stored twice either,
    but the client cannot tell its first attempt's ids)."""
    first = post_json(client, None)
    second = post_json(client, None)

    assert (first.json()["imported"], second.json()["imported"]) == (2, 0)
    assert second.json()["skipped"] == 2
    assert counts(engine) == (2, 2)


def test_a_csv_retry_returns_the_first_response(client: TestClient, engine) -> None:
    first = post_csv(client, "csv-upload-1")
    retry = post_csv(client, "csv-upload-1")

    assert first.json()["imported"] == 2
    assert first.json()["csv"]["delimiter"] == ","
    assert retry.content == first.content
    assert retry.headers["idempotent-replayed"] == "true"
    assert counts(engine) == (2, 1)


@pytest.mark.parametrize(
    "other",
    [
        {**BODY, "leads": [{"email": "paul@other.io"}]},  # another body
        {**BODY, "autoScore": False},  # another option
    ],
)
def test_the_same_key_for_another_request_is_422(client: TestClient, engine, other: dict) -> None:
    post_json(client, "key-1")

    response = post_json(client, "key-1", other)

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"] == [
        {"field": "Idempotency-Key", "message": "reused for a different request"}
    ]
    assert counts(engine) == (2, 1)


def test_the_same_key_on_the_other_endpoint_is_another_request(client: TestClient) -> None:
    post_json(client, "shared")

    response = post_csv(client, "shared")

    assert response.status_code == 422


def test_keys_belong_to_their_api_key(client: TestClient, session: Session, engine) -> None:
    """Another client choosing the same key neither sees the first one's response nor is
    refused: keys are scoped to the API key that sent them."""
    _other, plain = apikeys.create_api_key(session, name="other")
    post_json(client, "k")

    response = post_json(
        client,
        "k",
        {**BODY, "leads": [{"email": "paul@other.io"}]},
        Authorization=f"Bearer {plain}",
    )

    assert response.status_code == 200
    assert response.json()["imported"] == 1
    assert "idempotent-replayed" not in response.headers
    assert counts(engine) == (3, 2)


@pytest.mark.parametrize("key", ["", " ", "é-accent", "x" * 256, "two words"])
def test_a_malformed_key_is_422_before_any_work(client: TestClient, engine, key: str) -> None:
    response = client.post("/v1/leads", json=BODY, headers={"Idempotency-Key": key.encode("utf-8")})

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "Idempotency-Key"
    assert counts(engine) == (0, 0)


def test_a_failed_request_is_not_stored_and_can_be_retried(client: TestClient, engine) -> None:
    missing = post_json(client, "k2", {**BODY, "campaignId": "cmp_missing"})
    assert missing.status_code == 404

    again = post_json(client, "k2", {**BODY, "campaignId": "cmp_missing"})

    assert again.status_code == 404
    assert "idempotent-replayed" not in again.headers
    with Session(engine) as check:
        assert check.exec(select(IdempotentRequest)).all() == []


def test_a_key_older_than_a_day_starts_a_new_request(client: TestClient, engine) -> None:
    post_json(client, "old")
    with Session(engine) as change:
        record = change.exec(select(IdempotentRequest)).one()
        record.created_at = utcnow() - timedelta(hours=25)
        change.add(record)
        change.commit()

    again = post_json(client, "old")

    assert "idempotent-replayed" not in again.headers
    assert again.json()["skipped"] == 2  # ran again: the leads were already there
    with Session(engine) as check:
        assert len(check.exec(select(IdempotentRequest)).all()) == 1  # the old one replaced


def test_two_requests_racing_with_one_key_import_once(client: TestClient, engine) -> None:
    """Sent at the same moment (a client's timeout and retry): one import commits, the
    other is rolled back and answers the first one's response."""
    body = {"campaignId": "cmp_123", "leads": [{"email": f"p{i}@x.io"} for i in range(3000)]}
    barrier = threading.Barrier(2)
    responses = []

    def send() -> None:
        barrier.wait()
        responses.append(post_json(client, "race", body))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert [r.status_code for r in responses] == [200, 200]
    assert responses[0].content == responses[1].content
    assert responses[0].json()["imported"] == 3000
    assert counts(engine) == (3000, 1)
