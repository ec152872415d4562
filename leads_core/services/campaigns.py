"""Campaign service functions: create, read, list, rename, change criteria, delete."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from leads_core.clock import utcnow
from leads_core.errors import Conflict, NotFound
from leads_core.ids import new_id
from leads_core.schemas import CampaignCreate, CampaignCriteria, CampaignPublic, CampaignUpdate
from leads_core.scoring import criteria
from leads_core.storage.models import Campaign, Lead


def create_campaign(session: Session, *, data: CampaignCreate) -> Campaign:
    campaign = Campaign(
        id=data.id or new_id("cmp"),
        name=data.name,
        criteria=data.criteria.model_dump(by_alias=True),
    )
    session.add(campaign)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"campaign {data.id!r} already exists") from None
    session.refresh(campaign)
    return campaign


def get_campaign(session: Session, campaign_id: str, *, reload: bool = False) -> Campaign:
    """The campaign (404 if none); ``reload``: as stored now, not as this session last saw it."""
    campaign = session.get(Campaign, campaign_id, populate_existing=reload)
    if campaign is None:
        raise NotFound(f"campaign {campaign_id!r} not found")
    return campaign


def list_campaigns(session: Session) -> list[Campaign]:
    return list(session.exec(select(Campaign).order_by(col(Campaign.created_at), col(Campaign.id))))


def names(session: Session) -> dict[str, str]:
    """Campaign id -> name, in one query (an export's ``Campaign`` column)."""
    return dict(session.exec(select(Campaign.id, Campaign.name)).all())


def count_campaigns(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Campaign)).one()


def update_campaign(session: Session, campaign_id: str, changes: CampaignUpdate) -> Campaign:
    campaign = get_campaign(session, campaign_id)
    if changes.name is not None:
        campaign.name = changes.name
    if changes.criteria is not None:
        campaign.criteria = changes.criteria.model_dump(by_alias=True)
    campaign.updated_at = utcnow()
    session.add(campaign)
    session.commit()
    session.refresh(campaign)
    return campaign


def delete_campaign(session: Session, campaign_id: str, *, delete_leads: bool = False) -> None:
    """Refuses (409) to drop a campaign that still has leads unless ``delete_leads``."""
    campaign = get_campaign(session, campaign_id)
    has_leads = session.exec(
        select(Lead.id).where(Lead.campaign_id == campaign_id).limit(1)
    ).first()
    if has_leads and not delete_leads:
        raise Conflict(
            f"campaign {campaign_id!r} still has leads; pass deleteLeads=true to delete them too"
        )
    session.exec(delete(Lead).where(col(Lead.campaign_id) == campaign_id))
    session.delete(campaign)
    session.commit()


def scoring_criteria(campaign: Campaign | None) -> criteria.CampaignCriteria:
    """A campaign's criteria for scoring; None: a campaign not created yet (none)."""
    return criteria.CampaignCriteria.from_mapping(campaign.criteria if campaign else {})


def to_public(campaign: Campaign) -> CampaignPublic:
    return CampaignPublic(
        id=campaign.id,
        name=campaign.name,
        criteria=CampaignCriteria.model_validate(campaign.criteria or {}),
        created_at=campaign.created_at,
        updated_at=campaign.updated_at,
    )
