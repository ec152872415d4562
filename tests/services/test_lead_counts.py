"""``lead_count`` (migration 0013) stays equal to counting the leads after every kind of
write, on both engines: inserts, imports, edits of each counted column, status changes,
re-scoring, deletes (one, several, matching filters, with a campaign), a rolled-back
write. ``queries.count_leads`` reads it, and must say what ``COUNT(*)`` says."""

from __future__ import annotations

import random
from typing import Any

import pytest
from sqlalchemy import func, text
from sqlmodel import Session, select

from leads_core.ingest import importing
from leads_core.ingest.options import ImportOptions
from leads_core.schemas import CampaignCreate, CampaignCriteria, CampaignUpdate, LeadUpdate
from leads_core.services import bulk, campaigns, lead_counts, leads, queries
from leads_core.services.queries import LeadFilters
from leads_core.storage.models import Lead

SOURCES = ("linkedin", "website", "referral", None)
FILTERS = [
    LeadFilters(),
    LeadFilters(statuses=("new",)),
    LeadFilters(statuses=("new", "qualified")),
    LeadFilters(sources=("linkedin",)),
    LeadFilters(sources=("website", "referral")),
    LeadFilters(min_score=30),
    LeadFilters(max_score=40),
    LeadFilters(min_score=10, max_score=60),
    LeadFilters(campaign_ids=("cmp_123",)),
    LeadFilters(campaign_ids=("cmp_123", "cmp_2"), statuses=("new",), sources=("website",)),
    LeadFilters(campaign_ids=("cmp_2",), min_score=20, statuses=("contacted",)),
]
KEY = (
    "SELECT campaign_id, status, coalesce(source, '') AS source, "
    "coalesce(quality_score, -1) AS score, count(*) FROM lead GROUP BY 1, 2, 3, 4"
)


def rows(count: int, rng: random.Random, prefix: str) -> list[dict[str, Any]]:
    return [
        {
            "firstName": rng.choice(["Ana", "Bob", None]),
            "lastName": f"{prefix}{i}",
            "email": f"{prefix}{i}@mail.io" if rng.random() < 0.8 else None,
            "company": rng.choice(["Acme", "Zeta Labs", None]),
            "position": rng.choice(["CTO", "VP Engineering", "intern", None]),
            "source": rng.choice(SOURCES),
            "phone": "+33 6 12 34 56 78" if rng.random() < 0.5 else None,
        }
        for i in range(count)
    ]


def assert_exact(session: Session) -> None:
    """Every key's count is the leads' count, no key is left at 0, and each filter's total
    is COUNT(*)."""
    session.expire_all()
    want = {tuple(row[:4]): row[4] for row in session.execute(text(KEY))}
    got = {
        tuple(row[:4]): row[4]
        for row in session.execute(
            text("SELECT campaign_id, status, source, quality_score, leads FROM lead_count")
        )
    }
    assert got == want
    for filters in FILTERS:
        counted = session.exec(
            select(func.count()).select_from(Lead).where(*queries.filter_clauses(filters))
        ).one()
        assert lead_counts.count(session, filters) == counted, filters
        assert queries.count_leads(session, filters=filters) == counted, filters
    everyone = session.exec(select(func.count()).select_from(Lead)).one()
    assert lead_counts.Counts(session).everyone() == everyone


@pytest.fixture
def two_campaigns(session: Session, campaign: Any) -> list[str]:
    other = campaigns.create_campaign(session, data=CampaignCreate(id="cmp_2", name="Two"))
    return [campaign.id, other.id]


def import_some(session: Session, campaign_id: str, count: int, prefix: str) -> None:
    options = ImportOptions(campaign_id=campaign_id, region="FR", max_rows=500)
    importing.import_leads(session, rows(count, random.Random(prefix), prefix), options)


def ids_of(session: Session, campaign_id: str | None = None) -> list[str]:
    statement = select(Lead.id).order_by(Lead.id)
    if campaign_id:
        statement = statement.where(Lead.campaign_id == campaign_id)
    return list(session.exec(statement).all())


def test_the_counts_follow_imports_edits_and_deletes(
    session: Session, two_campaigns: list[str]
) -> None:
    assert_exact(session)  # no lead: no key
    import_some(session, "cmp_123", 80, "a")
    import_some(session, "cmp_2", 50, "b")
    # rows without an email or phone may be skipped
    assert lead_counts.Counts(session).everyone() >= 100
    assert_exact(session)

    rng = random.Random(3)
    everyone = ids_of(session)
    leads.set_status(session, rng.sample(everyone, 30), "contacted")
    leads.set_status(session, rng.sample(everyone, 10), "qualified")
    assert_exact(session)

    first, second = everyone[0], everyone[1]
    leads.update_lead(session, first, LeadUpdate(source="website"), region="FR")
    leads.update_lead(session, second, LeadUpdate(source=None, phone=None), region="FR")
    leads.update_lead(session, everyone[2], LeadUpdate(position="CTO"), region="FR")  # re-score
    assert_exact(session)

    criteria = CampaignCriteria(target_positions=["intern"], target_sources=["website"])
    campaigns.update_campaign(session, "cmp_2", CampaignUpdate(criteria=criteria))  # re-scores
    assert_exact(session)

    leads.delete_lead(session, everyone[3])
    leads.delete_leads(session, everyone[4:9])
    bulk.delete_matching(session, LeadFilters(statuses=("qualified",)))
    assert_exact(session)

    campaigns.delete_campaign(session, "cmp_2", delete_leads=True)
    assert_exact(session)
    assert set(lead_counts.count(session, LeadFilters(campaign_ids=("cmp_2",))) or [0]) == {0}


def test_a_rolled_back_write_leaves_the_counts_as_they_were(
    session: Session, two_campaigns: list[str]
) -> None:
    import_some(session, "cmp_123", 20, "c")
    before = lead_counts.count(session, LeadFilters(statuses=("new",)))
    lead = session.get(Lead, ids_of(session)[0])
    assert lead is not None
    lead.status = "rejected"
    session.add(lead)
    session.flush()
    assert lead_counts.count(session, LeadFilters(statuses=("new",))) == (before or 0) - 1
    session.rollback()
    assert lead_counts.count(session, LeadFilters(statuses=("new",))) == before
    assert_exact(session)


def test_filters_lead_count_does_not_hold_are_counted_in_lead(
    session: Session, two_campaigns: list[str]
) -> None:
    import_some(session, "cmp_123", 30, "d")
    for filters in (
        LeadFilters(q="acme"),
        LeadFilters(owners=(None,)),
        LeadFilters(owners=()),
        LeadFilters(sources=("",)),  # '' is lead_count's "no source"
        LeadFilters(statuses=("new",), q="zeta"),
    ):
        assert not lead_counts.counted(filters)
        assert lead_counts.count(session, filters) is None
        counted = session.exec(
            select(func.count()).select_from(Lead).where(*queries.filter_clauses(filters))
        ).one()
        assert queries.count_leads(session, filters=filters) == counted
    assert lead_counts.counted(LeadFilters(q="  ", statuses=("new",)))  # no word: no filter
