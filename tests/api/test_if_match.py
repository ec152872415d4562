"""Lost-update protection: GET gives the lead's version as its ETag, PATCH and DELETE
with ``If-Match`` refuse (412) a write based on a version the lead has moved past."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from leads_core.errors import PreconditionFailed
from leads_core.schemas import LeadUpdate
from leads_core.services import leads
from leads_core.storage.models import Lead

pytestmark = pytest.mark.usefixtures("campaign")


def new_lead(client: TestClient, email: str = "marie@techcorp.com") -> str:
    response = client.post("/v1/leads", json={"campaignId": "cmp_123", "leads": [{"email": email}]})
    return response.json()["leads"][0]["id"]


def error_code(response) -> str:
    return response.json()["error"]["code"]


def test_get_returns_the_version_as_etag(client: TestClient) -> None:
    lead_id = new_lead(client)

    response = client.get(f"/v1/leads/{lead_id}")

    assert response.headers["etag"] == '"1"'
    assert response.json()["version"] == 1


def test_every_change_moves_the_version_on(client: TestClient) -> None:
    lead_id = new_lead(client)

    first = client.patch(f"/v1/leads/{lead_id}", json={"status": "contacted"})
    same = client.patch(f"/v1/leads/{lead_id}", json={"status": "contacted"})  # no change
    second = client.patch(f"/v1/leads/{lead_id}", json={"notes": "Called"})

    assert (first.headers["etag"], first.json()["version"]) == ('"2"', 2)
    assert same.headers["etag"] == '"2"'
    assert second.headers["etag"] == '"3"'
    assert client.get(f"/v1/leads/{lead_id}").headers["etag"] == '"3"'


def test_patch_with_the_current_etag_applies(client: TestClient) -> None:
    lead_id = new_lead(client)
    etag = client.get(f"/v1/leads/{lead_id}").headers["etag"]

    response = client.patch(
        f"/v1/leads/{lead_id}", json={"status": "replied"}, headers={"If-Match": etag}
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.headers["etag"]) == ("replied", '"2"')


def test_patch_with_a_stale_etag_is_412_and_changes_nothing(client: TestClient) -> None:
    """Two users open the lead; the first saves; the second's save is refused."""
    lead_id = new_lead(client)
    read_by_both = client.get(f"/v1/leads/{lead_id}").headers["etag"]
    client.patch(
        f"/v1/leads/{lead_id}", json={"notes": "first"}, headers={"If-Match": read_by_both}
    )

    response = client.patch(
        f"/v1/leads/{lead_id}", json={"notes": "second"}, headers={"If-Match": read_by_both}
    )

    assert response.status_code == 412
    error = response.json()["error"]
    assert error["code"] == "precondition_failed"
    assert "changed by someone else" in error["message"]
    assert error["details"] == [{"field": "If-Match", "message": "current version is 2"}]
    assert client.get(f"/v1/leads/{lead_id}").json()["notes"] == "first"


def test_delete_with_a_stale_etag_is_412_and_keeps_the_lead(client: TestClient) -> None:
    lead_id = new_lead(client)
    client.patch(f"/v1/leads/{lead_id}", json={"status": "contacted"})

    refused = client.delete(f"/v1/leads/{lead_id}", headers={"If-Match": '"1"'})
    accepted = client.delete(f"/v1/leads/{lead_id}", headers={"If-Match": '"2"'})

    assert (refused.status_code, error_code(refused)) == (412, "precondition_failed")
    assert accepted.status_code == 204
    assert client.get(f"/v1/leads/{lead_id}").status_code == 404


@pytest.mark.parametrize("header", ["*", "1", ' "1" '])
def test_star_and_a_bare_version_are_accepted(client: TestClient, header: str) -> None:
    lead_id = new_lead(client)

    response = client.patch(
        f"/v1/leads/{lead_id}", json={"notes": "x"}, headers={"If-Match": header}
    )

    assert response.status_code == 200


@pytest.mark.parametrize("header", ['W/"1"', "abc", '"1", "2"', '""'])
def test_a_malformed_if_match_is_422_naming_the_header(client: TestClient, header: str) -> None:
    lead_id = new_lead(client)

    response = client.patch(
        f"/v1/leads/{lead_id}", json={"notes": "x"}, headers={"If-Match": header}
    )

    assert (response.status_code, error_code(response)) == (422, "validation_error")
    assert response.json()["error"]["details"][0]["field"] == "If-Match"
    assert client.get(f"/v1/leads/{lead_id}").json()["notes"] is None


def test_if_match_on_a_missing_lead_is_404(client: TestClient) -> None:
    response = client.patch("/v1/leads/lead_gone", json={"notes": "x"}, headers={"If-Match": '"1"'})

    assert (response.status_code, error_code(response)) == (404, "not_found")


def test_bulk_changes_and_rescoring_move_the_version_too(
    client: TestClient, session: Session
) -> None:
    lead_id = new_lead(client)

    leads.set_status(session, [lead_id], "qualified")
    client.post("/v1/campaigns/cmp_123/rescore")

    assert client.get(f"/v1/leads/{lead_id}").json()["version"] == 3


# ------------------------------------------------------------ racing writers


def test_an_edit_that_raced_another_is_refused_when_it_named_a_version(
    client: TestClient, engine
) -> None:
    """Both read version 1; the other commits between our read and our write. With an
    expected version we answer 412; the database kept the other's change."""
    lead_id = new_lead(client)
    with Session(engine) as ours, Session(engine) as theirs:
        read = leads.get_lead(ours, lead_id)  # held: the session keeps this version 1
        leads.update_lead(theirs, lead_id, LeadUpdate(notes="theirs"), region="FR")

        assert ours.get(Lead, lead_id) is read and read.version == 1  # so the UPDATE misses
        with pytest.raises(PreconditionFailed):
            leads.update_lead(
                ours, lead_id, LeadUpdate(status="contacted"), region="FR", expected_version=1
            )

    detail = client.get(f"/v1/leads/{lead_id}").json()
    assert (detail["notes"], detail["status"], detail["version"]) == ("theirs", "new", 2)


def test_an_edit_without_a_version_that_raced_another_is_applied_on_top(
    client: TestClient, engine
) -> None:
    """Without If-Match the edit is written again on the fresh lead: both changes stay."""
    lead_id = new_lead(client)
    with Session(engine) as ours, Session(engine) as theirs:
        read = leads.get_lead(ours, lead_id)
        leads.update_lead(theirs, lead_id, LeadUpdate(notes="theirs"), region="FR")

        assert read.version == 1
        lead = leads.update_lead(ours, lead_id, LeadUpdate(status="contacted"), region="FR")

        assert (lead.notes, lead.status, lead.version) == ("theirs", "contacted", 3)
