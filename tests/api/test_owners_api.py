"""``ownerId`` through /v1: returned by every lead endpoint, set by PATCH and by both
imports (one owner or in turn), filtered with ``ownerId=me|none|usr_...``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from leads_core.services import apikeys, users
from leads_core.storage.models import ImportBatch, Lead, User

pytestmark = pytest.mark.usefixtures("campaign")


@pytest.fixture
def ann(session: Session) -> User:
    return users.create_user(session, email="ann@acme.com", name="Ann Lee", role="member")


@pytest.fixture
def bob(session: Session) -> User:
    return users.create_user(session, email="bob@acme.com", name="Bob Roy", role="member")


def key_of(session: Session, user: User) -> dict[str, str]:
    _key, plain = apikeys.create_api_key(session, name="laptop", user_id=user.id)
    return {"Authorization": f"Bearer {plain}"}


def people(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {"firstName": f"P{i}", "email": f"p{i}@corp{i}.io"} for i in range(start, start + count)
    ]


def owners_by_email(session: Session) -> dict[str, str | None]:
    session.expire_all()
    return dict(session.exec(select(Lead.email, Lead.owner_id)).all())


def test_every_lead_endpoint_returns_the_owner(
    client: TestClient, session: Session, ann: User
) -> None:
    body = {"campaignId": "cmp_123", "leads": people(1), "ownerId": ann.id}
    imported = client.post("/v1/leads", json=body).json()
    lead_id = imported["leads"][0]["id"]
    assert client.get("/v1/leads").json()["leads"][0]["ownerId"] == ann.id
    assert client.get(f"/v1/leads/{lead_id}").json()["ownerId"] == ann.id
    patched = client.patch(f"/v1/leads/{lead_id}", json={"ownerId": None})
    assert patched.status_code == 200
    assert patched.json()["ownerId"] is None


def test_patch_sets_the_owner_and_the_history_names_who_did_it(
    client: TestClient, session: Session, ann: User, bob: User
) -> None:
    lead_id = client.post("/v1/leads", json={"campaignId": "cmp_123", "leads": people(1)}).json()[
        "leads"
    ][0]["id"]
    response = client.patch(
        f"/v1/leads/{lead_id}", json={"ownerId": bob.id}, headers=key_of(session, ann)
    )
    assert response.status_code == 200
    assert (response.json()["ownerId"], response.json()["version"]) == (bob.id, 2)
    assert response.headers["ETag"] == '"2"'
    history = client.get(f"/v1/leads/{lead_id}/activity").json()
    change = history[-1]
    assert {k: change[k] for k in ("kind", "field", "oldValue", "newValue", "actor")} == {
        "kind": "field_change",
        "field": "ownerId",
        "oldValue": None,
        "newValue": bob.id,
        "actor": "Ann Lee <ann@acme.com> via API key 'laptop'",
    }


def test_patch_refuses_an_unknown_or_disabled_owner(
    client: TestClient, session: Session, ann: User
) -> None:
    lead_id = client.post("/v1/leads", json={"campaignId": "cmp_123", "leads": people(1)}).json()[
        "leads"
    ][0]["id"]
    users.update_user(session, ann.id, users.UserChanges(disabled=True))
    for owner in ("usr_nobody", ann.id):
        response = client.patch(f"/v1/leads/{lead_id}", json={"ownerId": owner})
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert error["details"][0]["field"] == "ownerId"
        assert owner in error["message"]
    assert client.get(f"/v1/leads/{lead_id}").json()["version"] == 1


def test_the_list_filters_by_me_none_and_a_user_id(
    client: TestClient, session: Session, ann: User, bob: User
) -> None:
    for owner, batch in ((ann.id, people(3)), (bob.id, people(1, 3)), (None, people(2, 4))):
        body = {"campaignId": "cmp_123", "leads": batch, "ownerId": owner}
        assert client.post("/v1/leads", json=body).json()["imported"] == len(batch)

    def emails(query: str, headers: dict[str, str] | None = None) -> tuple[int, list[str]]:
        response = client.get(f"/v1/leads?sort=email&{query}", headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        return body["total"], [lead["email"] for lead in body["leads"]]

    assert emails("ownerId=me", key_of(session, ann)) == (
        3,
        ["p0@corp0.io", "p1@corp1.io", "p2@corp2.io"],
    )
    assert emails("ownerId=me", key_of(session, bob)) == (1, ["p3@corp3.io"])
    assert emails(f"ownerId={bob.id}") == (1, ["p3@corp3.io"])
    assert emails("ownerId=none") == (2, ["p4@corp4.io", "p5@corp5.io"])
    assert emails("ownerId=none&q=p5") == (1, ["p5@corp5.io"])
    assert emails("ownerId=me") == (0, [])  # the system account owns no lead
    assert emails("ownerId=") == (6, emails("")[1])


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("usr_gone", "no user with id 'usr_gone'"),
        ("bob", "'bob' is not me, none or a user id"),
        ("me," + ",".join(f"usr_{n}" for n in range(50)), "at most 50 values, not 51"),
    ],
)
def test_a_bad_owner_filter_is_a_422_naming_owner_id(
    client: TestClient, value: str, message: str
) -> None:
    response = client.get("/v1/leads", params={"ownerId": value})
    assert response.status_code == 422
    error = response.json()["error"]
    assert message in error["message"]
    assert error["details"][0]["field"] == "ownerId"


def test_json_import_shares_new_leads_out_in_turn(
    client: TestClient, session: Session, ann: User, bob: User
) -> None:
    body = {"campaignId": "cmp_123", "leads": people(5), "ownerId": [ann.id, bob.id]}
    assert client.post("/v1/leads", json=body).json()["imported"] == 5
    owners = owners_by_email(session)
    assert [owners[f"p{i}@corp{i}.io"] for i in range(5)] == [
        ann.id,
        bob.id,
        ann.id,
        bob.id,
        ann.id,
    ]


def test_csv_import_takes_one_owner_or_several_comma_separated(
    client: TestClient, session: Session, ann: User, bob: User
) -> None:
    lines = ["firstName,email"] + [f"P{i},p{i}@corp{i}.io" for i in range(5)]
    csv = ("\n".join(lines) + "\n").encode()

    def upload(owner: str, **query: str) -> dict[str, Any]:
        response = client.post(
            "/v1/leads/import/csv",
            params=query,
            data={"campaignId": "cmp_123", "ownerId": owner},
            files={"file": ("leads.csv", csv, "text/csv")},
        )
        assert response.status_code == 200, response.text
        return response.json()

    assert upload(f"{ann.id}, {bob.id}", dryRun="true")["imported"] == 5
    assert owners_by_email(session) == {}  # a dry run writes nothing
    assert upload(f"{ann.id}, {bob.id}")["imported"] == 5
    owners = owners_by_email(session)
    assert [owners[f"p{i}@corp{i}.io"] for i in range(5)] == [
        ann.id,
        bob.id,
        ann.id,
        bob.id,
        ann.id,
    ]
    client.delete(f"/v1/leads/{client.get('/v1/leads?ownerId=' + ann.id).json()['leads'][0]['id']}")
    assert upload(bob.id)["imported"] == 1
    assert list(owners_by_email(session).values()).count(bob.id) == 3


@pytest.mark.parametrize("route", ["json", "csv"])
def test_an_unknown_owner_stops_an_import_before_any_work(
    client: TestClient, session: Session, ann: User, route: str
) -> None:
    if route == "json":
        body = {"campaignId": "cmp_123", "leads": people(2), "ownerId": [ann.id, "usr_gone"]}
        response = client.post("/v1/leads", json=body)
    else:
        response = client.post(
            "/v1/leads/import/csv",
            data={"campaignId": "cmp_123", "ownerId": f"{ann.id},usr_gone"},
            files={"file": ("leads.csv", b"email\na@b.io\n", "text/csv")},
        )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "ownerId"
    assert "usr_gone" in response.json()["error"]["message"]
    assert session.exec(select(Lead.id)).all() == []
    assert session.exec(select(ImportBatch.id)).all() == []


def test_an_idempotent_import_without_an_owner_keeps_its_fingerprint(
    client: TestClient, ann: User
) -> None:
    body = {"campaignId": "cmp_123", "leads": people(1)}
    headers = {"Idempotency-Key": "owners-1"}
    first = client.post("/v1/leads", json=body, headers=headers)
    again = client.post("/v1/leads", json={**body, "ownerId": None}, headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert json.loads(again.content) == first.json()
    other = client.post("/v1/leads", json={**body, "ownerId": ann.id}, headers=headers)
    assert other.status_code == 422
