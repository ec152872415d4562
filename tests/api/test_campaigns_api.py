"""/v1/campaigns: create, list, read, edit, delete and re-score."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from leads_core.storage.models import ImportBatch, Lead, LeadActivity

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
CMP_123 = {
    "id": "cmp_123",
    "name": "Q1 CTO outreach",
    "criteria": {
        "targetPositions": ["CTO", "VP Engineering"],
        "targetSources": ["linkedin", "referral"],
        "requiredFields": [],
    },
}
EMPTY_CRITERIA = {"targetPositions": [], "targetSources": [], "requiredFields": []}


def without_times(campaign: dict) -> dict:
    assert ISO_UTC.match(campaign["createdAt"]) and ISO_UTC.match(campaign["updatedAt"])
    return {k: v for k, v in campaign.items() if k not in ("createdAt", "updatedAt")}


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["error"]
    assert sorted(body["error"]) == ["code", "details", "message"]
    assert body["error"]["code"] == code
    return body["error"]


def import_leads(client: TestClient, leads: list[dict], campaign_id: str = "cmp_123") -> list:
    response = client.post("/v1/leads", json={"campaignId": campaign_id, "leads": leads})
    assert response.status_code == 200, response.text
    return response.json()["leads"]


def count(engine, model) -> int:
    with Session(engine) as check:
        return check.exec(select(func.count()).select_from(model)).one()


# ------------------------------------------------------------------ create


def test_create_with_client_chosen_id(client: TestClient) -> None:
    body = {
        "id": "cmp_spring-2025_FR",
        "name": "  Spring 2025 France  ",
        "criteria": {"targetPositions": ["CFO"], "requiredFields": ["phone", "company"]},
    }

    response = client.post("/v1/campaigns", json=body)

    assert response.status_code == 201
    created = response.json()
    assert list(created) == ["id", "name", "criteria", "createdAt", "updatedAt"]
    assert without_times(created) == {
        "id": "cmp_spring-2025_FR",
        "name": "Spring 2025 France",
        "criteria": {
            "targetPositions": ["CFO"],
            "targetSources": [],
            "requiredFields": ["phone", "company"],
        },
    }
    assert client.get("/v1/campaigns/cmp_spring-2025_FR").json() == created


def test_create_without_id_gets_a_random_one(client: TestClient) -> None:
    first = client.post("/v1/campaigns", json={"name": "First"}).json()
    second = client.post("/v1/campaigns", json={"name": "Second"}).json()

    assert re.fullmatch(r"cmp_[0-9a-z]{14}", first["id"])
    assert re.fullmatch(r"cmp_[0-9a-z]{14}", second["id"])
    assert first["id"] != second["id"]
    assert first["criteria"] == EMPTY_CRITERIA


def test_create_duplicate_id_is_409(client: TestClient, campaign) -> None:
    response = client.post("/v1/campaigns", json={"id": "cmp_123", "name": "Again"})

    error = error_of(response, 409, "conflict")
    assert error["message"] == "campaign 'cmp_123' already exists"
    assert client.get("/v1/campaigns/cmp_123").json()["name"] == "Q1 CTO outreach"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"id": "123", "name": "x"}, "id"),
        ({"id": "cmp_", "name": "x"}, "id"),
        ({"id": "cmp_a b", "name": "x"}, "id"),
        ({"id": "lead_abc", "name": "x"}, "id"),
        ({"id": "CMP_abc", "name": "x"}, "id"),
        ({"id": "cmp_" + "a" * 61, "name": "x"}, "id"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({}, "name"),
        ({"name": "x", "criteria": {"requiredFields": ["salary"]}}, "criteria.requiredFields.0"),
        ({"name": "x", "criteria": {"requiredFields": ["status"]}}, "criteria.requiredFields.0"),
        ({"name": "x", "criteria": {"targetPositions": [""]}}, "criteria.targetPositions.0"),
        ({"name": "x", "criteria": {"targetSources": "linkedin"}}, "criteria.targetSources"),
        ({"name": "x", "criteria": {"targetTitles": ["CTO"]}}, "criteria.targetTitles"),
    ],
)
def test_create_invalid_is_422(client: TestClient, engine, body: dict, field: str) -> None:
    error = error_of(client.post("/v1/campaigns", json=body), 422, "validation_error")

    assert [d["field"] for d in error["details"]] == [field]
    assert error["message"].startswith(f"{field}: ")
    assert client.get("/v1/campaigns").json() == {"campaigns": [], "total": 0}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/v1/campaigns", {"name": "x", "critera": {"targetPositions": ["CTO"]}}),
        ("PATCH", "/v1/campaigns/cmp_123", {"nmae": "Renamed"}),
    ],
)
def test_unknown_campaign_field_is_422(
    client: TestClient, campaign, method: str, path: str, body: dict
) -> None:
    response = client.request(method, path, json=body)

    error = error_of(response, 422, "validation_error")
    assert [d["field"] for d in error["details"]] == [next(k for k in body if k != "name")]


def test_create_longest_id_is_accepted(client: TestClient) -> None:
    response = client.post("/v1/campaigns", json={"id": "cmp_" + "a" * 60, "name": "x"})

    assert response.status_code == 201
    assert response.json()["id"] == "cmp_" + "a" * 60


# ------------------------------------------------------------------ read


def test_list_campaigns(client: TestClient, campaign) -> None:
    client.post("/v1/campaigns", json={"id": "cmp_b", "name": "B"})

    body = client.get("/v1/campaigns").json()

    assert list(body) == ["campaigns", "total"]
    assert body["total"] == 2
    assert [without_times(c) for c in body["campaigns"]] == [
        CMP_123,
        {"id": "cmp_b", "name": "B", "criteria": EMPTY_CRITERIA},
    ]


def test_get_campaign(client: TestClient, campaign) -> None:
    response = client.get("/v1/campaigns/cmp_123")

    assert response.status_code == 200
    assert without_times(response.json()) == CMP_123


def test_get_unknown_campaign_is_404(client: TestClient) -> None:
    error = error_of(client.get("/v1/campaigns/cmp_nope"), 404, "not_found")

    assert error["message"] == "campaign 'cmp_nope' not found"


# ------------------------------------------------------------------ edit


def test_patch_name_keeps_criteria(client: TestClient, campaign) -> None:
    response = client.patch("/v1/campaigns/cmp_123", json={"name": " Q2 CTO outreach "})

    assert response.status_code == 200
    assert without_times(response.json()) == {**CMP_123, "name": "Q2 CTO outreach"}
    assert client.get("/v1/campaigns/cmp_123").json()["name"] == "Q2 CTO outreach"


def test_patch_criteria_replaces_them(client: TestClient, campaign) -> None:
    response = client.patch(
        "/v1/campaigns/cmp_123", json={"criteria": {"targetSources": ["event"]}}
    )

    assert response.status_code == 200
    assert response.json()["criteria"] == {
        "targetPositions": [],
        "targetSources": ["event"],
        "requiredFields": [],
    }
    assert response.json()["name"] == "Q1 CTO outreach"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "  "}, "name"),
        ({"criteria": {"requiredFields": ["notes"]}}, "criteria.requiredFields.0"),
        ({"criteria": {"targetPositions": "CTO"}}, "criteria.targetPositions"),
    ],
)
def test_patch_invalid_is_422(client: TestClient, campaign, body: dict, field: str) -> None:
    error = error_of(client.patch("/v1/campaigns/cmp_123", json=body), 422, "validation_error")

    assert [d["field"] for d in error["details"]] == [field]
    assert without_times(client.get("/v1/campaigns/cmp_123").json()) == CMP_123


def test_patch_unknown_campaign_is_404(client: TestClient) -> None:
    error_of(client.patch("/v1/campaigns/cmp_nope", json={"name": "x"}), 404, "not_found")


# ------------------------------------------------------------------ delete


def test_delete_empty_campaign(client: TestClient, campaign) -> None:
    response = client.delete("/v1/campaigns/cmp_123")

    assert response.status_code == 204
    assert response.content == b""
    error_of(client.get("/v1/campaigns/cmp_123"), 404, "not_found")
    error_of(client.delete("/v1/campaigns/cmp_123"), 404, "not_found")


def test_delete_campaign_with_leads_is_409(client: TestClient, campaign) -> None:
    import_leads(client, [{"email": "a@acme.io"}, {"email": "b@acme.io"}])

    error = error_of(client.delete("/v1/campaigns/cmp_123"), 409, "conflict")

    assert error["message"] == (
        "campaign 'cmp_123' still has leads; pass deleteLeads=true to delete them too"
    )
    assert client.get("/v1/campaigns/cmp_123").status_code == 200
    assert client.get("/v1/leads").json()["total"] == 2


def test_delete_campaign_with_delete_leads(client: TestClient, campaign, engine) -> None:
    client.post("/v1/campaigns", json={"id": "cmp_keep", "name": "Keep"})
    gone = import_leads(client, [{"email": "a@acme.io"}, {"email": "b@acme.io"}])
    kept = import_leads(client, [{"email": "a@acme.io"}], campaign_id="cmp_keep")

    response = client.delete("/v1/campaigns/cmp_123?deleteLeads=true")

    assert response.status_code == 204
    error_of(client.get("/v1/campaigns/cmp_123"), 404, "not_found")
    for lead in gone:
        error_of(client.get(f"/v1/leads/{lead['id']}"), 404, "not_found")
    listed = client.get("/v1/leads").json()
    assert [lead["id"] for lead in listed["leads"]] == [kept[0]["id"]]
    assert (count(engine, Lead), count(engine, LeadActivity), count(engine, ImportBatch)) == (
        1,
        1,
        1,
    )


def test_delete_unknown_campaign_is_404(client: TestClient) -> None:
    error_of(client.delete("/v1/campaigns/cmp_nope?deleteLeads=true"), 404, "not_found")


# ------------------------------------------------------------------ re-score


def test_rescore_after_criteria_change(client: TestClient, campaign) -> None:
    jean, paul, ann = import_leads(
        client,
        [
            # position VP Engineering, source linkedin: campaign match 7 + 4 + 4 = 15
            {
                "firstName": "Jean",
                "lastName": "Martin",
                "email": "jean.martin@startup.io",
                "company": "Startup IO",
                "position": "VP Engineering",
                "source": "linkedin",
            },
            # no target matched: 0 + 0 + 4
            {"email": "paul@roux-conseil.fr", "position": "Consultant", "source": "event"},
            # no target matched: 0 + 0 + 4
            {"email": "ann@green.io", "position": "Founder", "source": "instagram"},
        ],
    )
    assert [jean["qualityScore"], paul["qualityScore"], ann["qualityScore"]] == [81, 52, 46]
    client.patch(
        "/v1/campaigns/cmp_123",
        json={"criteria": {"targetPositions": ["Consultant"], "requiredFields": ["phone"]}},
    )

    response = client.post("/v1/campaigns/cmp_123/rescore")

    assert response.status_code == 200
    assert response.json() == {"changed": 2}
    jean_now = client.get(f"/v1/leads/{jean['id']}").json()
    paul_now = client.get(f"/v1/leads/{paul['id']}").json()
    ann_now = client.get(f"/v1/leads/{ann['id']}").json()
    # every campaign now sets no source: 4; phone required and missing: 0
    assert jean_now["scoreBreakdown"]["campaignMatch"] == 4
    assert paul_now["scoreBreakdown"]["campaignMatch"] == 7 + 4
    assert ann_now["scoreBreakdown"]["campaignMatch"] == 4
    assert [jean_now["qualityScore"], paul_now["qualityScore"], ann_now["qualityScore"]] == [
        70,
        59,
        46,
    ]
    assert jean_now["scoreReasons"]["campaignMatch"] == (
        "Campaign criteria: 0 of 2 check(s) met. Position 'VP Engineering' matches none of "
        "the campaign's target positions (Consultant) as whole words (+0 of 7). "
        "No target source set (+4). 0 of 1 required field(s) filled, missing Phone (+0 of 4). "
        "Criteria the campaign does not set earn their points for every lead, so adding one "
        "lowers the score of the leads that miss it"
    )
    assert client.post("/v1/campaigns/cmp_123/rescore").json() == {"changed": 0}


def test_rescore_leaves_other_campaigns_alone(client: TestClient, campaign) -> None:
    client.post("/v1/campaigns", json={"id": "cmp_other", "name": "Other"})
    lead = {"email": "cto@acme.io", "position": "CTO", "source": "linkedin"}
    in_123 = import_leads(client, [lead])[0]
    in_other = import_leads(client, [lead], campaign_id="cmp_other")[0]
    client.patch("/v1/campaigns/cmp_other", json={"criteria": {"targetPositions": ["CFO"]}})

    assert client.post("/v1/campaigns/cmp_other/rescore").json() == {"changed": 1}
    assert client.get(f"/v1/leads/{in_other['id']}").json()["qualityScore"] == (
        in_other["qualityScore"] - 7
    )
    assert (
        client.get(f"/v1/leads/{in_123['id']}").json()["qualityScore"] == (in_123["qualityScore"])
    )


def test_rescore_unknown_campaign_is_404(client: TestClient) -> None:
    error_of(client.post("/v1/campaigns/cmp_nope/rescore"), 404, "not_found")
