"""The data models the API and the import read and write (``*Create``, ``*Update``,
``*Public``): the API's camelCase through pydantic aliases, each value checked and cleaned.
The table models they are read from and written to are in ``leads_core.storage.models``;
data models never inherit from table models.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    StrictBool,
    StringConstraints,
)
from pydantic import Field as DataField
from pydantic.alias_generators import to_camel
from pydantic.json_schema import WithJsonSchema

from leads_core.clock import iso_utc
from leads_core.fields import LEAD_STATUSES, STATUS_SYNONYMS, LeadStatus
from leads_core.text import drop_nul

UtcDateTime = Annotated[datetime, PlainSerializer(iso_utc, return_type=str)]


def _status(value: Any) -> Any:
    """Case-insensitive status, with CRM synonyms."""
    if isinstance(value, str):
        key = value.strip().lower().replace(" ", "_").replace("-", "_")
        return STATUS_SYNONYMS.get(key, key)
    return value


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str):
        value = drop_nul(value).strip()
        return value or None
    return value


def _text(*constraints: Any) -> Any:
    """A required string with those constraints, NUL characters dropped first."""
    return Annotated[str, *constraints, BeforeValidator(drop_nul)]


def _optional_text(max_length: int, *, lower: bool = False) -> Any:
    """Optional string: surrounding spaces dropped, blank means missing, length capped."""
    text = Annotated[str, StringConstraints(max_length=max_length, to_lower=lower)]
    return Annotated[text | None, BeforeValidator(_blank_to_none)]


Text = _optional_text(1000)
LongText = _optional_text(20000)
Email = _optional_text(320)
Phone = _optional_text(100)
Source = _optional_text(100, lower=True)


class ApiModel(BaseModel):
    """Base of every data model the API reads or writes: camelCase on the wire.

    Plain pydantic (not SQLModel) so validating 100,000 imported rows stays in pydantic's
    compiled core."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


# ---------------------------------------------------------------- campaigns


VISIBLE = r"[^\s\x00]"  # at least one character that is neither a space nor NUL


class CampaignCriteria(ApiModel):
    """What a campaign targets; drives the "campaign criteria match" score component."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    target_positions: list[_text(StringConstraints(max_length=200, pattern=VISIBLE))] = DataField(
        default_factory=list, max_length=100
    )
    target_sources: list[_text(StringConstraints(max_length=100, pattern=VISIBLE))] = DataField(
        default_factory=list, max_length=100
    )
    required_fields: list[
        Annotated[
            str,
            StringConstraints(
                pattern=r"^(firstName|lastName|email|company|position|linkedinUrl|phone|website|source)$"
            ),
        ]
    ] = DataField(default_factory=list, max_length=9)


class CampaignCreate(ApiModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    id: Annotated[str, StringConstraints(pattern=r"^cmp_[A-Za-z0-9_-]{1,60}$")] | None = None
    name: _text(StringConstraints(strip_whitespace=True, max_length=200, pattern=VISIBLE))
    criteria: CampaignCriteria = DataField(default_factory=CampaignCriteria)


class CampaignUpdate(ApiModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    name: (
        _text(StringConstraints(strip_whitespace=True, max_length=200, pattern=VISIBLE)) | None
    ) = None
    criteria: CampaignCriteria | None = None


class CampaignPublic(ApiModel):
    id: str
    name: str
    criteria: CampaignCriteria
    created_at: UtcDateTime
    updated_at: UtcDateTime


class CampaignList(ApiModel):
    campaigns: list[CampaignPublic]
    total: int


# ---------------------------------------------------------------- imports


class LeadCreate(ApiModel):
    """One lead as a client sends it (JSON import, CSV row after header mapping)."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", str_strip_whitespace=True
    )

    first_name: Text = None
    last_name: Text = None
    email: Email = None
    company: Text = None
    position: Text = None
    source: Source = None
    linkedin_url: Text = None
    phone: Phone = None
    website: Text = None
    status: Annotated[LeadStatus, BeforeValidator(_status)] = LeadStatus.NEW
    notes: LongText = None


class LeadUpdate(ApiModel):
    """Partial update: only the fields present in the body change."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    first_name: Text = None
    last_name: Text = None
    email: Email = None
    company: Text = None
    position: Text = None
    source: Source = None
    linkedin_url: Text = None
    phone: Phone = None
    website: Text = None
    # Documented without null: a lead always has a status (null is refused with 422).
    status: Annotated[
        LeadStatus | None,
        BeforeValidator(_status),
        WithJsonSchema({"type": "string", "enum": list(LEAD_STATUSES)}),
    ] = None
    notes: LongText = None


class LeadPublic(ApiModel):
    """A lead in the list, in the document's field order."""

    id: str
    first_name: str | None
    last_name: str | None
    email: str | None
    company: str | None
    position: str | None
    quality_score: int | None
    source: str | None
    linkedin_url: str | None
    phone: str | None
    website: str | None
    status: str
    campaign_id: str
    created_at: UtcDateTime


class LeadDetail(LeadPublic):
    """``GET /v1/leads/{id}``: the list fields plus notes, score and enrichment."""

    notes: str | None
    updated_at: UtcDateTime
    score_breakdown: dict[str, int] | None
    score_reasons: dict[str, str] | None
    enrichment: dict[str, Any] | None
    version: int = DataField(
        description="Goes up by one with every change; also the `ETag` header. Send it back "
        'as `If-Match: "<version>"` on PATCH or DELETE to refuse (412) a stale write.'
    )


class LeadPage(ApiModel):
    leads: list[LeadPublic]
    total: int
    page: int
    total_pages: int


class ImportRowError(ApiModel):
    row: int
    field: str
    message: str


class ImportedLead(ApiModel):
    id: str
    quality_score: int | None
    status: str


class CsvInfo(ApiModel):
    encoding: str
    delimiter: str
    mapping: dict[str, str | None]
    ignored_columns: list[str]


class ImportResponse(ApiModel):
    imported: int
    skipped: int
    errors: list[ImportRowError]
    leads: list[ImportedLead]
    updated: int = 0
    csv: CsvInfo | None = DataField(default=None, exclude_if=lambda v: v is None)


class LeadImportRequest(ApiModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    campaign_id: str
    leads: list[Any] = DataField(
        description="Lead objects (fields of LeadCreate). Each is validated on its own: "
        "a bad lead is reported in `errors` and the others import.",
    )
    auto_score: StrictBool = True


class ActivityPublic(ApiModel):
    kind: str
    field: str | None
    old_value: str | None
    new_value: str | None
    actor: str | None
    created_at: UtcDateTime
