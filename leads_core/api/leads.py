"""/v1/leads: thin routes over ``leads_core.services.leads`` and ``leads_core.ingest.importing``."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Annotated, Literal, Protocol

from fastapi import APIRouter, File, Form, Header, Query, Response, UploadFile
from pydantic.json_schema import SkipJsonSchema
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from leads_core.api.deps import PrincipalDep, SessionDep, SettingsDep
from leads_core.errors import ValidationFailed
from leads_core.files.headers import parse_mapping_json
from leads_core.ingest import idempotency, importing
from leads_core.ingest.options import BeforeCommit, ImportOptions, ImportOutcome, owner_ids
from leads_core.schemas import (
    OWNER_LIST_PATTERN,
    ActivityPublic,
    ImportResponse,
    LeadDetail,
    LeadImportRequest,
    LeadUpdate,
)
from leads_core.services import leads as service

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
