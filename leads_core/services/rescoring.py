"""Re-scoring: every scored lead of a campaign scored again against its current criteria,
in chunks so memory stays flat."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import bindparam, update
from sqlmodel import Session, col, select

from leads_core.clock import utcnow
from leads_core.scoring.assess import assess
from leads_core.scoring.criteria import CampaignCriteria
from leads_core.services import campaigns
from leads_core.services.leads import scored_fields
from leads_core.services.queries import LeadFilters, count_leads
from leads_core.storage.models import Lead


def rescore_leads(
    session: Session,
    *,
    campaign_id: str,
    criteria: CampaignCriteria,
    region: str,
    progress: Callable[[int, int], object] | None = None,  # what it returns is unused
    chunk: int = 2000,
) -> int:
    """Score every scored lead of the campaign again (leads stored with ``autoScore: false``
    stay unscored); returns how many scores changed."""
    total = count_leads(session, filters=LeadFilters(campaign_ids=(campaign_id,), min_score=0))
    done = changed = 0
    last_id = ""
    statement = (
        update(Lead)
        .where(col(Lead.id) == bindparam("lead_id"))
        .values(
            quality_score=bindparam("quality_score"),
            score_breakdown=bindparam("score_breakdown"),
            score_reasons=bindparam("score_reasons"),
            updated_at=bindparam("updated_at"),
            version=Lead.version + 1,
        )
    )
    while True:
        rows: Sequence[Lead] = session.exec(
            select(Lead)
            .where(
                Lead.campaign_id == campaign_id,
                col(Lead.quality_score).is_not(None),
                col(Lead.id) > last_id,
            )
            .order_by(col(Lead.id))
            .limit(chunk)
        ).all()
        if not rows:
            break
        now = utcnow()
        params = []
        for lead in rows:
            result = assess(scored_fields(lead), criteria, score=True, region=region)
            if (
                result.quality_score != lead.quality_score
                or result.score_breakdown != lead.score_breakdown
            ):
                changed += 1
            params.append(
                {
                    "lead_id": lead.id,
                    "quality_score": result.quality_score,
                    "score_breakdown": result.score_breakdown,
                    "score_reasons": result.score_reasons,
                    "updated_at": now,
                }
            )
        session.connection().execute(statement, params)
        session.commit()
        session.expunge_all()
        last_id = rows[-1].id
        done += len(rows)
        if progress:
            progress(done, total)
    return changed


def rescore_campaign(
    session: Session,
    campaign_id: str,
    *,
    region: str,
    progress: Callable[[int, int], object] | None = None,  # what it returns is unused
    chunk: int = 2000,
) -> int:
    """Re-score every scored lead of a campaign against its current criteria.

    Works in chunks (keyset on id) so memory stays flat; returns how many leads changed."""
    campaign = campaigns.get_campaign(session, campaign_id)
    return rescore_leads(
        session,
        campaign_id=campaign.id,
        criteria=campaigns.scoring_criteria(campaign),
        region=region,
        progress=progress,
        chunk=chunk,
    )
