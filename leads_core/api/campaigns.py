"""/v1/campaigns: thin routes over ``leads_core.services.campaigns``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from leads_core.access import Action
from leads_core.api.deps import SessionDep, SettingsDep
from leads_core.api.guard import needs
from leads_core.schemas import CampaignCreate, CampaignList, CampaignPublic, CampaignUpdate
from leads_core.services import campaigns as service
from leads_core.services import rescoring

router = APIRouter(prefix="/campaigns", tags=["campaigns"])


class RescoreResult(BaseModel):
    changed: int


@router.get("", response_model=CampaignList, summary="List campaigns")
def list_campaigns(session: SessionDep) -> CampaignList:
    rows = service.list_campaigns(session)
    return CampaignList(campaigns=[service.to_public(c) for c in rows], total=len(rows))


@router.post("", response_model=CampaignPublic, status_code=201, summary="Create campaign")
def create_campaign(data: CampaignCreate, session: SessionDep) -> CampaignPublic:
    return service.to_public(service.create_campaign(session, data=data))


@router.get("/{campaign_id}", response_model=CampaignPublic, summary="Get campaign")
def get_campaign(campaign_id: str, session: SessionDep) -> CampaignPublic:
    return service.to_public(service.get_campaign(session, campaign_id))


@router.patch("/{campaign_id}", response_model=CampaignPublic, summary="Update campaign")
def update_campaign(
    campaign_id: str, changes: CampaignUpdate, session: SessionDep
) -> CampaignPublic:
    return service.to_public(service.update_campaign(session, campaign_id, changes))


@router.delete(
    "/{campaign_id}",
    status_code=204,
    summary="Delete campaign",
    openapi_extra=needs(Action.DELETE_CAMPAIGN),
)
def delete_campaign(
    campaign_id: str,
    session: SessionDep,
    delete_leads: Annotated[
        bool,
        Query(alias="deleteLeads", description="Also delete the campaign's leads (else 409)"),
    ] = False,
) -> Response:
    service.delete_campaign(session, campaign_id, delete_leads=delete_leads)
    return Response(status_code=204)


@router.post(
    "/{campaign_id}/rescore", response_model=RescoreResult, summary="Re-score campaign leads"
)
def rescore_campaign(campaign_id: str, session: SessionDep, settings: SettingsDep) -> RescoreResult:
    changed = rescoring.rescore_campaign(session, campaign_id, region=settings.phone_region)
    return RescoreResult(changed=changed)
