"""``PATCH /v1/leads``: one change to many leads, one result per lead (thin: the work is
``leads_core.services.bulk.update_each``)."""

from __future__ import annotations

from fastapi import APIRouter

from leads_core.api.deps import PrincipalDep, SessionDep, SettingsDep
from leads_core.api.leads import etag, expected_version
from leads_core.bulk_schemas import BulkError, BulkLeadUpdate, BulkResult, BulkUpdateResponse
from leads_core.services import bulk
from leads_core.services import leads as service

router = APIRouter(prefix="/leads", tags=["leads"])


@router.patch(
    "",
    response_model=BulkUpdateResponse,
    summary="Update many leads",
)
def update_leads(
    body: BulkLeadUpdate,
    session: SessionDep,
    settings: SettingsDep,
    who: PrincipalDep,
) -> BulkUpdateResponse:
    """The same change to each lead of `ids`, as `PATCH /v1/leads/{lead_id}` would make it
    (history, re-score, checks), lead by lead: a lead that cannot be changed is reported in
    its result (404 not found, 409 duplicate email or LinkedIn URL, 412 `ifMatch` stale, 422
    a change this lead cannot take) and the others are changed all the same. The answer is
    200 with one result per id, in the order of `ids`. Invalid `changes`, more than 500 ids
    or an id named twice -> 422 for the whole request, and nothing changes."""
    expected = {lead_id: expected_version(tag) for lead_id, tag in (body.if_match or {}).items()}
    outcomes = bulk.update_each(
        session,
        body.ids,
        body.changes,
        region=settings.phone_region,
        actor=who.label,
        expected=expected,
    )
    results = [
        BulkResult(
            id=outcome.lead_id,
            status=200 if outcome.error is None else outcome.error.status,
            lead=None if outcome.lead is None else service.to_public(outcome.lead),
            etag=None if outcome.lead is None else etag(outcome.lead),
            error=None
            if outcome.error is None
            else BulkError(
                code=outcome.error.code,
                message=outcome.error.message,
                details=outcome.error.details,
            ),
        )
        for outcome in outcomes
    ]
    updated = sum(result.status == 200 for result in results)
    return BulkUpdateResponse(results=results, updated=updated, failed=len(results) - updated)
