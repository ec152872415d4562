"""An email, a web site and a LinkedIn link that are not one: refused by PATCH (422 naming
the field), kept out of the field by an import (in the lead's attributes, with a warning
for the row) - ``leads_core.validation``, declared per field in ``leads_core.fields``."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from leads_core.storage.models import Lead

pytestmark = pytest.mark.usefixtures("campaign")

MARIE = {
    "firstName": "Marie",
    "email": "marie@techcorp.com",
    "linkedinUrl": "https://www.linkedin.com/in/marie",
    "website": "https://techcorp.com",
}
BAD = [
    ("email", "lena at greenfield", "is not a valid email address"),
    ("email", "deanna@@betazed", "is not a valid email address"),
    ("website", "not a url", "is not an http(s) web address"),
    ("website", "javascript:alert(2)", "is not an http(s) web address"),
    ("linkedinUrl", "not a url", "is not a linkedin.com address"),
    ("linkedinUrl", "javascript:alert(2)", "is not a linkedin.com address"),
    ("linkedinUrl", "https://evil.example/linkedin.com/in/x", "is not a linkedin.com address"),
]


def _import(client: TestClient, leads: list[dict]) -> dict:
    response = client.post("/v1/leads", json={"campaignId": "cmp_123", "leads": leads})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(("field", "value", "problem"), BAD)
def test_patch_refuses_a_value_that_is_not_one(
    client: TestClient, field: str, value: str, problem: str
) -> None:
    lead_id = _import(client, [MARIE])["leads"][0]["id"]
    response = client.patch(f"/v1/leads/{lead_id}", json={field: value})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"] == [
        {"field": field, "location": "body", "message": f"{value!r} {problem}"}
    ]
    assert client.get(f"/v1/leads/{lead_id}").json()[field] == MARIE[field]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "ops@acme.internal"),
        ("email", "jo@example.test"),
        ("website", "acme.com"),
        ("website", "http://acme.com:8080/about?x=1"),
        ("linkedinUrl", "https://fr.linkedin.com/in/marie"),
        ("linkedinUrl", "linkedin.com/in/marie"),
    ],
)
def test_patch_takes_a_value_that_is_one(client: TestClient, field: str, value: str) -> None:
    lead_id = _import(client, [MARIE])["leads"][0]["id"]
    response = client.patch(f"/v1/leads/{lead_id}", json={field: value})
    assert response.status_code == 200, response.text
    assert response.json()[field] == value


def test_a_stored_bad_value_does_not_block_editing_another_field(
    client: TestClient, session: Session
) -> None:
    lead_id = _import(client, [MARIE])["leads"][0]["id"]
    lead = session.get(Lead, lead_id)
    lead.website = "not a url"  # stored before the rule existed
    session.add(lead)
    session.commit()
    response = client.patch(f"/v1/leads/{lead_id}", json={"company": "TechCorp"})
    assert response.status_code == 200, response.text
    assert (response.json()["company"], response.json()["website"]) == ("TechCorp", "not a url")


def test_json_import_keeps_a_bad_value_in_the_attributes_and_warns(client: TestClient) -> None:
    rows = [
        {**MARIE, "email": "lena at greenfield", "website": "javascript:alert(2)"},
        {"firstName": "Deanna", "email": "deanna@@betazed"},  # nothing else to know her by
    ]
    body = _import(client, rows)
    assert (body["imported"], body["skipped"], body["errors"]) == (2, 0, [])
    assert body["warnings"] == [
        {
            "row": 1,
            "field": "email",
            "message": "'lena at greenfield' is not a valid email address: kept in the lead's "
            "attributes as 'Email'",
        },
        {
            "row": 1,
            "field": "website",
            "message": "'javascript:alert(2)' is not an http(s) web address: kept in the "
            "lead's attributes as 'Website'",
        },
        {
            "row": 2,
            "field": "email",
            "message": "'deanna@@betazed' is not a valid email address: kept in the lead's "
            "attributes as 'Email'",
        },
    ]
    marie, deanna = (client.get(f"/v1/leads/{lead['id']}").json() for lead in body["leads"])
    assert (marie["email"], marie["website"]) == (None, None)
    assert marie["linkedinUrl"] == MARIE["linkedinUrl"]
    assert marie["attributes"] == {"Email": "lena at greenfield", "Website": "javascript:alert(2)"}
    assert marie["enrichment"]["emailStatus"] == "missing"  # scored as a lead without email
    assert (deanna["email"], deanna["attributes"]) == (None, {"Email": "deanna@@betazed"})

    # Importing the file again finds both (keyed by the values as written) ...
    again = _import(client, rows)
    assert (again["imported"], again["skipped"]) == (0, 2)
    # ... and a lead known by nothing else can still be edited.
    edited = client.patch(f"/v1/leads/{deanna['id']}", json={"company": "Betazed"})
    assert edited.status_code == 200, edited.text
    assert edited.json()["company"] == "Betazed"


def test_csv_import_keeps_a_bad_value_under_its_column_header(client: TestClient) -> None:
    csv = (
        "First Name,E-mail,Company Website,LinkedIn Profile\n"
        "Lena,lena at greenfield,not a url,https://www.linkedin.com/in/lena\n"
        "Jo,jo@greenfield.io,https://greenfield.io,javascript:alert(2)\n"
    )
    response = client.post(
        "/v1/leads/import/csv",
        files={"file": ("leads.csv", csv.encode(), "text/csv")},
        data={"campaignId": "cmp_123"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["imported"], body["errors"]) == (2, [])
    assert [(w["row"], w["field"]) for w in body["warnings"]] == [
        (2, "email"),
        (2, "website"),
        (3, "linkedinUrl"),
    ]
    assert body["warnings"][2]["message"].endswith(
        "kept in the lead's attributes as 'LinkedIn Profile'"
    )
    lena, jo = (client.get(f"/v1/leads/{lead['id']}").json() for lead in body["leads"])
    assert lena["attributes"] == {"E-mail": "lena at greenfield", "Company Website": "not a url"}
    assert (lena["email"], lena["website"]) == (None, None)
    assert jo["attributes"] == {"LinkedIn Profile": "javascript:alert(2)"}
    assert (jo["email"], jo["linkedinUrl"]) == ("jo@greenfield.io", None)
