"""leads_core.services.stats: the dashboard's aggregates, exact on a small known data set."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import NullPool, create_engine, make_url, text
from sqlmodel import Session

from leads_core.ingest import importing
from leads_core.ingest.options import ImportOptions
from leads_core.schemas import CampaignCreate
from leads_core.services import campaigns, leads, stats
from leads_core.services.queries import LeadFilters
from leads_core.storage import sql
from leads_core.storage.db import make_engine

pytestmark = pytest.mark.usefixtures("campaign")

# email, source, status, created (2025), position -> scores differ by position/source
ROWS = [
    ("a@techcorp.com", "linkedin", "new", (1, 6), "CTO"),  # Monday 6 January
    ("b@techcorp.com", "linkedin", "contacted", (1, 12), "CTO"),  # Sunday: same week
    ("c@techcorp.com", "referral", "replied", (1, 13), "Intern"),  # next Monday
    ("d@gmail.com", None, "rejected", (1, 13), None),
    ("e@techcorp.com", "event", "new", (2, 3), "VP Engineering"),
]


@pytest.fixture
def seeded(session: Session) -> list[str]:
    rows = [
        {
            "email": email,
            "firstName": "X",
            "lastName": "Y",
            "company": "TechCorp",
            "website": "techcorp.com",
            "source": source,
            "status": status,
            "position": position,
        }
        for email, source, status, _when, position in ROWS
    ]
    stamps = [datetime(2025, m, d, 10, tzinfo=UTC) for *_x, (m, d), _p in ROWS]
    outcome = importing.import_leads(
        session,
        rows,
        ImportOptions(campaign_id="cmp_123", region="FR", max_rows=10),
        timestamps=stamps,
    )
    return [lead.id for lead in outcome.leads]


def scores(session: Session, ids: list[str]) -> list[int]:
    return [leads.get_lead(session, i).quality_score for i in ids]


def test_score_summary_buckets_share_and_average(session: Session, seeded: list[str]) -> None:
    values = scores(session, seeded)
    summary = stats.score_summary(session, LeadFilters())
    assert summary.scored == 5 and summary.unscored == 0
    assert sum(summary.buckets.values()) == 5
    for value in values:
        assert summary.buckets[value // 5 * 5] >= 1
    assert summary.high_quality == sum(v >= 85 for v in values)
    assert summary.average == pytest.approx(sum(values) / 5)
    assert summary.high_share == pytest.approx(summary.high_quality / 5)


def test_score_summary_counts_unscored_leads(session: Session) -> None:
    importing.import_leads(
        session,
        [{"email": "u@x.io"}],
        ImportOptions(campaign_id="cmp_123", region="FR", max_rows=1, auto_score=False),
    )
    summary = stats.score_summary(session, LeadFilters())
    assert (summary.scored, summary.unscored, summary.average) == (0, 1, None)
    assert summary.high_share is None


def test_by_source_status_and_filters(session: Session, seeded: list[str]) -> None:
    by_source = {r.source: r.leads for r in stats.leads_by_source(session, LeadFilters())}
    assert by_source == {"linkedin": 2, "referral": 1, "event": 1, stats.NO_SOURCE: 1}
    statuses = stats.status_counts(session, LeadFilters())
    assert statuses == {
        "new": 2,
        "contacted": 1,
        "replied": 1,
        "qualified": 0,
        "converted": 0,
        "rejected": 1,
    }
    linkedin = LeadFilters(sources=("LinkedIn",))
    assert stats.status_counts(session, linkedin)["new"] == 1
    assert [r.source for r in stats.leads_by_source(session, linkedin)] == ["linkedin"]


def test_leads_per_week_start_on_monday(session: Session, seeded: list[str]) -> None:
    assert stats.leads_per_week(session, LeadFilters()) == [
        (date(2025, 1, 6), 2),
        (date(2025, 1, 13), 2),
        (date(2025, 2, 3), 1),
    ]
    assert stats.leads_per_week(session, LeadFilters(statuses=("new",))) == [
        (date(2025, 1, 6), 1),
        (date(2025, 2, 3), 1),
    ]


@pytest.mark.postgresql_only
def test_weeks_are_utc_whatever_the_servers_time_zone(db_url: str, settings) -> None:
    """Sunday 12 January 23:30 UTC is Monday 13 January in Tokyo: still the week of the 6th."""
    admin = create_engine(db_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        name = make_url(db_url).database
        connection.execute(text(f"ALTER DATABASE \"{name}\" SET timezone TO 'Asia/Tokyo'"))
    admin.dispose()
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        assert session.exec(text("SHOW timezone")).one()[0] == "UTC"  # ours, not Tokyo
        campaigns.create_campaign(session, data=CampaignCreate(id="cmp_tz", name="TZ"))
        importing.import_leads(
            session,
            [{"email": "late@techcorp.com"}],
            ImportOptions(campaign_id="cmp_tz", region="FR", max_rows=1),
            timestamps=[datetime(2025, 1, 12, 23, 30, tzinfo=UTC)],
        )
        assert stats.leads_per_week(session, LeadFilters(campaign_ids=("cmp_tz",))) == [
            (date(2025, 1, 6), 1)
        ]
    engine.dispose()


def test_week_start_from_julian_week_numbers() -> None:
    # JDN 2460682 is Monday 2025-01-06; every day of that week has week number 351526.
    assert 2460682 // 7 == 2460688 // 7 == 351526
    assert sql.week_start(351526) == date(2025, 1, 6)
    assert sql.week_start(datetime(2025, 1, 6)) == date(2025, 1, 6)


def test_campaign_comparison_and_workspace_counts(session: Session, seeded: list[str]) -> None:
    values = scores(session, seeded)
    (row,) = stats.campaign_comparison(session, LeadFilters())
    assert (row.campaign_id, row.name, row.leads) == ("cmp_123", "Q1 CTO outreach", 5)
    assert row.average_score == pytest.approx(sum(values) / 5)
    counts = stats.workspace_counts(session)
    assert (counts.leads, counts.campaigns, counts.scored) == (5, 1, 5)
    assert counts.high_quality == row.high_quality == sum(v >= 85 for v in values)
    assert stats.campaign_comparison(session, LeadFilters(q="nobody")) == []


def test_data_version_changes_with_every_kind_of_write(session: Session, seeded: list[str]) -> None:
    versions = [stats.data_version(session)]
    leads.set_status(session, seeded[:1], "qualified")
    versions.append(stats.data_version(session))
    leads.delete_leads(session, seeded[1:2])
    versions.append(stats.data_version(session))
    leads.add_note(session, seeded[2], "hello")
    versions.append(stats.data_version(session))
    assert len(set(versions)) == 4


def test_funnel_counts_leads_that_reached_each_stage() -> None:
    statuses = {"new": 4, "contacted": 0, "replied": 1, "qualified": 0, "converted": 2}
    assert stats.funnel_reached({**statuses, "rejected": 9}) == [
        ("new", 7),
        ("contacted", 3),
        ("replied", 3),
        ("qualified", 2),
        ("converted", 2),
    ]


def test_leads_per_week_with_a_minimum_score(session: Session, seeded: list[str]) -> None:
    values = scores(session, seeded)
    assert stats.leads_per_week(session, LeadFilters(min_score=0)) == stats.leads_per_week(
        session, LeadFilters()
    )
    top = max(values)
    weeks = stats.leads_per_week(session, LeadFilters(min_score=top))
    assert sum(n for _, n in weeks) == values.count(top)


def test_campaign_comparison_can_include_campaigns_without_leads(
    session: Session, seeded: list[str]
) -> None:
    from leads_core.schemas import CampaignCreate
    from leads_core.services import campaigns

    campaigns.create_campaign(session, data=CampaignCreate(name="Empty"))
    rows = stats.campaign_comparison(session, LeadFilters(), include_empty=True)
    assert [(r.name, r.leads, r.average_score, r.high_quality) for r in rows][-1] == (
        "Empty",
        0,
        None,
        0,
    )
    assert len(stats.campaign_comparison(session, LeadFilters())) == 1


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("filters", "index"),
    [
        (LeadFilters(), "ix_lead_created"),
        (LeadFilters(statuses=("new",), sources=("linkedin",), min_score=10), "ix_lead_created"),
        (LeadFilters(campaign_ids=("cmp_123",), statuses=("new",)), "ix_lead_campaign_created"),
    ],
)
def test_weekly_counts_read_leads_in_date_order_on_sqlite(
    session: Session,
    seeded: list[str],
    query_plans: Callable[[str], list[str]],
    filters: LeadFilters,
    index: str,
) -> None:
    """The weeks come out of an index ordered by date, not out of whichever other covering
    index SQLite would pick (four times slower at a million leads)."""
    stats.leads_per_week(session, filters)
    (plan,) = query_plans("SELECT CAST(julianday(lead.created_at)")
    assert plan.startswith(f"SEARCH lead USING COVERING INDEX {index} ("), plan
