"""Webhook events: every write of a lead - API, dashboard, imports, CLI - writes its events
into the outbox in its own transaction, with the lead's public JSON and what changed;
nothing when no enabled endpoint subscribes, nothing when the change rolls back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from leads_core.errors import Conflict
from leads_core.ids import new_id
from leads_core.ingest import demo, importing
from leads_core.ingest.options import ImportOptions, ImportOutcome
from leads_core.schemas import CampaignCreate, CampaignCriteria, CampaignUpdate, LeadUpdate
from leads_core.services import bulk, campaigns, imports, leads, rescoring, tasks, users
from leads_core.services.queries import LeadFilters
from leads_core.storage.models import Lead
from leads_core.storage.webhook_models import WebhookEndpoint, WebhookEvent
from leads_core.task_schemas import ActivityCreate, TaskCreate, TaskUpdate
from leads_core.webhooks import events
from leads_core.webhooks.outbox import EVENT_TYPES

pytestmark = pytest.mark.usefixtures("campaign")

Event = tuple[str, str | None, dict[str, Any]]
DUE = datetime(2026, 12, 24, 9, tzinfo=UTC)


def subscribe(session: Session, *types: str, enabled: bool = True) -> WebhookEndpoint:
    """An endpoint row (the admin routes are another part's); every type by default."""
    endpoint = WebhookEndpoint(
        id=new_id("whk"),
        url="http://127.0.0.1:9/hook",
        events=list(types or EVENT_TYPES),
        enabled=enabled,
        secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    )
    session.add(endpoint)
    session.commit()
    return endpoint


def outbox(session: Session, after: int = 0) -> list[Event]:
    """(type, lead id, data) of each event written, in the order written."""
    rows = session.exec(
        select(WebhookEvent).where(col(WebhookEvent.seq) > after).order_by(col(WebhookEvent.seq))
    ).all()
    found = []
    for row in rows:
        body = json.loads(row.body)
        assert body["type"] == row.type and row.endpoint_id is None and row.dispatched_at is None
        found.append((row.type, row.lead_id, body["data"]))
    return found


def run_import(session: Session, rows: list[dict[str, Any]], **choices: Any) -> ImportOutcome:
    options = ImportOptions(campaign_id="cmp_123", region="FR", max_rows=10_000, **choices)
    return importing.import_leads(session, rows, options)


def add_lead(session: Session, **fields: Any) -> Lead:
    [imported] = run_import(session, [fields]).leads
    lead = session.get(Lead, imported.id)
    assert lead is not None
    return lead


def public(session: Session, lead_id: str) -> dict[str, Any]:
    lead = session.get(Lead, lead_id)
    assert lead is not None
    session.refresh(lead)
    return leads.to_public(lead).model_dump(mode="json", by_alias=True)


def last_seq(session: Session) -> int:
    seqs = session.exec(select(WebhookEvent.seq).order_by(col(WebhookEvent.seq).desc())).first()
    return seqs or 0


# ------------------------------------------------------------------ edits through the API


def test_a_patch_writes_lead_updated_with_old_and_new_values(
    client: TestClient, session: Session
) -> None:
    lead = add_lead(session, email="marie@techcorp.com", company="TechCorp", position="Engineer")
    old_score = lead.quality_score
    subscribe(session)

    answer = client.patch(
        f"/v1/leads/{lead.id}",
        json={"position": "CTO", "company": "TechCorp", "phone": "+33 6 12 34 56 78"},
        headers={"If-Match": '"1"'},
    )

    assert answer.status_code == 200
    [(kind, lead_id, data)] = outbox(session)
    new_score = answer.json()["qualityScore"]
    assert new_score != old_score  # a CTO is what the campaign targets
    assert (kind, lead_id) == ("lead.updated", lead.id)
    assert data["changes"] == {
        "position": {"old": "Engineer", "new": "CTO"},
        "phone": {"old": None, "new": "+33 6 12 34 56 78"},
        "qualityScore": {"old": old_score, "new": new_score},
    }
    assert data["lead"] == public(session, lead.id)
    assert data["lead"]["position"] == "CTO" and data["lead"]["email"] == "marie@techcorp.com"


def test_a_status_change_is_also_lead_status_changed(client: TestClient, session: Session) -> None:
    lead = add_lead(session, email="jean@startup.io")
    subscribe(session)

    old_score = lead.quality_score
    answer = client.patch(
        f"/v1/leads/{lead.id}", json={"status": "contacted", "company": "Startup"}
    )

    updated, changed = outbox(session)
    assert updated[0] == "lead.updated"
    assert updated[2]["changes"] == {
        "status": {"old": "new", "new": "contacted"},
        "company": {"old": None, "new": "Startup"},  # a profile field: scored
        "qualityScore": {"old": old_score, "new": answer.json()["qualityScore"]},
    }
    assert changed == (
        "lead.status_changed",
        lead.id,
        {"lead": updated[2]["lead"], "changes": {"status": {"old": "new", "new": "contacted"}}},
    )
    assert changed[2]["lead"]["status"] == "contacted"


def test_attributes_and_owner_changes_are_json(client: TestClient, session: Session) -> None:
    lead = add_lead(session, email="ana@x.io", attributes={"Plan": "Free"})
    owner = users.create_user(session, email="ann@acme.test", name="Ann", role="member")
    subscribe(session, "lead.updated")

    client.patch(f"/v1/leads/{lead.id}", json={"attributes": {"Plan": "Pro"}, "ownerId": owner.id})

    [(_, _, data)] = outbox(session)
    assert data["changes"] == {
        "attributes": {"old": {"Plan": "Free"}, "new": {"Plan": "Pro"}},
        "ownerId": {"old": None, "new": owner.id},
    }
    assert data["lead"]["ownerId"] == owner.id


def test_no_event_for_a_patch_that_changes_nothing(client: TestClient, session: Session) -> None:
    lead = add_lead(session, email="same@x.io", company="Same")
    subscribe(session)

    assert client.patch(f"/v1/leads/{lead.id}", json={"company": "Same"}).status_code == 200

    assert outbox(session) == []


def test_a_refused_write_writes_no_event(client: TestClient, session: Session) -> None:
    """409 (the email of another lead, found at the commit) and 412 (a stale If-Match):
    the change rolls back, and its event with it."""
    taken = add_lead(session, email="taken@x.io")
    lead = add_lead(session, email="free@x.io")
    subscribe(session)

    duplicate = client.patch(f"/v1/leads/{lead.id}", json={"email": "TAKEN@x.io"})
    stale = client.patch(f"/v1/leads/{lead.id}", json={"company": "X"}, headers={"If-Match": '"7"'})
    stale_delete = client.delete(f"/v1/leads/{taken.id}", headers={"If-Match": '"7"'})

    assert (duplicate.status_code, stale.status_code, stale_delete.status_code) == (409, 412, 412)
    assert outbox(session) == []


def test_a_duplicate_found_only_at_the_commit_rolls_its_event_back(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The unique constraint, not the pre-check, refuses it: the event was in the session."""
    add_lead(session, email="taken@x.io")
    lead = add_lead(session, email="free@x.io")
    subscribe(session)
    monkeypatch.setattr(leads, "_check_identity_free", lambda *args: None)

    with pytest.raises(Conflict):
        leads.update_lead(session, lead.id, LeadUpdate(email="taken@x.io"), region="FR")

    assert outbox(session) == []


def test_a_delete_writes_the_lead_as_it_was(client: TestClient, session: Session) -> None:
    lead = add_lead(session, email="gone@x.io", company="Gone Inc")
    before = public(session, lead.id)
    subscribe(session)

    assert client.delete(f"/v1/leads/{lead.id}", headers={"If-Match": '"1"'}).status_code == 204

    assert outbox(session) == [("lead.deleted", before["id"], {"lead": before})]
    assert before["company"] == "Gone Inc"


def test_a_note_is_an_update_of_the_notes(session: Session) -> None:
    lead = add_lead(session, email="noted@x.io")
    subscribe(session)

    noted = leads.add_note(session, lead.id, "called, call back Monday")

    [(kind, lead_id, data)] = outbox(session)
    assert (kind, lead_id) == ("lead.updated", lead.id)
    assert data["changes"] == {"notes": {"old": None, "new": noted.notes}}
    assert noted.notes is not None and noted.notes.endswith("called, call back Monday")


# ------------------------------------------------------------------ only what is subscribed


def test_nothing_without_an_enabled_subscribed_endpoint(session: Session) -> None:
    subscribe(session, enabled=False)
    subscribe(session, "import.completed")
    lead = add_lead(session, email="quiet@x.io")  # its import.completed is subscribed
    after = last_seq(session)

    leads.update_lead(session, lead.id, LeadUpdate(company="Quiet"), region="FR")
    leads.set_status(session, [lead.id], "replied")
    leads.add_note(session, lead.id, "hello")
    leads.delete_lead(session, lead.id)

    assert outbox(session, after) == []
    [(kind, _, _)] = outbox(session)
    assert kind == "import.completed"


def test_only_the_subscribed_types_are_written(session: Session) -> None:
    lead = add_lead(session, email="one@x.io")
    subscribe(session, "lead.status_changed")

    leads.set_status(session, [lead.id], "qualified")

    [(kind, _, data)] = outbox(session)
    assert kind == "lead.status_changed"
    assert data["changes"] == {"status": {"old": "new", "new": "qualified"}}


def test_a_second_endpoint_adds_no_second_event(session: Session) -> None:
    """An event is written once; the worker fans it out to each endpoint."""
    lead = add_lead(session, email="one@x.io")
    subscribe(session, "lead.updated")
    subscribe(session)

    leads.update_lead(session, lead.id, LeadUpdate(company="Once"), region="FR")

    assert [kind for kind, _, _ in outbox(session)] == ["lead.updated"]


# ------------------------------------------------------------------ bulk changes


def test_bulk_status_and_owner_write_one_event_per_lead_that_changed(session: Session) -> None:
    ids = [add_lead(session, email=f"b{n}@x.io").id for n in range(3)]
    leads.set_status(session, [ids[0]], "contacted")
    owner = users.create_user(session, email="bob@acme.test", name="Bob", role="member")
    subscribe(session)

    assert leads.set_status(session, ids, "contacted") == 2
    assert bulk.set_owner_matching(session, LeadFilters(q="x.io"), owner.id, batch=2) == 3

    found = outbox(session)
    assert sorted((kind, lead_id) for kind, lead_id, _ in found[:4]) == sorted(
        (kind, lead_id) for kind in ("lead.updated", "lead.status_changed") for lead_id in ids[1:]
    )
    assert {json.dumps(data["changes"]) for _, _, data in found[:4]} == {
        json.dumps({"status": {"old": "new", "new": "contacted"}})
    }
    assert sorted((kind, lead_id) for kind, lead_id, _ in found[4:]) == [
        ("lead.updated", lead_id) for lead_id in sorted(ids)
    ]
    assert {json.dumps(data["changes"]) for _, _, data in found[4:]} == {
        json.dumps({"ownerId": {"old": None, "new": owner.id}})
    }
    assert all(data["lead"] == public(session, data["lead"]["id"]) for _, _, data in found[4:])


def test_bulk_deletes_write_a_lead_deleted_per_lead_deleted(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Written two by two (as a million are, a thousand at a time) while the DELETE's
    RETURNING rows are still being read."""
    monkeypatch.setattr(events, "WRITE_EVERY", 2)
    ids = [add_lead(session, email=f"d{n}@x.io", company="Del").id for n in range(4)]
    kept = add_lead(session, email="keep@x.io", company="Keep").id
    before = {lead_id: public(session, lead_id) for lead_id in ids}
    subscribe(session)

    assert leads.delete_leads(session, [ids[0], "lead_unknown", ids[0]]) == 1
    assert bulk.delete_matching(session, LeadFilters(q="Del"), batch=3) == 3

    found = outbox(session)
    assert sorted(lead_id for _, lead_id, _ in found) == sorted(ids)
    assert all(kind == "lead.deleted" for kind, _, _ in found)
    assert {lead_id: data["lead"] for _, lead_id, data in found} == before
    assert session.get(Lead, kept) is not None
    assert all(session.get(Lead, lead_id) is None for lead_id in ids)  # none left cached


def test_deleting_a_campaign_deletes_its_leads_with_events(session: Session) -> None:
    other = campaigns.create_campaign(session, data=CampaignCreate(id="cmp_other", name="Other"))
    options = ImportOptions(campaign_id=other.id, region="FR", max_rows=10)
    outcome = importing.import_leads(session, [{"email": "a@o.io"}, {"email": "b@o.io"}], options)
    subscribe(session)

    campaigns.delete_campaign(session, other.id, delete_leads=True)

    found = outbox(session)
    assert sorted(lead_id for _, lead_id, _ in found) == sorted(lead.id for lead in outcome.leads)
    assert {data["lead"]["campaignId"] for _, _, data in found} == {"cmp_other"}


def test_undoing_an_import_deletes_with_events_only_what_it_deletes(session: Session) -> None:
    outcome = run_import(session, [{"email": "u1@x.io"}, {"email": "u2@x.io"}])
    edited, untouched = (lead.id for lead in outcome.leads)
    leads.set_status(session, [edited], "contacted")
    subscribe(session, "lead.deleted")

    assert imports.undo_import(session, str(outcome.batch_id)) == (1, 1)

    [(kind, lead_id, data)] = outbox(session)
    assert (kind, lead_id, data["lead"]["email"]) == ("lead.deleted", untouched, "u2@x.io")


def test_deleting_a_user_unassigns_their_leads_with_events(session: Session) -> None:
    owner = users.create_user(session, email="leaving@acme.test", name="Leo", role="member")
    ids = [add_lead(session, email=f"o{n}@x.io").id for n in range(2)]
    leads.set_owner(session, ids, owner.id)
    subscribe(session)

    assert users.delete_user(session, owner.id) == 2

    found = outbox(session)
    assert sorted(lead_id for _, lead_id, _ in found) == sorted(ids)
    for kind, lead_id, data in found:
        assert kind == "lead.updated"
        assert data["changes"] == {"ownerId": {"old": owner.id, "new": None}}
        assert data["lead"] == public(session, lead_id)


def test_rescores_tasks_and_activities_write_no_event(session: Session) -> None:
    """A re-score changes derived values only; tasks and logged calls are not the lead."""
    lead = add_lead(session, email="cto@x.io", position="CTO")
    subscribe(session)

    task = tasks.create_task(session, lead.id, TaskCreate(title="Call", due_at=DUE))
    tasks.update_task(session, task.id, TaskUpdate(done=True))
    tasks.log_activity(session, lead.id, ActivityCreate(type="call", body="no answer"))
    campaigns.update_campaign(
        session, "cmp_123", CampaignUpdate(criteria=CampaignCriteria(target_positions=["CEO"]))
    )
    assert rescoring.rescore_campaign(session, "cmp_123", region="FR") == 1

    assert outbox(session) == []


# ------------------------------------------------------------------ imports


def test_an_import_writes_its_new_leads_in_batches_of_100_and_its_counts(
    session: Session,
) -> None:
    add_lead(session, email="known@x.io")
    subscribe(session)
    rows: list[dict[str, Any]] = [
        {"email": f"p{n}@x.io", "firstName": f"P{n}", "position": "CTO" if n % 2 else None}
        for n in range(250)
    ]
    rows[10] = {"company": "no email"}  # an error
    rows[20] = {"email": "KNOWN@x.io"}  # a duplicate, skipped
    rows[30] = {"email": "p29@x.io"}  # repeats row 30 (number 30 is index 29)

    outcome = run_import(session, rows, filename="team.csv", origin="api-csv")

    found = outbox(session, after=last_seq(session) - 4)
    assert [kind for kind, _, _ in found] == ["lead.created"] * 3 + ["import.completed"]
    batches = [data for _, _, data in found[:3]]
    assert {data["importId"] for data in batches} == {outcome.batch_id}
    assert [len(data["leads"]) for data in batches] == [100, 100, 47]
    created = [lead for data in batches for lead in data["leads"]]
    assert [lead["id"] for lead in created] == [lead.id for lead in outcome.leads]
    expected = [f"p{n}@x.io" for n in range(250) if n not in (10, 20, 30)]
    assert [lead["email"] for lead in created] == expected  # row order
    assert all(lead_id is None for _, lead_id, _ in found)
    assert created == [public(session, lead["id"]) for lead in created]  # as the API shows them
    assert found[3][2] == {
        "importId": outcome.batch_id,
        "campaignId": "cmp_123",
        "origin": "api-csv",
        "filename": "team.csv",
        "rows": 250,
        "imported": 247,
        "updated": 0,
        "skipped": 2,
        "errors": 1,
    }


def test_an_import_with_owners_and_times_shows_them(session: Session) -> None:
    owner = users.create_user(session, email="own@acme.test", name="Own", role="member")
    subscribe(session, "lead.created")

    demo.seed_demo(session, leads=6, campaigns_count=1, region="FR")
    run_import(session, [{"email": "x1@x.io"}], owners=(owner.id,))

    found = outbox(session)
    seeded = [lead for _, _, data in found[:-1] for lead in data["leads"]]
    assert len(seeded) == 6 and all(lead == public(session, lead["id"]) for lead in seeded)
    [mine] = found[-1][2]["leads"]
    assert mine["ownerId"] == owner.id and mine == public(session, mine["id"])


def test_merging_duplicates_writes_lead_updated_per_lead(session: Session) -> None:
    merged = add_lead(session, email="m@x.io", company="Old")
    old_score = merged.quality_score
    same = add_lead(session, email="same@x.io", company="Same")
    subscribe(session)

    outcome = run_import(
        session,
        [{"email": "m@x.io", "company": "New", "phone": "+33612345678"}, {"email": "same@x.io"}],
        on_duplicate="update",
    )

    found = outbox(session)
    assert [kind for kind, _, _ in found] == ["lead.updated", "import.completed"]
    assert found[0][1] == merged.id
    assert found[0][2]["changes"] == {
        "company": {"old": "Old", "new": "New"},
        "phone": {"old": None, "new": "+33612345678"},
        "qualityScore": {"old": old_score, "new": public(session, merged.id)["qualityScore"]},
    }
    assert found[0][2]["lead"] == public(session, merged.id)
    assert found[1][2]["updated"] == outcome.updated == 2
    assert public(session, same.id)["company"] == "Same"


def test_a_dry_run_writes_nothing(session: Session) -> None:
    subscribe(session)

    run_import(session, [{"email": "dry@x.io"}], dry_run=True)

    assert outbox(session) == []


def test_a_replayed_import_writes_its_events_once(client: TestClient, session: Session) -> None:
    subscribe(session)
    body = {"campaignId": "cmp_123", "leads": [{"email": "once@x.io"}]}

    for _ in range(2):
        answer = client.post("/v1/leads", json=body, headers={"Idempotency-Key": "k-1"})
        assert answer.status_code == 200

    assert [kind for kind, _, _ in outbox(session)] == ["lead.created", "import.completed"]


# ------------------------------------------------------------------ the dashboard and the CLI


@pytest.fixture
def dashboard(monkeypatch: pytest.MonkeyPatch, db_url: str, session: Session) -> Iterator[None]:
    """``dashboard.writes`` on this test's database, acting as an admin."""
    from dashboard import auth
    from leads_core import config
    from leads_core.storage import db

    admin = users.create_user(session, email="ann@acme.test", name="Ann", role="admin")
    monkeypatch.setenv("DATABASE_URL", db_url)
    config.get_settings.cache_clear()
    db.get_engine.cache_clear()
    monkeypatch.setattr(auth, "resolve", lambda: auth.Verdict(users.principal(admin)))
    yield
    db.get_engine().dispose()
    config.get_settings.cache_clear()
    db.get_engine.cache_clear()


@pytest.mark.usefixtures("dashboard")
def test_dashboard_edits_write_the_same_events(session: Session) -> None:
    from dashboard import writes

    lead = add_lead(session, email="dash@x.io")
    subscribe(session)

    writes.update_lead(lead.id, LeadUpdate(status="replied"), expected_version=1)
    writes.add_note(lead.id, "met at the fair")
    writes.set_status_matching(LeadFilters(q="dash"), "qualified")
    writes.delete_lead(lead.id, expected_version=4)

    found = outbox(session)
    assert [kind for kind, _, _ in found] == [
        "lead.updated",
        "lead.status_changed",
        "lead.updated",
        "lead.updated",
        "lead.status_changed",
        "lead.deleted",
    ]
    assert found[0][2]["changes"] == {"status": {"old": "new", "new": "replied"}}
    assert found[3][2]["changes"] == {"status": {"old": "replied", "new": "qualified"}}
    assert found[5][2]["lead"]["status"] == "qualified"


def test_a_cli_import_writes_the_same_events(db_url: str, session: Session, tmp_path: Path) -> None:
    subscribe(session, "lead.created", "import.completed")
    data = tmp_path / "people.csv"
    data.write_text("First Name,Email\nAda,ada@x.io\nBob,bob@x.io\n", encoding="utf-8")

    subprocess.run(
        [sys.executable, "-m", "leads_core", "import-csv", str(data), "--campaign", "cmp_123"],
        env={**os.environ, "DATABASE_URL": db_url},
        cwd=Path(__file__).resolve().parents[2],
        check=True,
        capture_output=True,
        timeout=120,
    )

    created, completed = outbox(session)
    assert [lead["firstName"] for lead in created[2]["leads"]] == ["Ada", "Bob"]
    assert created[2]["leads"] == [public(session, lead["id"]) for lead in created[2]["leads"]]
    assert (completed[2]["origin"], completed[2]["filename"]) == ("cli", "people.csv")
    assert (completed[2]["rows"], completed[2]["imported"]) == (2, 2)


def test_a_write_that_wrote_events_wakes_the_worker_at_its_commit(session: Session) -> None:
    subscribe(session, "lead.updated")
    lead = add_lead(session, email="wake@acme.test")
    wake = events.outbox.WAKE
    wake.clear()

    leads.update_lead(session, lead.id, LeadUpdate(company="Acme"), region="FR")

    assert wake.is_set()  # the worker delivers at once, not at its next poll
    wake.clear()
    leads.update_lead(session, lead.id, LeadUpdate(company="Acme"), region="FR")  # no change
    assert not wake.is_set()
