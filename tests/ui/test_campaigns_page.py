"""The Campaigns page: a row opens its leads, saving criteria counts the matching leads and
re-scores them, the table shows the new averages at once, deleting confirms."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlmodel import Session, func, select
from streamlit.testing.v1 import AppTest

from leads_core.ingest import importing
from leads_core.ingest.options import ImportOptions
from leads_core.schemas import CampaignCriteria, CampaignUpdate
from leads_core.scoring.criteria import CampaignCriteria as ScoringCriteria
from leads_core.services import campaigns
from leads_core.storage.models import Campaign, Lead
from tests.conftest import FIXTURES

Open = Callable[..., AppTest]


@pytest.fixture
def sample(ui_session: Session, campaign: Campaign) -> Campaign:
    """The 34 leads of sample_leads.csv in ``cmp_123``."""
    outcome = importing.import_file(
        ui_session,
        (FIXTURES / "sample_leads.csv").read_bytes(),
        ImportOptions(
            campaign_id=campaign.id,
            region="FR",
            max_rows=1000,
            max_bytes=10_000_000,
            filename="sample_leads.csv",
        ),
    )
    assert outcome.imported == 34
    return campaign


def _average(session: Session, campaign_id: str) -> float:
    session.expire_all()
    average = session.exec(
        select(func.avg(Lead.quality_score)).where(Lead.campaign_id == campaign_id)
    ).one()
    return round(float(average), 1)


def _shown_average(at: AppTest, name: str) -> float:
    table = at.dataframe[0].value
    return float(table[table["Campaign"] == name].iloc[0]["Average score"])


def test_rescore_shows_the_new_average_at_once(
    open_page: Open, sample: Campaign, ui_session: Session
) -> None:
    """Issue 17: after "Re-score" the table kept the old average until a reload."""
    at = open_page("campaigns")
    before = _shown_average(at, sample.name)
    assert before == _average(ui_session, sample.id)
    campaigns.update_campaign(
        ui_session,
        sample.id,
        CampaignUpdate(criteria=CampaignCriteria(target_positions=["Intern"])),
    )
    at.button(key="rescore").click().run()
    after = _average(ui_session, sample.id)
    assert after != before
    assert _shown_average(at, sample.name) == after


def test_saving_criteria_says_how_many_leads_match_and_rescores(
    open_page: Open, sample: Campaign, ui_session: Session
) -> None:
    at = open_page("campaigns")
    positions = next(m for m in at.multiselect if m.key.endswith("_positions") and "edit" in m.key)
    positions.set_value(["CTO"])
    sources = next(m for m in at.multiselect if m.key.endswith("_sources") and "edit" in m.key)
    sources.set_value([])
    next(b for b in at.button if b.label == "Save campaign").click().run()
    matches = campaigns.criteria_matches(
        ui_session, sample.id, ScoringCriteria(target_positions=("CTO",))
    )
    assert 0 < matches.positions < 34
    assert at.info[0].value == f"{matches.positions} of 34 leads match the target positions\\."
    assert _shown_average(at, sample.name) == _average(ui_session, sample.id)


def test_delete_asks_first_then_deletes_the_leads(
    open_page: Open, sample: Campaign, ui_session: Session
) -> None:
    at = open_page("campaigns")
    assert "Delete **Q1 CTO outreach** and its 34 leads?" in at.warning[0].value
    at.button(key="delete").click().run()
    ui_session.expire_all()
    assert ui_session.exec(select(func.count()).select_from(Lead)).one() == 0
    assert "No campaign yet" in at.info[0].value
