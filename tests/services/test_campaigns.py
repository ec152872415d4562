"""leads_core.services.campaigns: how many of a campaign's leads meet given criteria."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from leads_core.errors import NotFound
from leads_core.ingest import importing
from leads_core.ingest.options import ImportOptions
from leads_core.scoring.criteria import CampaignCriteria
from leads_core.services import campaigns

# position, source, phone
ROWS = [
    ("CTO", "linkedin", "+33 6 12 34 56 78"),
    ("Directeur Général", "LinkedIn", None),
    ("directeur general adjoint", "event", "+33 6 12 34 56 79"),
    ("Actor", "referral", " "),
    (None, None, "+33 6 12 34 56 70"),
]


@pytest.fixture
def seeded(session: Session, campaign: object) -> None:
    rows = [
        {"email": f"lead{i}@techcorp.com", "position": position, "source": source, "phone": phone}
        for i, (position, source, phone) in enumerate(ROWS)
    ]
    importing.import_leads(
        session, rows, ImportOptions(campaign_id="cmp_123", region="FR", max_rows=10)
    )


@pytest.mark.usefixtures("seeded")
def test_criteria_matches_count_as_scoring_reads_the_criteria(session: Session) -> None:
    wanted = CampaignCriteria.from_mapping(
        {
            "targetPositions": ["directeur général", "CTO"],
            "targetSources": ["linkedin"],
            "requiredFields": ["phone"],
        }
    )
    assert campaigns.criteria_matches(session, "cmp_123", wanted) == campaigns.CriteriaMatches(
        total=5, positions=3, sources=2, required=3, all=1
    )


@pytest.mark.usefixtures("seeded")
def test_criteria_matches_leave_unset_criteria_out(session: Session) -> None:
    wanted = CampaignCriteria.from_mapping({"targetSources": ["Referral"]})
    assert campaigns.criteria_matches(session, "cmp_123", wanted) == campaigns.CriteriaMatches(
        total=5, positions=None, sources=1, required=None, all=1
    )


@pytest.mark.usefixtures("campaign")
def test_criteria_matches_of_an_unknown_campaign(session: Session) -> None:
    with pytest.raises(NotFound):
        campaigns.criteria_matches(session, "cmp_nope", CampaignCriteria())
