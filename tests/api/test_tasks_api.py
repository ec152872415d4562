"""/v1 follow-ups: tasks on a lead, the task list, PATCH with If-Match, typed activities."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from leads_core.clock import iso_utc
from leads_core.services import apikeys, users
from leads_core.storage.models import User

pytestmark = pytest.mark.usefixtures("campaign")

SOON = "2099-01-02T09:30:00Z"
LATER = "2099-01-09T09:30:00Z"


def new_lead(client: TestClient, email: str = "marie@techcorp.com") -> str:
    response = client.post("/v1/leads", json={"campaignId": "cmp_123", "leads": [{"email": email}]})
    return response.json()["leads"][0]["id"]


def error(response, status: int) -> dict:
    assert response.status_code == status, response.text
    return response.json()["error"]


@pytest.fixture
def ann(session: Session) -> User:
    return users.create_user(session, email="ann@acme.io", name="Ann Lee", role="member")


@pytest.fixture
def as_ann(client: TestClient, session: Session, ann: User) -> TestClient:
    """The client, now with a key acting as Ann (a member)."""
    _key, plain = apikeys.create_api_key(session, name="ann's", user_id=ann.id)
    client.headers["Authorization"] = f"Bearer {plain}"
    return client


def test_create_and_list_a_leads_tasks(client: TestClient, ann: User) -> None:
    lead_id = new_lead(client)

    created = client.post(
        f"/v1/leads/{lead_id}/tasks",
        json={"title": "Call back", "dueAt": SOON, "ownerId": ann.id},
    )

    assert created.status_code == 201, created.text
    body = created.json()
    assert created.headers["etag"] == '"1"'
    assert {k: body[k] for k in ("leadId", "title", "dueAt", "ownerId", "done", "doneAt")} == {
        "leadId": lead_id,
        "title": "Call back",
        "dueAt": SOON,
        "ownerId": ann.id,
        "done": False,
        "doneAt": None,
    }
    assert (body["createdBy"], body["version"]) == ("api:tests", 1)
    listed = client.get(f"/v1/leads/{lead_id}/tasks")
    assert listed.status_code == 200
    assert listed.json() == [body]
    history = client.get(f"/v1/leads/{lead_id}/activity").json()
    assert [(e["kind"], e["newValue"], e["actor"]) for e in history][1:] == [
        ("task", "Task added: “Call back”, due 2099-01-02 09:30 UTC, for Ann Lee", "api:tests")
    ]


def test_a_users_key_owns_the_task_it_creates_unless_told(as_ann: TestClient, ann: User) -> None:
    lead_id = new_lead(as_ann)

    mine = as_ann.post(f"/v1/leads/{lead_id}/tasks", json={"title": "a", "dueAt": SOON})
    nobodys = as_ann.post(
        f"/v1/leads/{lead_id}/tasks", json={"title": "b", "dueAt": SOON, "ownerId": None}
    )

    assert (mine.json()["ownerId"], nobodys.json()["ownerId"]) == (ann.id, None)
    assert mine.json()["createdBy"] == "Ann Lee <ann@acme.io> via API key 'ann's'"


def test_tasks_of_a_missing_lead_are_404(client: TestClient) -> None:
    lead_id = new_lead(client)
    assert client.delete(f"/v1/leads/{lead_id}").status_code == 204

    refused = client.post(f"/v1/leads/{lead_id}/tasks", json={"title": "Call", "dueAt": SOON})

    assert error(refused, 404)["code"] == "not_found"
    assert error(client.get(f"/v1/leads/{lead_id}/tasks"), 404)["code"] == "not_found"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "Call", "dueAt": SOON, "ownerId": "usr_nobody"}, "ownerId"),
        ({"title": "", "dueAt": SOON}, "title"),
        ({"title": "Call"}, "dueAt"),
        ({"title": "Call", "dueAt": "soon"}, "dueAt"),
        ({"title": "Call", "dueAt": SOON, "done": True}, "done"),
    ],
)
def test_bad_tasks_are_422_naming_the_field(client: TestClient, body: dict, field: str) -> None:
    lead_id = new_lead(client)

    refused = error(client.post(f"/v1/leads/{lead_id}/tasks", json=body), 422)

    assert refused["code"] == "validation_error"
    assert refused["details"][0]["field"] == field
    assert client.get(f"/v1/leads/{lead_id}/tasks").json() == []


def test_patch_marks_done_with_if_match_and_refuses_a_stale_version(client: TestClient) -> None:
    lead_id = new_lead(client)
    task = client.post(f"/v1/leads/{lead_id}/tasks", json={"title": "Call", "dueAt": SOON}).json()
    path = f"/v1/tasks/{task['id']}"

    done = client.patch(path, json={"done": True}, headers={"If-Match": '"1"'})

    assert done.status_code == 200, done.text
    assert (done.headers["etag"], done.json()["done"], done.json()["version"]) == ('"2"', True, 2)
    assert done.json()["doneAt"] is not None
    stale = client.patch(path, json={"title": "Call Marie"}, headers={"If-Match": '"1"'})
    assert error(stale, 412)["code"] == "precondition_failed"
    assert error(client.patch(path, json={"done": False}, headers={"If-Match": "W/1"}), 422)[
        "details"
    ] == [{"field": "If-Match", "message": "not an ETag of this API"}]
    moved = client.patch(path, json={"title": "Call Marie", "dueAt": LATER, "done": False})
    assert {k: moved.json()[k] for k in ("title", "dueAt", "done", "doneAt", "version")} == {
        "title": "Call Marie",
        "dueAt": LATER,
        "done": False,
        "doneAt": None,
        "version": 3,
    }
    kinds = [e["newValue"] for e in client.get(f"/v1/leads/{lead_id}/activity").json()]
    assert kinds[-2:] == ["Task done: “Call”", "Task reopened: “Call Marie”"]


def test_patch_errors(client: TestClient) -> None:
    lead_id = new_lead(client)
    task = client.post(f"/v1/leads/{lead_id}/tasks", json={"title": "Call", "dueAt": SOON}).json()
    path = f"/v1/tasks/{task['id']}"

    assert error(client.patch("/v1/tasks/tsk_nope", json={"done": True}), 404)["code"] == (
        "not_found"
    )
    assert (
        error(client.patch(path, json={"ownerId": "usr_nobody"}), 422)["details"][0]["field"]
        == "ownerId"
    )
    assert error(client.patch(path, json={"dueAt": None}), 422)["message"] == (
        "dueAt: cannot be null"
    )
    assert error(client.patch(path, json={"done": "yes"}), 422)["details"][0]["field"] == "done"


def test_list_tasks_filters_and_pages(as_ann: TestClient, ann: User) -> None:
    lead_id = new_lead(as_ann)

    def add(title: str, due: str, **more) -> dict:
        body = {"title": title, "dueAt": due, **more}
        return as_ann.post(f"/v1/leads/{lead_id}/tasks", json=body).json()

    add("Later", LATER)
    add("Soon", SOON)
    add("Nobody's", "2099-01-05T00:00:00Z", ownerId=None)
    done = add("Done", "2099-01-01T00:00:00Z")
    as_ann.patch(f"/v1/tasks/{done['id']}", json={"done": True})

    def titles(**params) -> list[str]:
        response = as_ann.get("/v1/tasks", params=params)
        assert response.status_code == 200, response.text
        return [t["title"] for t in response.json()["tasks"]]

    assert titles() == ["Done", "Soon", "Nobody's", "Later"]
    assert titles(ownerId="me") == ["Done", "Soon", "Later"]
    assert titles(ownerId=ann.id, done="false") == ["Soon", "Later"]
    assert titles(ownerId="none") == ["Nobody's"]
    assert titles(done="true") == ["Done"]
    assert titles(dueBefore="2099-01-05") == ["Done", "Soon"]  # a date: its midnight UTC
    assert titles(dueBefore="2099-01-05T00:00:01+00:00") == ["Done", "Soon", "Nobody's"]
    page = as_ann.get("/v1/tasks", params={"limit": 3, "page": 2}).json()
    assert ([t["title"] for t in page["tasks"]], page["total"], page["page"]) == (["Later"], 4, 2)
    assert page["totalPages"] == 2


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"done": "maybe"}, "done"),
        ({"dueBefore": "tomorrow"}, "dueBefore"),
        ({"dueBefore": "0.5"}, "dueBefore"),
        ({"dueBefore": "0001-01-01T00:00:00+01:00"}, "dueBefore"),
        ({"limit": 201}, "limit"),
        ({"page": 0}, "page"),
    ],
)
def test_list_tasks_bad_query_is_422(client: TestClient, params: dict, field: str) -> None:
    refused = error(client.get("/v1/tasks", params=params), 422)
    assert refused["details"][0]["field"] == field


def test_log_a_typed_activity(client: TestClient) -> None:
    lead_id = new_lead(client)
    at = "2024-05-06T07:08:09Z"

    logged = client.post(
        f"/v1/leads/{lead_id}/activity", json={"type": "meeting", "body": "Demo done", "at": at}
    )
    now_ = client.post(f"/v1/leads/{lead_id}/activity", json={"type": "call", "body": "Voicemail"})

    assert logged.status_code == 201, logged.text
    assert logged.json() == {
        "kind": "meeting",
        "field": None,
        "oldValue": None,
        "newValue": "Demo done",
        "actor": "api:tests",
        "createdAt": at,
    }
    when = datetime.fromisoformat(now_.json()["createdAt"])
    assert abs(when - datetime.now(UTC)) < timedelta(minutes=1)
    history = client.get(f"/v1/leads/{lead_id}/activity").json()
    # In time order: the meeting happened before the lead was created here.
    assert [(e["kind"], e["createdAt"]) for e in history] == [
        ("meeting", at),
        ("created", history[1]["createdAt"]),
        ("call", now_.json()["createdAt"]),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "fax", "body": "x"}, "type"),
        ({"type": "call", "body": "  "}, "body"),
        ({"type": "call"}, "body"),
        ({"type": "call", "body": "x" * 20_001}, "body"),
        ({"type": "call", "body": "x", "at": "last tuesday"}, "at"),
        ({"type": "call", "body": "x", "at": 0}, "at"),
        ({"type": "call", "body": "x", "at": "9999-12-31T23:00:00-05:00"}, "at"),
        ({"type": "call", "body": "x", "kind": "call"}, "kind"),
    ],
)
def test_activity_bad_input_is_422(client: TestClient, body: dict, field: str) -> None:
    lead_id = new_lead(client)
    refused = error(client.post(f"/v1/leads/{lead_id}/activity", json=body), 422)
    assert refused["details"][0]["field"] == field
    assert len(client.get(f"/v1/leads/{lead_id}/activity").json()) == 1  # "created" only


def test_activity_in_the_future_is_422_and_on_a_missing_lead_404(client: TestClient) -> None:
    lead_id = new_lead(client)
    future = iso_utc(datetime.now(UTC) + timedelta(minutes=5))

    refused = error(
        client.post(
            f"/v1/leads/{lead_id}/activity", json={"type": "email", "body": "x", "at": future}
        ),
        422,
    )
    missing = client.post("/v1/leads/lead_nope/activity", json={"type": "email", "body": "x"})

    assert refused["details"] == [{"field": "at", "message": "in the future"}]
    assert error(missing, 404)["code"] == "not_found"


def test_a_read_only_key_reads_tasks_but_writes_none(client: TestClient, session: Session) -> None:
    lead_id = new_lead(client)
    _key, plain = apikeys.create_api_key(session, name="reader", scope="read")
    reader = {"Authorization": f"Bearer {plain}"}

    assert client.get("/v1/tasks", headers=reader).status_code == 200
    assert client.get(f"/v1/leads/{lead_id}/tasks", headers=reader).status_code == 200
    body = {"title": "Call", "dueAt": SOON}
    writes = [
        client.post(f"/v1/leads/{lead_id}/tasks", json=body, headers=reader),
        client.patch("/v1/tasks/tsk_x", json={"done": True}, headers=reader),
        client.post(
            f"/v1/leads/{lead_id}/activity", json={"type": "call", "body": "x"}, headers=reader
        ),
    ]
    assert [error(w, 403)["code"] for w in writes] == ["forbidden"] * 3
    assert client.get(f"/v1/leads/{lead_id}/tasks").json() == []


def test_my_tasks_for_the_system_accounts_key_are_none(client: TestClient) -> None:
    """The system account owns no task: ``ownerId=me`` lists none, as for leads."""
    answer = client.get("/v1/tasks", params={"ownerId": "me"})
    assert answer.status_code == 200
    assert (answer.json()["tasks"], answer.json()["total"]) == ([], 0)
