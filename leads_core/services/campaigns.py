"""Campaign service functions: create, read, list, rename, change criteria, delete, and
how many of a campaign's leads meet given criteria."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from leads_core.clock import utcnow
from leads_core.errors import Conflict, NotFound
from leads_core.ids import new_id
from leads_core.schemas import CampaignCreate, CampaignCriteria, CampaignPublic, CampaignUpdate
from leads_core.scoring import criteria
from leads_core.scoring.criteria import normalize_source
from leads_core.storage.models import Campaign, Lead
from leads_core.text import text_or_none
from leads_core.webhooks.events import Hooks


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
    hooks = Hooks(session)  # a lead.deleted per lead, when subscribed
    hooks.delete(delete(Lead).where(col(Lead.campaign_id) == campaign_id))
    hooks.write()
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


@dataclass(frozen=True)
class CriteriaMatches:
    """How many of a campaign's ``total`` leads meet each criterion (None: the criteria do
    not set it) and all of the set ones at once."""

    total: int
    positions: int | None
    sources: int | None
    required: int | None
    all: int


def criteria_matches(
    session: Session, campaign_id: str, wanted: criteria.CampaignCriteria
) -> CriteriaMatches:
    """Count the campaign's leads meeting ``wanted`` as scoring reads it (whole-word
    positions, accents ignored; normalized sources; required fields filled).

    One GROUP BY over (position, source, required fields filled): the distinct titles and
    sources are matched here with the scoring's own rules, never the leads one by one."""
    get_campaign(session, campaign_id)
    keys: list[Any] = [col(Lead.position), col(Lead.source)]
    filled = _required_filled(wanted.required_fields)
    if filled is not None:
        keys.append(filled)
    found = session.exec(
        select(*keys, func.count())  # type: ignore[call-overload]  # 3 or 4 columns
        .where(Lead.campaign_id == campaign_id)
        .group_by(*keys)
    ).all()
    rows = [(row[0], row[1], row[2] if filled is not None else 1, row[-1]) for row in found]
    total = positions = sources = required = every = 0
    for position, source, all_filled, count in rows:
        position_ok = _position_met(wanted, position)
        source_ok = _source_met(wanted, source)
        required_ok = bool(all_filled)
        total += count
        positions += count if position_ok else 0
        sources += count if source_ok else 0
        required += count if required_ok else 0
        every += count if position_ok and source_ok and required_ok else 0
    return CriteriaMatches(
        total=total,
        positions=positions if wanted.target_positions else None,
        sources=sources if wanted.target_sources else None,
        required=required if wanted.required_fields else None,
        all=every,
    )


def _required_filled(required: tuple[str, ...]) -> Any:
    """1 when every required field of the lead holds text, else 0; None: none required."""
    columns = [getattr(Lead, criteria.snake_name(name)) for name in required]
    if not columns:
        return None
    condition = and_(*(and_(c.is_not(None), func.trim(c) != "") for c in columns))
    return case((condition, 1), else_=0)


def _position_met(wanted: criteria.CampaignCriteria, position: str | None) -> bool:
    if not wanted.target_positions:
        return True
    text = text_or_none(position)
    return text is not None and wanted.matching_position(text) is not None


def _source_met(wanted: criteria.CampaignCriteria, source: str | None) -> bool:
    if not wanted.target_sources:
        return True
    text = text_or_none(source)
    return text is not None and normalize_source(text) in wanted.normalized_sources
