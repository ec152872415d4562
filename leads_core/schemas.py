"""The data models the API and the import read and write (``*Create``, ``*Update``,
``*Public``): the API's camelCase through pydantic aliases, each value checked and cleaned.
The table models they are read from and written to are in ``leads_core.storage.models``;
data models never inherit from table models.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    StrictBool,
    StringConstraints,
    create_model,
)
from pydantic import Field as DataField
from pydantic.alias_generators import to_camel
from pydantic.json_schema import WithJsonSchema
from pydantic_core import PydanticCustomError

from leads_core import sizes, validation
from leads_core.clock import iso_utc
from leads_core.fields import (
    BY_NAME,
    FIELDS,
    LEAD_STATUSES,
    REQUIRABLE,
    STATUS_SYNONYMS,
    LeadField,
    LeadStatus,
)
from leads_core.text import drop_nul
from leads_core.validation import Check

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


def _attribute_text(value: Any) -> Any:
    """An attribute's value: text as it is (NUL dropped, trimmed); a JSON number or
    boolean as its text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return drop_nul(value).strip() if isinstance(value, str) else value


def _attribute_map(value: Any) -> Any:
    """Blank values dropped: an attribute holds text; an empty object is no attributes."""
    if isinstance(value, dict):
        value = {
            (drop_nul(k).strip() if isinstance(k, str) else k): v
            for k, v in value.items()
            if v is not None and not (isinstance(v, str) and not v.strip())
        }
        return value or None
    return value


_AttributeMap = Annotated[
    dict[
        Annotated[str, StringConstraints(min_length=1, max_length=sizes.ATTRIBUTE_KEY)],
        Annotated[
            str,
            StringConstraints(max_length=sizes.ATTRIBUTE_VALUE),
            BeforeValidator(_attribute_text),  # last: runs first, before the length check
        ],
    ],
    DataField(max_length=sizes.ATTRIBUTES),
]
Attributes = Annotated[
    _AttributeMap | None,
    BeforeValidator(_attribute_map),
    DataField(
        description="What the lead's file had beyond the lead fields: column header -> text "
        f"(at most {sizes.ATTRIBUTES}).",
    ),
]


def _optional_text(max_length: int, *, lower: bool = False) -> Any:
    """Optional string: surrounding spaces dropped, blank means missing, length capped."""
    text = Annotated[str, StringConstraints(max_length=max_length, to_lower=lower)]
    return Annotated[text | None, BeforeValidator(_blank_to_none)]


class ApiModel(BaseModel):
    """Base of every data model the API reads or writes: camelCase on the wire.

    Plain pydantic (not SQLModel) so validating 100,000 imported rows stays in pydantic's
    compiled core."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


# ---------------------------------------------------------------- campaigns


VISIBLE = r"[^\s\x00]"  # at least one character that is neither a space nor NUL
# Required strings with these constraints, NUL characters dropped first.
_Position = Annotated[
    str,
    StringConstraints(max_length=sizes.TARGET_POSITION, pattern=VISIBLE),
    BeforeValidator(drop_nul),
]
_SourceName = Annotated[
    str,
    StringConstraints(max_length=BY_NAME["source"].max_length, pattern=VISIBLE),
    BeforeValidator(drop_nul),
]
_CampaignName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=sizes.CAMPAIGN_NAME, pattern=VISIBLE),
    BeforeValidator(drop_nul),
]


class CampaignCriteria(ApiModel):
    """What a campaign targets; drives the "campaign criteria match" score component."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    target_positions: list[_Position] = DataField(
        default_factory=list, max_length=sizes.CRITERIA_ITEMS
    )
    target_sources: list[_SourceName] = DataField(
        default_factory=list, max_length=sizes.CRITERIA_ITEMS
    )
    required_fields: list[
        Annotated[str, StringConstraints(pattern=rf"^({'|'.join(REQUIRABLE)})$")]
    ] = DataField(default_factory=list, max_length=len(REQUIRABLE))


class CampaignCreate(ApiModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    id: Annotated[str, StringConstraints(pattern=r"^cmp_[A-Za-z0-9_-]{1,60}$")] | None = None
    name: _CampaignName
    criteria: CampaignCriteria = DataField(default_factory=CampaignCriteria)


class CampaignUpdate(ApiModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    name: _CampaignName | None = None
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


# The lead's data models are built from the field registry (``leads_core.fields``): a
# field added there is read, checked and answered by the API with nothing else to edit.
# mypy sees the classes below the TYPE_CHECKING guard; their fields come from FIELDS.


class _LeadInput(ApiModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", str_strip_whitespace=True
    )


class _LeadChanges(ApiModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


def _input(field: LeadField) -> tuple[Any, Any]:
    """A field as a client sends it: text trimmed, blank means missing; a status as a
    CRM word or one of ours, defaulting to new."""
    if field.kind == "status":
        return Annotated[LeadStatus, BeforeValidator(_status)], LeadStatus.NEW
    return _optional_text(field.max_length, lower=field.lower), None


def _checked(check: Check) -> Any:
    """An AfterValidator refusing a value that fails ``check`` (``leads_core.validation``)."""

    def refuse_bad(value: str | None) -> str | None:
        wrong = None if value is None else validation.problem(check, value)
        if wrong is not None:
            raise PydanticCustomError(f"invalid_{check}", "{problem}", {"problem": wrong})
        return value

    return AfterValidator(refuse_bad)


def _change(field: LeadField) -> tuple[Any, Any]:
    """A field in a partial update: absent means unchanged; an email, web site or LinkedIn
    link must look like one (``LeadField.check``)."""
    if field.kind == "status":
        # Documented without null: a lead always has a status (null is refused with 422).
        status = Annotated[
            LeadStatus | None,
            BeforeValidator(_status),
            WithJsonSchema({"type": "string", "enum": list(LEAD_STATUSES)}),
        ]
        return status, None
    text = _optional_text(field.max_length, lower=field.lower)
    return (Annotated[text, _checked(field.check)] if field.check else text), None


def _stored(field: LeadField) -> tuple[Any, Any]:
    """A field as the API answers it (required: always present, maybe null)."""
    return (str if field.kind == "status" else str | None), ...


OWNER_HELP = "The user who owns the lead (`usr_...`), or null: unassigned."
OWNER_PATTERN = r"^usr_[A-Za-z0-9_-]{1,60}$"
OWNER_LIST_PATTERN = r"^\s*(usr_[A-Za-z0-9_-]{1,60}(\s*,\s*usr_[A-Za-z0-9_-]{1,60})*)?\s*$"
OwnerId = Annotated[
    Annotated[str, StringConstraints(max_length=64)] | None,
    DataField(
        description="The user who owns the lead (an enabled user's `usr_...`); null unassigns."
    ),
]


def _public_fields() -> dict[str, tuple[Any, Any]]:
    """A lead in the list, in the contract's order: its id, the person, the score, the
    contact and pipeline fields, the campaign, the owner and when it was created."""
    listed = [f for f in FIELDS if f.listed]
    return {
        "id": (str, ...),
        **{f.name: _stored(f) for f in listed if f.section == "person"},
        "quality_score": (int | None, ...),
        **{f.name: _stored(f) for f in listed if f.section != "person"},
        "campaign_id": (str, ...),
        "owner_id": (str | None, DataField(description=OWNER_HELP)),
        "created_at": (UtcDateTime, ...),
    }


VERSION_HELP = (
    "Goes up by one with every change; also the `ETag` header. Send it back as "
    '`If-Match: "<version>"` on PATCH or DELETE to refuse (412) a stale write.'
)

if TYPE_CHECKING:

    class LeadCreate(ApiModel):
        def __getattr__(self, name: str) -> Any: ...

    class LeadUpdate(ApiModel):
        def __getattr__(self, name: str) -> Any: ...

    class LeadPublic(ApiModel):
        def __getattr__(self, name: str) -> Any: ...

    class LeadDetail(LeadPublic): ...

else:
    LeadCreate = create_model(
        "LeadCreate",
        __base__=_LeadInput,
        __doc__="One lead as a client sends it (JSON import, CSV row after header mapping).",
        __module__=__name__,
        **{f.name: _input(f) for f in FIELDS},
        attributes=(Attributes, None),
    )
    LeadUpdate = create_model(
        "LeadUpdate",
        __base__=_LeadChanges,
        __doc__="Partial update: only the fields present in the body change.",
        __module__=__name__,
        **{f.name: _change(f) for f in FIELDS if f.editable},
        attributes=(Attributes, None),
        owner_id=(OwnerId, None),
    )
    LeadPublic = create_model(
        "LeadPublic",
        __base__=ApiModel,
        __doc__="A lead in the list, in the document's field order.",
        __module__=__name__,
        **_public_fields(),
    )
    LeadDetail = create_model(
        "LeadDetail",
        __base__=LeadPublic,
        __doc__="``GET /v1/leads/{id}``: the list fields plus notes, score and enrichment.",
        __module__=__name__,
        **{f.name: _stored(f) for f in FIELDS if not f.listed},
        attributes=(
            Annotated[dict[str, str], BeforeValidator(lambda v: v or {})],
            DataField(default_factory=dict),
        ),
        updated_at=(UtcDateTime, ...),
        score_breakdown=(dict[str, int] | None, ...),
        score_reasons=(dict[str, str] | None, ...),
        enrichment=(dict[str, Any] | None, ...),
        version=(int, DataField(description=VERSION_HELP)),
    )


class ImportRowError(ApiModel):
    row: int
    field: str
    message: str


class ImportedLead(ApiModel):
    id: str
    quality_score: int | None
    status: str


class ImportDuplicate(ApiModel):
    """A row not imported as a new lead because it is already there: an earlier row of the
    same file (``repeatsRow``) or a lead of the campaign (``leadId``)."""

    row: int
    repeats_row: int | None = None
    lead_id: str | None = None


class CsvInfo(ApiModel):
    """How an uploaded file was read."""

    kind: str = DataField(default="csv", description="`csv` or `xlsx`")
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    sheets: list[str] = DataField(default_factory=list)
    header_row: int = 1
    mapping: dict[str, str | None] = DataField(
        description="Each column: the lead field it fills, `fullName` (split into first and "
        "last name), `attribute` (kept in the lead's attributes) or null (ignored)."
    )
    matched_by: dict[str, str | None] = DataField(
        default_factory=dict,
        description="How each column was matched: `header`, `values`, `mapping` or null.",
    )
    ignored_columns: list[str]
    attribute_columns: list[str] = DataField(default_factory=list)


class ImportResponse(ApiModel):
    imported: int
    skipped: int
    errors: list[ImportRowError]
    leads: list[ImportedLead]
    updated: int = 0
    import_id: str | None = DataField(
        default=None, description="The import in `GET /v1/imports/{id}`; null for a dry run."
    )
    dry_run: bool = False
    rows: int = DataField(default=0, description="Rows the request held.")
    in_file_duplicates: int = DataField(default=0, description="Rows repeating an earlier row.")
    already_in_campaign: int = DataField(
        default=0, description="Rows matching a lead the campaign already has."
    )
    duplicates: list[ImportDuplicate] = DataField(default_factory=list)
    warnings: list[ImportRowError] = DataField(
        default_factory=list,
        description="Rows imported with a value left out of its field: an email, website or "
        "linkedinUrl that is not one, kept in the lead's `attributes` under its column header "
        "(a JSON import: the field's label).",
    )
    csv: CsvInfo | None = DataField(default=None, exclude_if=lambda v: v is None)


class LeadImportRequest(ApiModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    campaign_id: str
    leads: list[Any] = DataField(
        description="Lead objects (fields of LeadCreate). Each is validated on its own: "
        "a bad lead is reported in `errors` and the others import.",
    )
    auto_score: StrictBool = True
    owner_id: (
        Annotated[str, StringConstraints(max_length=2000, pattern=OWNER_LIST_PATTERN)]
        | list[Annotated[str, StringConstraints(max_length=64, pattern=OWNER_PATTERN)]]
        | None
    ) = DataField(
        default=None,
        description="Who the new leads go to: a user id (`usr_...`), or a list of them to "
        "share the leads out in turn, in row order. A lead merged into "
        "(`onDuplicate=update`) gets one only if it has no owner. Each must be an enabled "
        "user (422 otherwise, before anything is imported).",
    )


class ActivityPublic(ApiModel):
    kind: str
    field: str | None
    old_value: str | None
    new_value: str | None
    actor: str | None
    created_at: UtcDateTime


class UserPublic(ApiModel):
    """A user as the API shows it (``GET /v1/me``)."""

    id: str | None = DataField(description="`usr_...`; null for the built-in system account")
    email: str | None
    name: str
    role: str = DataField(description="`admin`, `member` or `viewer`")
