"""/v1/leads: thin routes over ``leads_core.services.leads`` and ``leads_core.ingest.importing``."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Annotated, Any, Literal, Protocol

from fastapi import APIRouter, File, Form, Header, Query, Response, UploadFile
from pydantic.json_schema import SkipJsonSchema
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from leads_core import sizes
from leads_core.api.deps import PrincipalDep, SessionDep, SettingsDep
from leads_core.errors import ValidationFailed
from leads_core.fields import LEAD_STATUSES
from leads_core.files.headers import parse_mapping_json
from leads_core.ingest import idempotency, importing
from leads_core.ingest.options import BeforeCommit, ImportOptions, ImportOutcome, owner_ids
from leads_core.schemas import (
    OWNER_LIST_PATTERN,
    ActivityPublic,
    ImportResponse,
    LeadDetail,
    LeadImportRequest,
    LeadPage,
    LeadUpdate,
)
from leads_core.services import leads as service
from leads_core.services import queries

router = APIRouter(prefix="/leads", tags=["leads"])
JSON = "application/json"

# Optional headers; not nullable, as a header cannot be null.
IdempotencyKeyHeader = Annotated[
    str | SkipJsonSchema[None],
    Header(
        alias=idempotency.HEADER,
        description="Any unique string (a UUID) naming this import: a retry with the same "
        "key within 24 hours returns the first response (with `Idempotent-Replayed: true`) "
        "and imports nothing twice; the same key with another request -> 422.",
        json_schema_extra={"pattern": idempotency.KEY_PATTERN},  # checked by idempotency
    ),
]
IfMatchHeader = Annotated[
    str | SkipJsonSchema[None],
    Header(
        alias="If-Match",
        description='The ETag you were given (the version, e.g. `"3"`): the write is '
        "refused with 412 when the lead or task has changed since. `*` matches any version.",
        json_schema_extra={"pattern": r'^\s*(\*|"?\d{1,18}"?)\s*$'},  # expected_version()
    ),
]
_ETAG = re.compile(r'"?(\d{1,18})"?')  # ours are strong ("3"); weak ones never match
ETAG_HEADER = {
    "ETag": {
        "description": 'The version, quoted (`"3"`): send it as `If-Match`.',
        "schema": {"type": "string"},
    }
}
IMPORT_HEADERS = {
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored response to an earlier request "
        "with the same `Idempotency-Key` (nothing was imported this time).",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "Server-Timing": {
        "description": "Milliseconds spent preparing the rows (`prepare`) and with the "
        "write transaction open (`write`), e.g. `prepare;dur=812.4, write;dur=950.2`.",
        "schema": {"type": "string"},
    },
}


class Versioned(Protocol):
    version: int


def etag(row: Versioned) -> str:
    """A lead's or a task's version, as its ETag."""
    return f'"{row.version}"'


def expected_version(if_match: str | None) -> int | None:
    """The version an ``If-Match`` header asks for; None for no header or ``*``."""
    if if_match is None or if_match.strip() == "*":
        return None
    found = _ETAG.fullmatch(if_match.strip())
    if found is None:
        raise ValidationFailed(
            'If-Match: send the one ETag this API returned, such as "3" (or *)',
            details=[{"field": "If-Match", "message": "not an ETag of this API"}],
        )
    return int(found.group(1))


def import_body(outcome: ImportOutcome) -> str:
    return outcome.response().model_dump_json(by_alias=True)


def server_timing(outcome: ImportOutcome) -> dict[str, str]:
    """``Server-Timing: prepare;dur=…, write;dur=…`` (milliseconds): how long the rows took
    to prepare, and how long the write transaction - the database's write lock - was open."""
    if not outcome.timings:
        return {}
    parts = (f"{name};dur={seconds * 1000:.1f}" for name, seconds in outcome.timings.items())
    return {"Server-Timing": ", ".join(parts)}


def _answer_import(
    session: Session,
    pending: idempotency.Request | None,
    run: Callable[[BeforeCommit | None], ImportOutcome],
) -> Response:
    """Run an import; under an ``Idempotency-Key``, at most once per key."""
    if pending is None:
        outcome = run(None)
        return Response(import_body(outcome), media_type=JSON, headers=server_timing(outcome))
    replayed = {"Idempotent-Replayed": "true"}
    stored = pending.replay(session)
    if stored is not None:
        return Response(stored, media_type=JSON, headers=replayed)
    try:
        outcome = run(pending.recorder(import_body))
    except IntegrityError:  # a request with this key committed first: ours rolled back
        stored = pending.replay(session)
        if stored is None:
            raise
        return Response(stored, media_type=JSON, headers=replayed)
    return Response(import_body(outcome), media_type=JSON, headers=server_timing(outcome))


def _pending(
    who: PrincipalDep, header: str | None, endpoint: str, parts: Iterable[bytes | str]
) -> idempotency.Request | None:
    return idempotency.request(who.key_id or "", header, endpoint, parts)


DryRunQuery = Annotated[
    bool,
    Query(
        alias="dryRun",
        description="`true`: answer what the import would do (new leads, repeats inside the "
        "request, leads already in the campaign, errors) and write nothing.",
    ),
]
OnDuplicateQuery = Annotated[
    Literal["skip", "update"],
    Query(
        alias="onDuplicate",
        description="What to do with a lead already in the campaign: `skip` it (counted in "
        "`skipped`) or `update` it with the new non-empty fields and re-score.",
    ),
]


def _values(name: str, each: str, description: str) -> Any:
    """A multi-value query parameter: ``each`` is one value's pattern."""
    return Query(
        alias=name,
        max_length=MULTI_LENGTH,
        json_schema_extra={"pattern": rf"^\s*({each}(\s*,\s*{each})*)?\s*$"},
        description=description,
    )


MULTI_LENGTH = 4000  # room for queries.MAX_VALUES values
DATE_PATTERN = r"^\s*(\d{4}-\d{2}-\d{2})?\s*$"
STATUS_VALUE = "(" + "|".join(LEAD_STATUSES) + ")"
OWNER_VALUE = r"(me|none|usr_[A-Za-z0-9_-]{1,60})"
SEVERAL = f"several comma-separated (at most {queries.MAX_VALUES})"


def _day(alias: str, description: str) -> Any:
    return Query(
        alias=alias,
        max_length=40,
        json_schema_extra={"pattern": DATE_PATTERN},
        description=description + " An ISO date (`2026-01-31`), inclusive, in UTC.",
    )


@router.get("", response_model=LeadPage, summary="List leads")
def list_leads(
    session: SessionDep,
    who: PrincipalDep,
    campaign_id: Annotated[
        str | None,
        _values("campaignId", r"cmp_[A-Za-z0-9_-]{1,60}", f"Campaign ids, {SEVERAL}."),
    ] = None,
    min_score: Annotated[
        int | None, Query(alias="minScore", ge=0, le=100, description="Score at least (0-100).")
    ] = None,
    max_score: Annotated[
        int | None, Query(alias="maxScore", ge=0, le=100, description="Score at most (0-100).")
    ] = None,
    source: Annotated[
        str | None,
        _values("source", r"[^,]{1,100}", f"Sources, {SEVERAL}; case does not matter."),
    ] = None,
    status: Annotated[
        str | None,
        _values("status", STATUS_VALUE, f"Statuses, {SEVERAL}: `status=new,contacted`."),
    ] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=sizes.SEARCH,
            description="Words, each found in the name, email, company, position, notes or "
            "attributes (case and accents ignored).",
        ),
    ] = None,
    sort: Annotated[
        str | None,
        Query(
            max_length=40,
            # Documented, not enforced here: queries.parse_sort's 422 names the sortable fields.
            json_schema_extra={"pattern": rf"^\s*([-+]?({'|'.join(queries.SORTABLE)}))?\s*$"},
            description="Field to sort by, `-` for descending: qualityScore, createdAt, "
            "updatedAt, firstName, lastName, company, email, status. Default `-createdAt`.",
        ),
    ] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    limit: Annotated[int, Query(ge=1, le=queries.MAX_LIMIT)] = 50,
    owner_id: Annotated[
        str | None,
        _values(
            "ownerId",
            OWNER_VALUE,
            f"Owners, {SEVERAL}. Empty: any owner. `me`: the leads of the key's user (a key "
            "of the system account, which owns no lead, matches none); `none`: unassigned "
            "leads; `usr_...`: that user's leads (an unknown user -> 422).",
        ),
    ] = None,
    created_from: Annotated[
        str | None, _day("createdFrom", "Leads created on or after this day.")
    ] = None,
    created_to: Annotated[
        str | None, _day("createdTo", "Leads created on or before this day.")
    ] = None,
    activity_from: Annotated[
        str | None,
        _day(
            "lastActivityFrom",
            "Leads someone last worked on (an edit, a note, a call, a task; not a re-score) "
            "on or after this day.",
        ),
    ] = None,
    activity_to: Annotated[
        str | None, _day("lastActivityTo", "Leads last worked on on or before this day.")
    ] = None,
) -> Response:
    raw = {
        "campaignId": campaign_id,
        "minScore": None if min_score is None else str(min_score),
        "maxScore": None if max_score is None else str(max_score),
        "source": source,
        "status": status,
        "q": q,
        "ownerId": owner_id,
        "createdFrom": created_from,
        "createdTo": created_to,
        "lastActivityFrom": activity_from,
        "lastActivityTo": activity_to,
    }
    params = {name: value for name, value in raw.items() if value is not None}
    filters = queries.filters_from_params(params, me=who.user_id)
    result = queries.list_leads(session, filters=filters, page=page, limit=limit, sort=sort)
    body = LeadPage(
        leads=[service.to_public(lead) for lead in result.leads],
        total=result.total,
        page=result.page,
        total_pages=result.total_pages,
    )
    # Serialized here, once: FastAPI would validate the 200 leads again against
    # response_model and encode them through plain Python objects (8 of 21 ms per page).
    return Response(body.model_dump_json(by_alias=True), media_type="application/json")


@router.post(
    "",
    response_model=ImportResponse,
    summary="Import new leads",
    responses={200: {"headers": IMPORT_HEADERS}},
)
def import_leads(
    body: LeadImportRequest,
    session: SessionDep,
    settings: SettingsDep,
    who: PrincipalDep,
    on_duplicate: OnDuplicateQuery = "skip",
    dry_run: DryRunQuery = False,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    def run(before_commit: BeforeCommit | None) -> ImportOutcome:
        return importing.import_leads(
            session,
            body.leads,
            ImportOptions.from_settings(
                settings,
                campaign_id=body.campaign_id,
                auto_score=body.auto_score,
                on_duplicate=on_duplicate,
                dry_run=dry_run,
                origin="api-json",
                actor=who.label,
                owners=owner_ids(body.owner_id),
                before_commit=before_commit,
            ),
        )

    # Without an owner, the body's fingerprint is what it was before ownerId existed.
    unowned = {"owner_id"} if body.owner_id is None else None
    parts = (body.model_dump_json(by_alias=True, exclude=unowned), on_duplicate)
    pending = _pending(who, idempotency_key, "POST /leads", parts)  # checks the key's form
    return _answer_import(session, None if dry_run else pending, run)


@router.post(
    "/import/csv",
    response_model=ImportResponse,
    summary="Bulk import (CSV)",
    responses={200: {"headers": IMPORT_HEADERS}},
)
def import_csv(
    session: SessionDep,
    settings: SettingsDep,
    who: PrincipalDep,
    file: Annotated[
        UploadFile,
        File(description="A CSV file or an .xlsx workbook (told apart by content; max 10 MB)"),
    ],
    campaign_id: Annotated[str, Form(alias="campaignId", min_length=1, max_length=64)],
    mapping: Annotated[
        str | None,
        Form(
            description='JSON object {"column header": "leadField", "fullName", "attribute" '
            "or null (ignore)}; columns it does not name are matched automatically"
        ),
    ] = None,
    sheet: Annotated[
        str | None, Form(max_length=200, description="The workbook's sheet (default: the first)")
    ] = None,
    auto_score: Annotated[bool, Form(alias="autoScore")] = True,
    dry_run_field: Annotated[bool, Form(alias="dryRun")] = False,
    owner_id: Annotated[
        str | None,
        Form(
            alias="ownerId",
            max_length=2000,
            json_schema_extra={"pattern": OWNER_LIST_PATTERN},  # owner_ids() checks it: 422
            description="Who the new leads go to: a user id (`usr_...`), or several separated "
            "by commas to share them out in turn, in row order. A lead merged into "
            "(`onDuplicate=update`) gets one only if it has no owner.",
        ),
    ] = None,
    on_duplicate: OnDuplicateQuery = "skip",
    dry_run: DryRunQuery = False,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    data = file.file.read(settings.max_upload_bytes + 1)
    dry = dry_run or dry_run_field
    owners = owner_ids(owner_id)

    def run(before_commit: BeforeCommit | None) -> ImportOutcome:
        return importing.import_file(
            session,
            data,
            ImportOptions.from_settings(
                settings,
                campaign_id=campaign_id,
                mapping=parse_mapping_json(mapping),
                sheet=sheet or None,
                auto_score=auto_score,
                on_duplicate=on_duplicate,
                dry_run=dry,
                origin="api-csv",
                filename=file.filename,
                actor=who.label,
                owners=owners,
                before_commit=before_commit,
            ),
        )

    parts: tuple[str | bytes, ...] = (campaign_id, data, mapping or "", sheet or "")
    parts += (str(auto_score), on_duplicate)
    parts += (",".join(owners),) if owners else ()  # an earlier key's parts stay as they were
    endpoint = "POST /leads/import/csv"
    pending = _pending(who, idempotency_key, endpoint, parts)  # checks the key's form
    return _answer_import(session, None if dry else pending, run)


@router.get(
    "/{lead_id}",
    response_model=LeadDetail,
    summary="Get lead details",
    responses={200: {"headers": ETAG_HEADER}},
)
def get_lead(lead_id: str, session: SessionDep, response: Response) -> LeadDetail:
    lead = service.get_lead(session, lead_id)
    response.headers["ETag"] = etag(lead)
    return service.to_detail(lead)


@router.patch(
    "/{lead_id}",
    response_model=LeadDetail,
    summary="Update lead",
    responses={200: {"headers": ETAG_HEADER}},
)
def update_lead(
    lead_id: str,
    changes: LeadUpdate,
    session: SessionDep,
    settings: SettingsDep,
    who: PrincipalDep,
    response: Response,
    if_match: IfMatchHeader = None,
) -> LeadDetail:
    lead = service.update_lead(
        session,
        lead_id,
        changes,
        region=settings.phone_region,
        actor=who.label,
        expected_version=expected_version(if_match),
    )
    response.headers["ETag"] = etag(lead)
    return service.to_detail(lead)


@router.delete("/{lead_id}", status_code=204, summary="Delete lead")
def delete_lead(lead_id: str, session: SessionDep, if_match: IfMatchHeader = None) -> Response:
    service.delete_lead(session, lead_id, expected_version=expected_version(if_match))
    return Response(status_code=204)


@router.get("/{lead_id}/activity", response_model=list[ActivityPublic], summary="Lead history")
def lead_activity(lead_id: str, session: SessionDep) -> list[ActivityPublic]:
    return [
        ActivityPublic.model_validate(entry, from_attributes=True)
        for entry in service.lead_activity(session, lead_id)
    ]
