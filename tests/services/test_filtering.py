"""Search in every text a person wrote about a lead; filters with several values, score
bounds and date ranges (created, last activity); the one parser of their query parameters
and its inverse (``services.filtering``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from leads_core.clock import utcnow
from leads_core.errors import ValidationFailed
from leads_core.fields import LEAD_STATUSES
from leads_core.ingest import importing
from leads_core.ingest.options import ImportOptions
from leads_core.services import leads, queries, rescoring, tasks
from leads_core.services.filtering import MAX_VALUES, filters_from_params, params_of
from leads_core.services.queries import LeadFilters
from leads_core.storage.models import Lead
from leads_core.task_schemas import ActivityCreate, TaskCreate
from tests.services.test_leads import seed

pytestmark = pytest.mark.usefixtures("campaign")


def names(session: Session, **filters) -> list[str]:
    result = queries.list_leads(session, filters=LeadFilters(**filters), sort="firstName")
    return [lead.first_name for lead in result.leads]


def test_search_finds_the_position_the_notes_and_the_attributes(session: Session) -> None:
    ids = seed(session)
    importing.import_leads(
        session,
        [{"firstName": "Lena", "email": "lena@greenfield.io", "attributes": {"Sector": "Brewing"}}],
        ImportOptions(campaign_id="cmp_123", region="FR", max_rows=10),
    )
    leads.add_note(session, ids["Zoe"], "Wants the Pricing sheet")

    assert names(session, q="ceo") == ["Ann"]  # the position
    assert names(session, q="pricing") == ["Zoe"]  # a note
    assert names(session, q="brewing") == ["Lena"]  # an attribute
    assert queries.count_leads(session, filters=LeadFilters(q="designer")) == 1


def test_several_values_and_score_bounds(session: Session) -> None:
    seed(session)
    assert names(session, sources=("linkedin", "event")) == ["Marie", "Zoe"]
    assert names(session, statuses=("new", "contacted")) == ["Ann", "Jean", "Marie", "Zoe"]
    scores = {lead.first_name: lead.quality_score for lead in session.exec(select(Lead))}
    top = max(scores.values())
    assert names(session, min_score=top, max_score=top) == sorted(
        name for name, score in scores.items() if score == top
    )
    assert names(session, max_score=top - 1) == sorted(
        name for name, score in scores.items() if score < top
    )


def test_created_range_takes_whole_utc_days(session: Session) -> None:
    seed(session)  # created on January 3, 1, 2 and 4, 2025
    day = date(2025, 1, 2)
    assert names(session, created_from=day, created_to=day) == ["Zoe"]
    assert names(session, created_from=date(2025, 1, 3)) == ["Ann", "Marie"]
    assert names(session, created_to=date(2025, 1, 1)) == ["Jean"]


def test_last_activity_is_what_a_person_did(session: Session, settings) -> None:
    ids = seed(session)  # each lead's last activity: its creation, in January 2025
    today = utcnow().date()
    assert names(session, activity_from=date(2025, 1, 3), activity_to=date(2025, 1, 3)) == ["Marie"]
    leads.set_status(session, [ids["Jean"]], "contacted")
    call = datetime(2025, 2, 10, 15, 0, tzinfo=UTC)
    tasks.log_activity(
        session, ids["Zoe"], ActivityCreate(type="call", body="Left a message", at=call)
    )
    tasks.create_task(
        session, ids["Ann"], TaskCreate(title="Send the deck", due_at=utcnow() + timedelta(days=1))
    )
    rescoring.rescore_campaign(session, "cmp_123", region="FR")  # not a person's doing

    assert names(session, activity_from=today) == ["Ann", "Jean"]
    assert names(session, activity_from=date(2025, 2, 10), activity_to=date(2025, 2, 10)) == ["Zoe"]
    assert names(session, activity_to=date(2025, 1, 31)) == ["Marie"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"createdFrom": "2026-02-30"}, "createdFrom"),
        ({"lastActivityTo": "yesterday"}, "lastActivityTo"),
        ({"createdFrom": "2026-03-02", "createdTo": "2026-03-01"}, "createdFrom"),
        ({"status": "new,hot"}, "status"),
        ({"maxScore": "101"}, "maxScore"),
        ({"minScore": "-1"}, "minScore"),
        ({"source": ",".join(f"s{n}" for n in range(MAX_VALUES + 1))}, "source"),
        ({"campaignId": ",".join(f"cmp_{n}" for n in range(MAX_VALUES + 1))}, "campaignId"),
        ({"ownerId": "me,bob"}, "ownerId"),
    ],
)
def test_a_bad_parameter_is_a_422_naming_it(params: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        filters_from_params(params, me="usr_me")
    assert caught.value.details[0]["field"] == field
    assert caught.value.message.startswith(f"{field}: ")


def test_parameters_are_read_as_the_contract_writes_them() -> None:
    params = {
        "campaignId": "cmp_a, cmp_b",
        "source": "LinkedIn,event,linkedin",
        "status": "new,contacted",
        "ownerId": "me,none",
        "minScore": "40",
        "maxScore": "90",
        "createdFrom": "2026-01-01",
        "createdTo": "2026-01-31",
        "lastActivityFrom": "2026-02-01",
        "q": "  ceo  ",
        "sort": "-qualityScore",  # not a filter: ignored
    }
    assert filters_from_params(params, me="usr_me") == LeadFilters(
        campaign_ids=("cmp_a", "cmp_b"),
        sources=("linkedin", "event"),
        statuses=("new", "contacted"),
        min_score=40,
        max_score=90,
        q="ceo",
        owners=("usr_me", None),
        created_from=date(2026, 1, 1),
        created_to=date(2026, 1, 31),
        activity_from=date(2026, 2, 1),
    )
    assert filters_from_params({}, me=None) == LeadFilters()


_IDS = st.text("abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=12)
_DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


@st.composite
def lead_filters(draw: st.DrawFn) -> LeadFilters:
    def several(values: st.SearchStrategy[str]) -> tuple[str, ...]:
        return tuple(draw(st.lists(values, max_size=4, unique=True)))

    def day_range() -> tuple[date | None, date | None]:
        low, high = draw(st.none() | _DAYS), draw(st.none() | _DAYS)
        return (low, high) if low is None or high is None or low <= high else (high, low)

    created, activity = day_range(), day_range()
    owners = draw(
        st.none()
        | st.lists(st.none() | _IDS.map(lambda v: f"usr_{v}"), min_size=1, max_size=3, unique=True)
    )
    word = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20)
    return LeadFilters(
        campaign_ids=several(_IDS.map(lambda v: f"cmp_{v}")),
        sources=several(st.text("abcdefghij -.", min_size=1).map(str.strip).filter(bool)),
        statuses=several(st.sampled_from(LEAD_STATUSES)),
        min_score=draw(st.none() | st.integers(0, 100)),
        max_score=draw(st.none() | st.integers(0, 100)),
        q=draw(st.none() | word.map(str.strip).filter(lambda w: bool(w) and "," not in w)),
        owners=None if owners is None else tuple(owners),
        created_from=created[0],
        created_to=created[1],
        activity_from=activity[0],
        activity_to=activity[1],
    )


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(lead_filters(), st.sampled_from([None, "usr_me"]))
def test_params_of_and_filters_from_params_are_inverses(filters: LeadFilters, me) -> None:
    assert filters_from_params(params_of(filters, me=me), me=me) == filters
