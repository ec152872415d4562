"""The data models of ``PATCH /v1/leads``: one change applied to many leads, answered with
one result per lead (beside ``leads_core.schemas``, whose base and conventions they share)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, StringConstraints
from pydantic import Field as DataField
from pydantic.alias_generators import to_camel

from leads_core.schemas import ApiModel, LeadPublic, LeadUpdate

MAX_IDS = 500
"""Leads one ``PATCH /v1/leads`` changes at most."""
LeadId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
ETag = Annotated[str, StringConstraints(pattern=r'^\s*(\*|"?\d{1,18}"?)\s*$')]


class BulkLeadUpdate(ApiModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    ids: list[LeadId] = DataField(
        min_length=1,
        max_length=MAX_IDS,
        json_schema_extra={"uniqueItems": True},  # bulk.check_changes: 422 naming ids
        description=f"The leads to change, each once (at most {MAX_IDS}); the results come in "
        "this order.",
    )
    changes: LeadUpdate = DataField(
        description="What `PATCH /v1/leads/{lead_id}` takes: the fields present change, on "
        "every lead. Checked once: invalid changes -> 422 for the whole request."
    )
    if_match: dict[LeadId, ETag] | None = DataField(
        default=None,
        description='Optional, lead id -> the ETag you read (`"3"`): that lead is changed '
        "only if it is still at that version (else its result is 412). Leads not named are "
        "changed whatever their version.",
    )


class BulkError(ApiModel):
    code: str = DataField(description="`not_found`, `conflict`, `precondition_failed`...")
    message: str
    details: list[dict[str, Any]]


class BulkResult(ApiModel):
    id: str
    status: int = DataField(
        description="What `PATCH /v1/leads/{lead_id}` would have answered: 200, 404, 409, "
        "412 or 422."
    )
    lead: LeadPublic | None = DataField(description="The lead as changed (200), else null.")
    etag: str | None = DataField(description="The lead's new ETag (200), else null.")
    error: BulkError | None = DataField(description="Why it was not changed, else null.")


class BulkUpdateResponse(ApiModel):
    results: list[BulkResult]
    updated: int = DataField(description="Results with status 200.")
    failed: int = DataField(description="The other results.")
