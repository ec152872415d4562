"""``PATCH /v1/leads`` (one result per lead, the others changed whatever one's fate) and
``GET /v1/leads/export.csv`` (the list's leads, as the dashboard's CSV, streamed)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from leads_core.files import export
from leads_core.services import campaigns, queries
from leads_core.services.filtering import LeadFilters

pytestmark = pytest.mark.usefixtures("campaign")


def _import(client: TestClient, people: list[dict[str, Any]]) -> list[str]:
    response = client.post("/v1/leads", json={"campaignId": "cmp_123", "leads": people})
    assert response.status_code == 200, response.text
    return [lead["id"] for lead in response.json()["leads"]]


def _people(count: int) -> list[dict[str, Any]]:
    return [
        {
            "firstName": f"Bo{n}",
            "email": f"bo{n}@bulk.test",
            "position": "CTO",
            "source": "linkedin",
        }
        for n in range(count)
    ]


# ------------------------------------------------------------------ PATCH /v1/leads


def test_bulk_patch_applies_the_good_ids_and_reports_the_others(client: TestClient) -> None:
    good, stale, taken, dup1, fresh = _import(client, _people(5))
    version = client.get(f"/v1/leads/{stale}").headers["ETag"]
    client.patch(f"/v1/leads/{stale}", json={"company": "Moved On"})  # now a version later
    fresh_tag = client.get(f"/v1/leads/{fresh}").headers["ETag"]

    response = client.patch(
        "/v1/leads",
        json={
            "ids": [good, "lead_missing", stale, fresh],
            "changes": {"status": "qualified", "company": "Acme"},
            "ifMatch": {stale: version, fresh: fresh_tag},
        },
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert [(r["id"], r["status"]) for r in body["results"]] == [
        (good, 200),
        ("lead_missing", 404),
        (stale, 412),
        (fresh, 200),
    ]
    assert (body["updated"], body["failed"]) == (2, 2)
    ok = body["results"][0]
    assert (ok["lead"]["status"], ok["lead"]["company"], ok["error"]) == ("qualified", "Acme", None)
    assert ok["etag"] == client.get(f"/v1/leads/{good}").headers["ETag"]
    assert body["results"][1]["error"]["code"] == "not_found"
    assert body["results"][2]["error"]["code"] == "precondition_failed"
    assert body["results"][2]["lead"] is None
    assert client.get(f"/v1/leads/{stale}").json()["company"] == "Moved On"
    assert client.get(f"/v1/leads/{fresh}").json()["status"] == "qualified"
    # history, as for one lead's PATCH
    kinds = [(a["kind"], a["field"]) for a in client.get(f"/v1/leads/{good}/activity").json()]
    assert ("status_change", "status") in kinds and ("field_change", "company") in kinds
    assert client.get(f"/v1/leads/{taken}").json()["status"] == "new"  # not named
    assert dup1


def test_a_duplicate_email_fails_its_lead_only(client: TestClient) -> None:
    first, second, third = _import(client, _people(3))

    response = client.patch(
        "/v1/leads",
        json={"ids": [first, second, third], "changes": {"email": "same@bulk.test"}},
    )

    body = response.json()
    assert [r["status"] for r in body["results"]] == [200, 409, 409]
    assert body["results"][1]["error"]["code"] == "conflict"
    assert body["results"][1]["error"]["details"][0]["field"] == "email"
    assert client.get(f"/v1/leads/{first}").json()["email"] == "same@bulk.test"
    assert client.get(f"/v1/leads/{second}").json()["email"] == "bo1@bulk.test"
    assert (body["updated"], body["failed"]) == (1, 2)


def test_a_change_one_lead_cannot_take_is_its_422(client: TestClient) -> None:
    with_linkedin = _import(
        client, [{"email": "li@bulk.test", "linkedinUrl": "https://linkedin.com/in/li"}]
    )[0]
    email_only = _import(client, [{"email": "only@bulk.test"}])[0]

    body = client.patch(
        "/v1/leads", json={"ids": [with_linkedin, email_only], "changes": {"email": None}}
    ).json()

    assert [r["status"] for r in body["results"]] == [200, 422]
    assert client.get(f"/v1/leads/{email_only}").json()["email"] == "only@bulk.test"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ids": ["lead_a"], "changes": {"email": "not an email"}}, "email"),
        ({"ids": ["lead_a"], "changes": {"status": None}}, "status"),
        ({"ids": ["lead_a"], "changes": {"status": "bogus"}}, "status"),
        ({"ids": ["lead_a"], "changes": {"ownerId": "usr_nobody"}}, "ownerId"),
        ({"ids": ["lead_a"], "changes": {"nope": 1}}, "nope"),
        ({"ids": [], "changes": {"status": "new"}}, "ids"),
        ({"ids": [f"lead_{n}" for n in range(501)], "changes": {"status": "new"}}, "ids"),
        ({"ids": ["lead_a", "lead_a"], "changes": {"status": "new"}}, "ids"),
        ({"ids": ["lead_a"], "changes": {}, "ifMatch": {"lead_a": "W/x"}}, "ifMatch"),
        (
            {"ids": ["lead_a"], "changes": {"status": "new"}, "ifMatch": {"lead_b": '"1"'}},
            "ifMatch",
        ),
    ],
)
def test_bad_changes_refuse_the_whole_request(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    lead_id = _import(client, _people(1))[0]
    body = {**body, "ids": [lead_id if i == "lead_a" else i for i in body["ids"]]}

    response = client.patch("/v1/leads", json=body)

    assert response.status_code == 422, response.text
    fields = [d.get("field", "") for d in response.json()["error"]["details"]]
    assert any(f.split(".")[0] == field or f == f"changes.{field}" for f in fields), fields
    assert client.get(f"/v1/leads/{lead_id}").json()["version"] == 1  # nothing changed


def test_500_ids_are_taken(client: TestClient) -> None:
    ids = _import(client, _people(3))
    body = {"ids": [*ids, *(f"lead_x{n}" for n in range(497))], "changes": {"status": "replied"}}

    answer = client.patch("/v1/leads", json=body).json()

    assert (answer["updated"], answer["failed"], len(answer["results"])) == (3, 497, 500)


# ------------------------------------------------------------------ export.csv


def _rows(response: Any) -> list[dict[str, str]]:
    text = response.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_export_csv_is_the_filtered_list_with_neutralized_cells(
    client: TestClient, session: Session
) -> None:
    ids = _import(
        client,
        [
            {
                "firstName": "=cmd|' /C calc'!A0",
                "email": "evil@x.test",
                "attributes": {"Tier": "@1"},
            },
            {"firstName": "Plain", "email": "plain@x.test", "notes": "+33 1 23"},
            {"firstName": "Other", "email": "other@x.test"},
        ],
    )
    client.patch(f"/v1/leads/{ids[2]}", json={"status": "rejected"})
    params = {"status": "new", "sort": "firstName"}

    response = client.get("/v1/leads/export.csv", params=params)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="leads-') and disposition.endswith('.csv"')
    assert "content-length" not in response.headers  # streamed, not built whole
    rows = _rows(response)
    listed = client.get("/v1/leads", params=params).json()["leads"]
    assert [row["id"] for row in rows] == [lead["id"] for lead in listed]
    assert [row["firstName"] for row in rows] == ["'=cmd|' /C calc'!A0", "Plain"]
    assert rows[0]["Tier"] == "'@1" and rows[1]["Tier"] == ""
    assert rows[1]["notes"] == "'+33 1 23"
    assert rows[0]["Campaign"] == "Q1 CTO outreach"
    # byte for byte the dashboard's export of the same leads
    filters = LeadFilters(statuses=("new",))
    dashboard = export.leads_csv_bytes(
        queries.iter_leads(session, filters=filters, sort="firstName"),
        campaign_names=campaigns.names(session),
    )
    assert response.content == dashboard


def test_export_csv_is_not_a_lead_id_and_checks_its_filters_first(client: TestClient) -> None:
    _import(client, _people(2))
    assert len(_rows(client.get("/v1/leads/export.csv"))) == 2
    missing = client.get("/v1/leads/export.csv", params={"campaignId": "cmp_nope"})
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    bad_sort = client.get("/v1/leads/export.csv", params={"sort": "password"})
    assert (bad_sort.status_code, bad_sort.json()["error"]["details"][0]["field"]) == (422, "sort")
    empty = client.get("/v1/leads/export.csv", params={"status": "converted"})
    assert empty.content.decode("utf-8-sig").startswith('"id","campaignId","Campaign"')
    assert _rows(empty) == []


def test_the_csv_stream_makes_chunks_as_leads_come(client: TestClient, session: Session) -> None:
    _import(client, _people(40))
    leads = queries.iter_leads(session, filters=LeadFilters())
    taken: list[Any] = []

    def counted() -> Any:
        for lead in leads:
            taken.append(lead)
            yield lead

    stream = export.stream_leads_csv(counted(), attribute_keys=[], campaign_names={}, chunk=1000)
    first = next(stream)
    assert len(taken) < 40  # the first chunk went out before the last lead was read
    rest = b"".join(stream)
    assert len(taken) == 40
    assert (first + rest).decode("utf-8").count("\r\n") == 41
