"""leads_core.services.bulk (a change to every lead matching the filters, in batches) and
leads_core.services.neighbours (the lead before and after one in a filtered, sorted list)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select

from leads_core.errors import ValidationFailed
from leads_core.ingest import importing
from leads_core.ingest.options import ImportOptions
from leads_core.schemas import LeadUpdate
from leads_core.services import bulk, leads
from leads_core.services.neighbours import Neighbours, neighbours
from leads_core.services.queries import LeadFilters
from leads_core.storage.models import Lead, LeadActivity

pytestmark = pytest.mark.usefixtures("campaign")

LAST_NAMES = ["Adams", "Baker", "Clark", "Davis", "Evans", "Fox", "Grant"]


@pytest.fixture
def ids(session: Session) -> dict[str, str]:
    """Seven leads of cmp_123, last name -> id; Baker, Davis and Fox from a referral."""
    rows = [
        {
            "firstName": name[0],
            "lastName": name,
            "email": f"{name.lower()}@example.com",
            "source": "referral" if name in ("Baker", "Davis", "Fox") else "event",
        }
        for name in LAST_NAMES
    ]
    outcome = importing.import_leads(
        session, rows, ImportOptions(campaign_id="cmp_123", region="FR", max_rows=10)
    )
    return {name: lead.id for name, lead in zip(LAST_NAMES, outcome.leads, strict=True)}


def _statuses(session: Session) -> dict[str, str]:
    session.expire_all()
    rows = session.exec(select(Lead).order_by(col(Lead.last_name)))
    return {lead.last_name or "": lead.status for lead in rows}


def test_set_status_matching_changes_every_match_in_batches_with_history(
    session: Session, ids: dict[str, str]
) -> None:
    referral = LeadFilters(sources=("referral",), statuses=("new",))
    # Batches of 2: the filter is on the status being changed, and every match still moves.
    changed = bulk.set_status_matching(session, referral, "contacted", actor="ann", batch=2)
    assert changed == 3
    assert [name for name, status in _statuses(session).items() if status == "contacted"] == [
        "Baker",
        "Davis",
        "Fox",
    ]
    history = session.exec(
        select(LeadActivity.lead_id, LeadActivity.new_value, LeadActivity.actor).where(
            LeadActivity.kind == "status_change"
        )
    ).all()
    assert sorted(history) == sorted(
        (ids[name], "contacted", "ann") for name in ("Baker", "Davis", "Fox")
    )
    assert bulk.set_status_matching(session, referral, "contacted", batch=2) == 0


def test_set_owner_and_delete_matching(session: Session, ids: dict[str, str]) -> None:
    event = LeadFilters(sources=("event",))
    assert bulk.set_owner_matching(session, event, None, batch=3) == 0  # all unassigned
    with pytest.raises(ValidationFailed):
        bulk.set_owner_matching(session, event, "usr_nobody")
    assert bulk.delete_matching(session, event, batch=3) == 4
    remaining = session.exec(select(Lead.last_name).order_by(col(Lead.last_name))).all()
    assert remaining == ["Baker", "Davis", "Fox"]


def test_neighbours_follow_the_lists_sort_and_filters(
    session: Session, ids: dict[str, str]
) -> None:
    everyone = LeadFilters()
    assert neighbours(session, everyone, "lastName", ids["Clark"], 2) == Neighbours(
        ids["Baker"], ids["Davis"], 2, 7
    )
    assert neighbours(session, everyone, "lastName", ids["Adams"], 0) == Neighbours(
        None, ids["Baker"], 0, 7
    )
    assert neighbours(session, everyone, "-lastName", ids["Adams"], 6) == Neighbours(
        ids["Baker"], None, 6, 7
    )
    referral = LeadFilters(sources=("referral",))
    assert neighbours(session, referral, "lastName", ids["Davis"], 1) == Neighbours(
        ids["Baker"], ids["Fox"], 1, 3
    )


def test_neighbours_are_right_when_the_list_changed_since(
    session: Session, ids: dict[str, str]
) -> None:
    """The position the list showed is a hint: a wrong or missing one is looked up."""
    everyone = LeadFilters()
    leads.delete_leads(session, [ids["Adams"]])  # Clark moved up one
    assert neighbours(session, everyone, "lastName", ids["Clark"], 2) == Neighbours(
        ids["Baker"], ids["Davis"], 1, 6
    )
    assert neighbours(session, everyone, "lastName", ids["Clark"], 500) == Neighbours(
        ids["Baker"], ids["Davis"], 1, 6
    )
    assert neighbours(session, everyone, "lastName", ids["Clark"], None).position == 1
    # Edited out of the list it was opened from: no neighbours there any more.
    leads.update_lead(session, ids["Davis"], LeadUpdate(source="event"), region="FR")
    assert neighbours(session, LeadFilters(sources=("referral",)), "lastName", ids["Davis"], 1) == (
        Neighbours(None, None, None, 2)
    )


def test_neighbours_look_beyond_the_window(
    session: Session, ids: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from leads_core.services import neighbours as module

    monkeypatch.setattr(module, "WINDOW", 1)
    everyone = LeadFilters()
    # The hint is 3 off: the window (2-4) does not hold Fox, the walk finds it.
    assert neighbours(session, everyone, "lastName", ids["Fox"], 2) == Neighbours(
        ids["Evans"], ids["Grant"], 5, 7
    )
    # Fox at the edge of the window: the one after is outside it, so it walks too.
    assert neighbours(session, everyone, "lastName", ids["Fox"], 4) == Neighbours(
        ids["Evans"], ids["Grant"], 5, 7
    )
