"""A list page is the same whichever way SQLite reads it (``queries._indexed_filters``):
walking the sort's index and checking the filters there, reading a filter's own index, or
letting SQLite pick an index and sort the matches. Each page of each sort and filter is
checked against the order computed here in Python; on SQLite the walk is also checked to
be what runs when most leads match."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from leads_core.fields import LEAD_STATUSES
from leads_core.ingest import importing
from leads_core.ingest.options import ImportOptions
from leads_core.schemas import CampaignCreate
from leads_core.services import campaigns, leads, queries
from leads_core.services.queries import LeadFilters
from leads_core.storage.models import Lead

LEADS = 240
LIMIT = 20
SORTS = (None, "-qualityScore", "qualityScore", "createdAt", "-updatedAt", "lastName")
SORTS += ("-lastName", "company", "-email", "firstName")
SOURCES = ("linkedin", "website", "referral", None)
PAGE_QUERY = "SELECT lead.id"  # the page's ids, in the sort order (queries.list_leads)


def build_rows(rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for i in range(LEADS):
        company = rng.choice(["Zeta Labs", "acme", "Acme", "Borealis", None])
        rows.append(
            {
                "firstName": rng.choice(["ana", "Bob", "cy", "Dee", None]),
                "lastName": rng.choice(["Smith", "smith", "Young", "adams", None]),
                "email": f"p{i:03d}@mail{rng.randint(1, 4)}.io" if rng.random() < 0.8 else None,
                "linkedinUrl": f"https://linkedin.com/in/p{i}",
                "company": company,
                "position": rng.choice(["CTO", "VP Engineering", "intern", None]),
                "source": rng.choice(SOURCES),
                "phone": "+33 6 12 34 56 78" if rng.random() < 0.5 else None,
            }
        )
    return rows


@pytest.fixture
def stored(session: Session, campaign: Any) -> list[Lead]:
    """240 leads over two campaigns, with every status, missing values and equal dates."""
    rng = random.Random(5)
    other = campaigns.create_campaign(session, data=CampaignCreate(id="cmp_2", name="Two"))
    start = datetime(2025, 1, 1, tzinfo=UTC)
    rows = build_rows(rng)
    for campaign_id, part in (("cmp_123", rows[:160]), (other.id, rows[160:])):
        stamps = [start + timedelta(hours=rng.randint(0, 40)) for _ in part]  # ties
        importing.import_leads(
            session,
            part,
            ImportOptions(campaign_id=campaign_id, region="FR", max_rows=500),
            timestamps=stamps,
        )
    everyone = session.exec(select(Lead)).all()
    for status in LEAD_STATUSES[1:]:
        leads.set_status(session, [lead.id for lead in rng.sample(everyone, 30)], status)
    session.expire_all()
    return list(session.exec(select(Lead)).all())


def matches(lead: Lead, filters: LeadFilters) -> bool:
    return (
        (not filters.campaign_ids or lead.campaign_id in filters.campaign_ids)
        and (filters.min_score is None or (lead.quality_score or 0) >= filters.min_score)
        and (filters.max_score is None or (lead.quality_score or 101) <= filters.max_score)
        and (not filters.sources or lead.source in filters.sources)
        and (not filters.statuses or lead.status in filters.statuses)
        and (filters.q is None or filters.q in (lead.company or "").lower())
    )


def expected(stored: list[Lead], filters: LeadFilters, sort: str | None) -> list[str]:
    """The list's order: the sort key (names folded), empty values last either way, then
    the id in the sort's direction."""
    sort = sort or queries.DEFAULT_SORT
    descending = sort.startswith("-")
    name = sort.lstrip("-")
    attribute = queries.SORTABLE[name].key

    def key(lead: Lead) -> Any:
        value = getattr(lead, attribute)
        return value.lower() if value is not None and name in queries.TEXT_SORTS else value

    chosen = [lead for lead in stored if matches(lead, filters)]
    present = sorted(
        (lead for lead in chosen if key(lead) is not None),
        key=lambda lead: (key(lead), lead.id),
        reverse=descending,
    )
    empty = sorted((lead for lead in chosen if key(lead) is None), key=lambda lead: lead.id)
    return [lead.id for lead in present + (empty[::-1] if descending else empty)]


FILTERS = [
    LeadFilters(),
    LeadFilters(statuses=("new",)),  # most leads: the walk
    LeadFilters(sources=("linkedin",)),
    LeadFilters(min_score=40),
    LeadFilters(q="zeta"),
    LeadFilters(campaign_ids=("cmp_123",)),
    LeadFilters(
        campaign_ids=("cmp_123",), statuses=("new",), sources=("website",)
    ),  # few: SQLite sorts
    LeadFilters(statuses=("qualified",), sources=("referral",), min_score=10),
    LeadFilters(campaign_ids=("cmp_2",), q="acme", min_score=20),
    LeadFilters(statuses=("new", "qualified")),  # an IN list: the walk checks it
    LeadFilters(campaign_ids=("cmp_123", "cmp_2"), sources=("linkedin", "website")),
    LeadFilters(min_score=20, max_score=60),
]


@pytest.mark.parametrize("filters", FILTERS, ids=repr)
def test_every_page_of_every_sort_matches_the_reference_order(
    session: Session, stored: list[Lead], filters: LeadFilters
) -> None:
    for sort in SORTS:
        want = expected(stored, filters, sort)
        assert want, "each filter matches some leads"
        got: list[str] = []
        for page in range(1, len(want) // LIMIT + 2):
            result = queries.list_leads(session, filters=filters, sort=sort, page=page, limit=LIMIT)
            assert result.total == len(want), (sort, page)
            got += [lead.id for lead in result.leads]
        assert got == want, sort


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("filters", "sort", "plan"),
    [
        (LeadFilters(statuses=("new",)), None, "SCAN lead USING COVERING INDEX ix_lead_created"),
        (
            LeadFilters(statuses=("new",), q="acme"),
            "-updatedAt",
            "SCAN lead USING COVERING INDEX ix_lead_updated",
        ),
        (
            LeadFilters(sources=("linkedin",)),
            "lastName",
            "SCAN lead USING COVERING INDEX ix_lead_folded_last_name",
        ),
        (
            LeadFilters(statuses=("new",)),
            "qualityScore",
            "SEARCH lead USING COVERING INDEX ix_lead_status",
        ),
        (
            LeadFilters(campaign_ids=("cmp_123",), statuses=("new",)),
            None,
            "SEARCH lead USING COVERING INDEX ix_lead_campaign_created",
        ),
    ],
)
def test_sqlite_walks_an_index_in_the_sort_order_when_many_leads_match(
    session: Session,
    stored: list[Lead],
    query_plans: Callable[[str], list[str]],
    filters: LeadFilters,
    sort: str | None,
    plan: str,
) -> None:
    queries.list_leads(session, filters=filters, sort=sort, page=2, limit=LIMIT)
    (found,) = query_plans(PAGE_QUERY)
    assert found.startswith(plan)
    assert "TEMP B-TREE" not in found


@pytest.mark.sqlite_only
def test_sqlite_sorts_the_matches_when_few_leads_match(
    session: Session, stored: list[Lead], query_plans: Callable[[str], list[str]]
) -> None:
    filters = LeadFilters(statuses=("qualified",), sources=("referral",))
    queries.list_leads(session, filters=filters, sort="company", page=1, limit=LIMIT)
    (found,) = query_plans(PAGE_QUERY)
    assert found.startswith("SEARCH lead USING") and "TEMP B-TREE FOR ORDER BY" in found


def test_a_page_past_the_end_is_empty_and_keeps_the_total(
    session: Session, stored: list[Lead]
) -> None:
    result = queries.list_leads(
        session, filters=LeadFilters(statuses=("new",)), page=99, limit=LIMIT
    )
    assert result.leads == [] and result.total == sum(lead.status == "new" for lead in stored)


COUNT_QUERY = "SELECT count(*) AS count_1 \nFROM lead \n"


@pytest.mark.sqlite_only
@pytest.mark.parametrize("sort", [None, "company"])
def test_sqlite_counts_text_and_a_small_filter_by_walking_the_filter(
    session: Session, stored: list[Lead], query_plans: Callable[[str], list[str]], sort: str | None
) -> None:
    """Free text with another filter: the filter's index is walked and each entry checked
    against the text's matches (``queries._count_plan``), not each match's row looked up;
    a sorted page of few matches is found the same way."""
    filters = LeadFilters(campaign_ids=("cmp_2",), q="acme")
    result = queries.list_leads(session, filters=filters, sort=sort, page=1, limit=LIMIT)
    assert result.total == len(expected(stored, filters, sort))
    (counted,) = query_plans(COUNT_QUERY)
    assert counted.startswith("SEARCH lead USING COVERING INDEX ix_lead_campaign_")
    assert "INTEGER PRIMARY KEY" not in counted


@pytest.mark.sqlite_only
def test_sqlite_looks_up_the_text_matches_when_the_filter_matches_many_more(
    session: Session,
    stored: list[Lead],
    query_plans: Callable[[str], list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A status matching more leads than the text (by ``1 / PROBE_COST``): each of the
    text's matches is looked up, where SQLite would walk the status's index."""
    monkeypatch.setattr(queries, "WALK_WITHOUT_COUNTING", 0)  # as at a million leads
    monkeypatch.setattr(queries, "PROBE_COST", 1.0)  # a test-sized ratio: 240 leads
    filters = LeadFilters(statuses=("new",), q="zeta")
    want = expected(stored, filters, "company")
    texts = sum("zeta" in (lead.company or "").lower() for lead in stored)
    assert want and texts < sum(lead.status == "new" for lead in stored)
    result = queries.list_leads(session, filters=filters, sort="company", page=1, limit=LIMIT)
    assert [lead.id for lead in result.leads] == want[:LIMIT] and result.total == len(want)
    (counted,) = query_plans(COUNT_QUERY)
    assert counted.startswith("SEARCH lead USING INTEGER PRIMARY KEY (rowid=?)")


def test_totals_of_the_counted_filters_read_lead_count_not_lead(
    session: Session, stored: list[Lead], engine: Any
) -> None:
    ran: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        ran.append(statement)

    filters = LeadFilters(statuses=("new", "contacted"), sources=("linkedin",), min_score=10)
    event.listen(engine, "before_cursor_execute", record)
    try:
        result = queries.list_leads(session, filters=filters, page=1, limit=LIMIT)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert result.total == len(expected(stored, filters, None))
    assert any("FROM lead_count" in statement for statement in ran)
    assert not any("count(*)" in statement and "FROM lead " in statement for statement in ran)


@pytest.mark.sqlite_only
def test_sqlite_finds_every_word_of_the_text_in_one_search(
    session: Session, stored: list[Lead], query_plans: Callable[[str], list[str]]
) -> None:
    """``zeta labs``: one query of the search index for the leads holding both words, not a
    set of matches per word (SQLite would look up each lead holding the commoner one)."""
    filters = LeadFilters(campaign_ids=("cmp_123",), q="zeta labs")
    want = expected(stored, LeadFilters(campaign_ids=("cmp_123",), q="zeta"), None)
    result = queries.list_leads(session, filters=filters, page=1, limit=LIMIT)
    assert result.total == len(want) and [lead.id for lead in result.leads] == want[:LIMIT]
    (page,) = query_plans(PAGE_QUERY)
    assert page.count("lead_search VIRTUAL TABLE") == 1
