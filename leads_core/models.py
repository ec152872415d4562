"""Data model in layers: ``*Base`` (shared fields, no table) -> table model, plus the
data models the API and the import read and write (``*Create``, ``*Update``, ``*Public``).

Table models use snake_case columns; the data models speak the API's camelCase through
pydantic aliases. Data models never inherit from table models.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
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
from sqlalchemy import JSON, Column, Index, Integer, UniqueConstraint, text
from sqlalchemy import Text as SqlText
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

JsonColumn = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    """Aware UTC timestamp (SQLModel's column type stores it as UTC on both engines)."""
    return datetime.now(UTC)


def iso_utc(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


UtcDateTime = Annotated[datetime, PlainSerializer(iso_utc, return_type=str)]


class LeadStatus(StrEnum):
    NEW = "new"
    CONTACTED = "contacted"
    REPLIED = "replied"
    QUALIFIED = "qualified"
    CONVERTED = "converted"
    REJECTED = "rejected"


LEAD_STATUSES: tuple[str, ...] = tuple(s.value for s in LeadStatus)

STATUS_SYNONYMS: dict[str, str] = {
    # HubSpot "Lead Status" and common CRM words, so exports import as they are.
    "open": "new",
    "attempted_to_contact": "contacted",
    "in_progress": "contacted",
    "connected": "replied",
    "open_deal": "qualified",
    "sql": "qualified",
    "mql": "qualified",
    "customer": "converted",
    "won": "converted",
    "unqualified": "rejected",
    "bad_timing": "rejected",
    "lost": "rejected",
}


def _status(value: Any) -> Any:
    """Case-insensitive status, with CRM synonyms."""
    if isinstance(value, str):
        key = value.strip().lower().replace(" ", "_").replace("-", "_")
        return STATUS_SYNONYMS.get(key, key)
    return value


def drop_nul(value: Any) -> Any:
    """NUL characters are not text (PostgreSQL cannot store them): dropped on input, so
    both engines store the same thing."""
    if isinstance(value, str) and "\x00" in value:
        return value.replace("\x00", "")
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


class Campaign(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    criteria: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JsonColumn, nullable=False)
    )
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


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


class ImportBatch(SQLModel, table=True):
    """One import request: where leads came from, for the home page and lead history."""

    __tablename__ = "import_batch"

    id: str = Field(primary_key=True, max_length=64)
    campaign_id: str = Field(foreign_key="campaign.id", max_length=64, ondelete="CASCADE")
    origin: str = Field(max_length=40)  # api-json, api-csv, cli, dashboard, seed
    filename: str | None = Field(default=None, max_length=500)
    imported: int = 0
    updated: int = 0
    skipped: int = 0
    errors: int = 0
    created_at: datetime = Field(default_factory=utcnow, index=True)


# ---------------------------------------------------------------- leads

SCORED_FIELDS: tuple[str, ...] = (
    "first_name",
    "last_name",
    "email",
    "company",
    "position",
    "source",
    "linkedin_url",
    "phone",
    "website",
)
"""Fields that feed the score or enrichment: changing one re-scores the lead."""


SORT_INDEX_COVER = ("id", "campaign_id", "status", "source", "quality_score")
"""What a sort index holds after its key: the tie-break, then the filtered columns."""


class LeadBase(SQLModel):
    first_name: str | None = Field(default=None, max_length=1000)
    last_name: str | None = Field(default=None, max_length=1000)
    email: str | None = Field(default=None, max_length=320)
    company: str | None = Field(default=None, max_length=1000)
    position: str | None = Field(default=None, max_length=1000)
    source: str | None = Field(default=None, max_length=100)
    linkedin_url: str | None = Field(default=None, max_length=1000)
    phone: str | None = Field(default=None, max_length=100)
    website: str | None = Field(default=None, max_length=1000)
    status: str = Field(default=LeadStatus.NEW.value, max_length=20)
    notes: str | None = Field(default=None, max_length=20000)


# Each write to a lead adds one to it (SQLAlchemy's version counter: an ORM UPDATE or
# DELETE matches the version it read, so two edits racing cannot both land). The API
# sends it as the ETag; ``PATCH``/``DELETE`` with ``If-Match`` answer 412 when it moved on.
LEAD_VERSION = Column("version", Integer, nullable=False, server_default=text("1"))


class Lead(LeadBase, table=True):
    __mapper_args__ = {"version_id_col": LEAD_VERSION}
    __table_args__ = (
        # The duplicate rule, backed by the database: one lead per email and one per
        # LinkedIn profile in a campaign (NULLs do not collide on either engine).
        UniqueConstraint("campaign_id", "email_key", name="uq_lead_campaign_email"),
        UniqueConstraint("campaign_id", "linkedin_key", name="uq_lead_campaign_linkedin"),
        # Each list sort has an index: the sort key, id (the tie-break), then every column
        # a list filters by, so a filtered page is read by walking one index in order,
        # never sorting and never reading a (2 KB) row (leads.list_leads, migration 0003;
        # the name sorts' indexes are on lower(...) and live in the migration only). The
        # campaign, status and source indexes serve those filters with the score sort, and
        # hold every column the dashboard's aggregates group or filter by, so a filtered
        # chart reads one index: 0.5 s instead of 4-5 s for status=new at a million leads.
        Index("ix_lead_campaign_score", "campaign_id", "quality_score", "id", "status", "source"),
        Index(
            "ix_lead_campaign_created",
            *("campaign_id", "created_at", "id", "status", "source", "quality_score"),
        ),
        Index("ix_lead_score", "quality_score", "id", "campaign_id", "status", "source"),
        Index("ix_lead_created", "created_at", *SORT_INDEX_COVER),  # + weekly counts
        Index("ix_lead_updated", "updated_at", *SORT_INDEX_COVER),
        Index(
            "ix_lead_status",
            *("status", "quality_score", "id", "source", "campaign_id", "created_at"),
        ),
        Index(
            "ix_lead_source",
            *("source", "quality_score", "id", "status", "campaign_id", "created_at"),
        ),
        Index("ix_lead_import", "import_id"),
    )

    id: str = Field(primary_key=True, max_length=64)
    campaign_id: str = Field(foreign_key="campaign.id", max_length=64, ondelete="CASCADE")
    import_id: str | None = Field(
        default=None, foreign_key="import_batch.id", max_length=64, ondelete="SET NULL"
    )
    search_text: str | None = Field(default=None, max_length=4000)  # see assess.search_text
    email_key: str | None = Field(default=None, max_length=320)
    linkedin_key: str | None = Field(default=None, max_length=1000)
    quality_score: int | None = None
    score_breakdown: dict[str, Any] | None = Field(default=None, sa_column=Column(JsonColumn))
    score_reasons: dict[str, Any] | None = Field(default=None, sa_column=Column(JsonColumn))
    enrichment: dict[str, Any] | None = Field(default=None, sa_column=Column(JsonColumn))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    version: int = Field(default=1, sa_column=LEAD_VERSION)


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


# ---------------------------------------------------------------- activity


class LeadActivity(SQLModel, table=True):
    """History of one lead: created, field and status changes, notes."""

    __tablename__ = "lead_activity"
    __table_args__ = (Index("ix_activity_lead_created", "lead_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    lead_id: str = Field(foreign_key="lead.id", max_length=64, ondelete="CASCADE")
    kind: str = Field(max_length=20)  # created | field_change | status_change | note | rescored
    field: str | None = Field(default=None, max_length=40)
    old_value: str | None = Field(default=None, max_length=20000)
    new_value: str | None = Field(default=None, max_length=20000)
    actor: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class ActivityPublic(ApiModel):
    kind: str
    field: str | None
    old_value: str | None
    new_value: str | None
    actor: str | None
    created_at: UtcDateTime


# ---------------------------------------------------------------- API keys


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_key"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    prefix: str = Field(max_length=20, index=True)
    key_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


# ---------------------------------------------------------------- idempotent requests


class IdempotentRequest(SQLModel, table=True):
    """The response to an import sent with an ``Idempotency-Key`` header, written in the
    import's own transaction: a retry with the same key gets this response back and
    imports nothing (``leads_core.idempotency``)."""

    __tablename__ = "idempotent_request"

    api_key_id: str = Field(
        foreign_key="api_key.id", primary_key=True, max_length=64, ondelete="CASCADE"
    )
    key: str = Field(primary_key=True, max_length=255)
    fingerprint: str = Field(max_length=64)  # SHA-256 of the endpoint and the request
    response: str = Field(sa_column=Column(SqlText, nullable=False))  # the JSON body sent
    created_at: datetime = Field(default_factory=utcnow, index=True)
