"""Reading the leads a list's filters match: ``GET /v1/leads`` (pages, or a walk with a
cursor; ``fields=`` for some fields only) and ``GET /v1/leads/export.csv`` (all of them, as a
CSV file, streamed). Both take the same filters and ``sort``. Included before the router of
``/v1/leads/{lead_id}``, which would otherwise take ``export.csv`` for a lead id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlmodel import Session

from leads_core import sizes
from leads_core.api.deps import PrincipalDep, SessionDep
from leads_core.clock import utcnow
from leads_core.fields import LEAD_STATUSES
from leads_core.list_schemas import LeadFields, LeadPage
from leads_core.schemas import LeadPublic
from leads_core.services import exports, paging, queries
from leads_core.services.filtering import LeadFilters
from leads_core.sparse import FIELDS_PATTERN, fields_help, included_fields
from leads_core.storage.public import public_rows

router = APIRouter(prefix="/leads", tags=["leads"])
CSV = "text/csv; charset=utf-8"


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


@dataclass(frozen=True)
class ListQuery:
    filters: LeadFilters
    sort: str | None


def list_query(
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
            "updatedAt, firstName, lastName, company, email, status. Default `-createdAt`. "
            "With `cursor`: `-createdAt` or `createdAt` only (a walk is in creation order).",
        ),
    ] = None,
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
) -> ListQuery:
    """The filters and sort of a list, as ``GET /v1/leads`` and its export take them."""
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
    return ListQuery(queries.filters_from_params(params, me=who.user_id), sort)


ListQueryDep = Annotated[ListQuery, Depends(list_query)]
CURSOR_HELP = (
    "Walk every matching lead, page after page, without counting: leave it empty "
    "(`cursor=`) for the first page, then send each answer's `nextCursor` with the same "
    "filters and sort until it is null. A walk is in creation order (`sort=-createdAt`, the "
    "default, or `createdAt`), which no write changes: every lead that exists and matches the "
    "filters for the whole walk is seen exactly once, however many leads are added or changed "
    "meanwhile, and no lead twice. `total`, `page` and `totalPages` are then null. A cursor "
    "that is not one this API returned, or sent with other filters or sort -> 422."
)


@router.get(
    "",
    response_model=LeadPage,
    summary="List leads",
)
def list_leads(
    session: SessionDep,
    query: ListQueryDep,
    page: Annotated[
        int | None, Query(ge=1, le=1_000_000, description="Page number (default 1).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=queries.MAX_LIMIT)] = 50,
    cursor: Annotated[
        str | None,
        Query(
            max_length=600,
            json_schema_extra={"pattern": r"^[A-Za-z0-9_-]*$"},
            description=CURSOR_HELP,
        ),
    ] = None,
    fields: Annotated[
        str | None,
        Query(
            max_length=1000,
            json_schema_extra={"pattern": FIELDS_PATTERN},
            description=fields_help(),
            openapi_examples={"name and email": {"value": "firstName,lastName,email"}},
        ),
    ] = None,
) -> Response:
    """The leads the filters match, a page at a time: with `page` (counted: `total`,
    `totalPages`), or in a walk with `cursor` (nothing counted). A walk goes in creation
    order, a key no write changes, so every lead that exists and matches the filters for the
    whole walk is seen exactly once and none twice, however many leads are added, changed or
    deleted between its pages. Every answer has `nextCursor` (null on the last page). With
    `fields`, each lead has `id` and the fields named only."""
    include = included_fields(fields)  # 422 naming fields first
    if cursor is not None:
        if page is not None:
            raise paging.cursor_error("send page or cursor, not both")
        walked = paging.cursor_page(
            session, filters=query.filters, cursor=cursor, limit=limit, sort=query.sort
        )
        body = LeadPage(
            leads=_public(session, walked.ids),
            total=None,
            page=None,
            total_pages=None,
            next_cursor=walked.next_cursor,
        )
    else:
        result = queries.page_ids(
            session, filters=query.filters, page=page or 1, limit=limit, sort=query.sort
        )
        leads = _public(session, result.ids)
        more = result.page * result.limit < result.total
        last = (leads[-1].created_at, leads[-1].id) if leads else None
        body = LeadPage(
            leads=leads,
            total=result.total,
            page=result.page,
            total_pages=result.total_pages,
            next_cursor=paging.next_cursor(query.sort, query.filters, last, more),
        )
    # Serialized here, once: FastAPI would validate the 200 leads again against
    # response_model and encode them through plain Python objects (8 of 21 ms per page).
    chosen: dict[str, Any] | None = None
    if include is not None:
        chosen = {"leads": {"__all__": include}, **PAGE_KEYS}
    return Response(
        body.model_dump_json(by_alias=True, include=chosen), media_type="application/json"
    )


PAGE_KEYS = dict.fromkeys(("total", "page", "total_pages", "next_cursor"), True)


def _public(session: Session, lead_ids: list[str]) -> list[LeadPublic | LeadFields]:
    """The page's leads as the API shows them, read as rows (not ORM objects: a page of 200
    validates in 1.4 ms instead of 10)."""
    return [LeadPublic.model_validate(row) for row in public_rows(session, lead_ids)]


@router.get(
    "/export.csv",
    summary="Export leads as CSV",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "Every lead matching the filters, in `sort` order, as CSV (UTF-8 "
            "with a byte order mark), streamed; the columns and the neutralized cells of the "
            "dashboard's export",
            "content": {CSV: {"schema": {"type": "string"}}},
            "headers": {
                "Content-Disposition": {
                    "description": '`attachment; filename="leads-20260131-093000.csv"`',
                    "schema": {"type": "string"},
                }
            },
        }
    },
)
def export_csv(request: Request, session: SessionDep, query: ListQueryDep) -> StreamingResponse:
    """The leads the same filters would list, all of them, as a CSV file. Each text cell
    beginning with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`
    (OWASP's CSV-injection advice), as in the dashboard's exports. Streamed from one read
    of the database: memory stays flat however many leads match."""
    queries.validate_filters(session, query.filters)  # 422/404 before the first byte
    queries.parse_sort(query.sort)
    chunks = exports.csv_chunks(request.app.state.engine, filters=query.filters, sort=query.sort)
    name = f"leads-{utcnow():%Y%m%d-%H%M%S}.csv"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    return StreamingResponse(chunks, media_type=CSV, headers=disposition)
