"""/v1/webhooks: admins manage endpoints; the secret is shown on creation and rotation only.
Hosts are IP literals or names of the fake resolver: nothing is looked up, nothing sent."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.applications import Starlette

from leads_core.api import create_api
from leads_core.api.serving import mount_api
from leads_core.api.webhooks import url_resolver
from leads_core.clock import utcnow
from leads_core.config import Settings
from leads_core.services import apikeys, users
from leads_core.storage.webhook_models import WebhookAttempt, WebhookDelivery, WebhookEvent
from leads_core.webhooks import outbox
from tests.support.fake_dns import fake_resolve

NEW = {
    "url": "https://hooks.example.com/leads",
    "events": ["lead.created", "lead.status_changed"],
    "description": "CRM sync",
}


def client_for(engine: Engine, settings: Settings, key: str) -> TestClient:
    api = create_api(engine, settings)
    api.dependency_overrides[url_resolver] = lambda: fake_resolve
    client = TestClient(Starlette(routes=[mount_api("/v1", api)]))
    client.headers["Authorization"] = f"Bearer {key}"
    return client


@pytest.fixture
def admin(engine: Engine, settings: Settings, api_key: str) -> Iterator[TestClient]:
    """The system account's key (admin rights)."""
    with client_for(engine, settings, api_key) as client:
        yield client


def error(response, status: int) -> dict:
    assert response.status_code == status, response.text
    return response.json()["error"]


def created(client: TestClient, **changes: object) -> dict:
    response = client.post("/v1/webhooks", json={**NEW, **changes})
    assert response.status_code == 201, response.text
    return response.json()


def test_create_answers_the_endpoint_with_its_secret_once(admin: TestClient) -> None:
    body = created(admin)

    assert body["id"].startswith("whk_") and body["secret"].startswith("whsec_")
    assert {k: body[k] for k in ("url", "events", "description", "enabled", "createdBy")} == {
        **NEW,
        "enabled": True,
        "createdBy": "api:tests",
    }
    assert body["createdAt"].endswith("Z") and body["disabledReason"] is None
    listed = admin.get("/v1/webhooks").json()
    assert listed["total"] == 1 and listed["webhooks"][0]["id"] == body["id"]
    one = admin.get(f"/v1/webhooks/{body['id']}").json()
    assert "secret" not in listed["webhooks"][0] and "secret" not in one
    assert body["secret"] not in admin.get("/v1/webhooks").text


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:8000/hook", "127.0.0.1 is a loopback address"),
        ("https://intranet.example.com/", "is a private address"),
        ("http://169.254.169.254/", "metadata"),
        ("ftp://hooks.example.com/", "https:// or http://"),
    ],
)
def test_a_refused_url_is_a_422_naming_url(admin: TestClient, url: str, reason: str) -> None:
    refused = error(admin.post("/v1/webhooks", json={**NEW, "url": url}), 422)

    assert refused["code"] == "validation_error" and reason in refused["message"]
    assert refused["details"][0]["field"] == "url"
    assert admin.get("/v1/webhooks").json()["total"] == 0


def test_loopback_is_allowed_with_allow_private(
    engine: Engine, settings: Settings, api_key: str
) -> None:
    local = replace(settings, webhooks_allow_private=True)
    with client_for(engine, local, api_key) as client:
        hook = created(client, url="http://127.0.0.1:9/hook")
    assert hook["url"] == "http://127.0.0.1:9/hook"


@pytest.mark.parametrize("events", [[], ["lead.exploded"], ["webhook.test"], "lead.created", None])
def test_events_must_be_known_and_at_least_one(admin: TestClient, events: object) -> None:
    refused = error(admin.post("/v1/webhooks", json={**NEW, "events": events}), 422)

    assert refused["details"][0]["field"].startswith("events")


def test_patch_disables_with_who_and_enables_again(admin: TestClient, session: Session) -> None:
    hook = created(admin)
    url = f"/v1/webhooks/{hook['id']}"

    off = admin.patch(url, json={"enabled": False}).json()
    assert (off["enabled"], off["disabledReason"]) == (False, "Disabled by api:tests")
    on = admin.patch(url, json={"enabled": True, "events": ["import.completed"]}).json()
    assert (on["enabled"], on["disabledReason"], on["events"]) == (True, None, ["import.completed"])
    refused = error(admin.patch(url, json={"url": "http://10.0.0.1/"}), 422)
    assert refused["details"][0]["field"] == "url"
    assert error(admin.patch(url, json={"enabled": None}), 422)["details"][0]["field"] == "enabled"
    assert error(admin.patch(url, json={"secret": "whsec_x"}), 422)["details"][0]["field"] == (
        "secret"
    )


def test_unknown_endpoints_are_404(admin: TestClient) -> None:
    for method, path in [
        ("GET", "/v1/webhooks/whk_nope"),
        ("PATCH", "/v1/webhooks/whk_nope"),
        ("DELETE", "/v1/webhooks/whk_nope"),
        ("GET", "/v1/webhooks/whk_nope/deliveries"),
        ("POST", "/v1/webhooks/whk_nope/test"),
        ("POST", "/v1/webhooks/whk_nope/rotate-secret"),
        ("POST", "/v1/webhooks/whk_nope/deliveries/1/resend"),
    ]:
        body = {} if method in ("PATCH", "POST") else None
        assert error(admin.request(method, path, json=body), 404)["code"] == "not_found"


def test_rotate_answers_a_new_secret_and_the_overlap(admin: TestClient) -> None:
    hook = created(admin)

    rotated = admin.post(f"/v1/webhooks/{hook['id']}/rotate-secret", json={"overlapHours": 2})

    assert rotated.status_code == 200, rotated.text
    body = rotated.json()
    assert body["secret"].startswith("whsec_") and body["secret"] != hook["secret"]
    assert body["previousSecretUntil"] is not None
    default = admin.post(f"/v1/webhooks/{hook['id']}/rotate-secret", json={}).json()
    assert default["secret"] != body["secret"]
    whole = admin.post(f"/v1/webhooks/{hook['id']}/rotate-secret", json={"overlapHours": 3.0})
    assert whole.status_code == 200, whole.text
    for wrong in (169, -1, True, "24", 2.5):
        refused = admin.post(
            f"/v1/webhooks/{hook['id']}/rotate-secret", json={"overlapHours": wrong}
        )
        assert error(refused, 422)["details"][0]["field"] == "overlapHours"


def test_test_event_is_queued_for_the_endpoint_alone(admin: TestClient, session: Session) -> None:
    hook = created(admin)

    queued = admin.post(f"/v1/webhooks/{hook['id']}/test")

    assert queued.status_code == 202, queued.text
    event = session.exec(select(WebhookEvent)).one()
    assert (queued.json()["eventId"], event.type, event.endpoint_id) == (
        event.id,
        "webhook.test",
        hook["id"],
    )
    admin.patch(f"/v1/webhooks/{hook['id']}", json={"enabled": False})
    assert error(admin.post(f"/v1/webhooks/{hook['id']}/test"), 409)["code"] == "conflict"


def test_deliveries_and_resend(admin: TestClient, session: Session) -> None:
    hook = created(admin)
    event = outbox.emit(session, "lead.created", {"leads": []})
    session.flush()
    delivery = WebhookDelivery(endpoint_id=hook["id"], event_seq=event.seq, state="failed")
    session.add(delivery)
    session.flush()
    session.add(
        WebhookAttempt(
            delivery_seq=delivery.seq,
            endpoint_id=hook["id"],
            attempt=1,
            attempted_at=utcnow() - timedelta(minutes=1),
            status_code=503,
            duration_ms=20.0,
            error="503 Service Unavailable",
        )
    )
    session.commit()

    listed = admin.get(f"/v1/webhooks/{hook['id']}/deliveries").json()["deliveries"]
    assert [(d["deliveryId"], d["attempt"], d["statusCode"], d["state"]) for d in listed] == [
        (delivery.seq, 1, 503, "failed")
    ]
    assert listed[0]["eventId"] == event.id and listed[0]["error"] == "503 Service Unavailable"

    again = admin.post(f"/v1/webhooks/{hook['id']}/deliveries/{delivery.seq}/resend")
    assert again.status_code == 202, again.text
    assert again.json()["eventId"] == event.id
    listed = admin.get(f"/v1/webhooks/{hook['id']}/deliveries", params={"limit": 1}).json()
    assert [(d["deliveryId"], d["attempt"], d["state"]) for d in listed["deliveries"]] == [
        (again.json()["deliveryId"], None, "pending")
    ]
    huge = admin.post(f"/v1/webhooks/{hook['id']}/deliveries/{2**63}/resend")
    assert error(huge, 422)["details"][0]["field"] == "delivery_id"


def test_delete_is_204_and_gone(admin: TestClient) -> None:
    hook = created(admin)

    assert admin.delete(f"/v1/webhooks/{hook['id']}").status_code == 204
    assert error(admin.get(f"/v1/webhooks/{hook['id']}"), 404)["code"] == "not_found"


def test_a_member_may_not_even_read_them(
    engine: Engine, settings: Settings, session: Session, admin: TestClient
) -> None:
    created(admin)
    member = users.create_user(session, email="max@acme.test", name="Max", role="member")
    _key, plain = apikeys.create_api_key(session, name="max", user_id=member.id)

    with client_for(engine, settings, plain) as client:
        assert error(client.get("/v1/webhooks"), 403)["code"] == "forbidden"
        assert error(client.post("/v1/webhooks", json=NEW), 403)["code"] == "forbidden"
