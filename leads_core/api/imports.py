"""/v1/imports: the import history, each import's problem rows, and undo."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import Field as DataField

from leads_core.api.deps import SessionDep
from leads_core.schemas import ApiModel, UtcDateTime
from leads_core.services import imports as service
from leads_core.storage.models import ImportBatch

router = APIRouter(prefix="/imports", tags=["imports"])


class ImportPublic(ApiModel):
    id: str
    campaign_id: str
    origin: str = DataField(description="api-json, api-csv, cli, dashboard or seed")
    filename: str | None
    user: str | None = DataField(description="Who imported (the API key's name, cli, ...)")
    sheet: str | None
    mapping: dict[str, str | None] | None
    rows: int
    imported: int
    updated: int
    skipped: int
    errors: int
    created_at: UtcDateTime
    undone_at: UtcDateTime | None
    undo_deleted: int | None
    undo_kept: int | None


class ImportList(ApiModel):
    imports: list[ImportPublic]
    total: int
    page: int
    total_pages: int


class UndoResult(ApiModel):
    deleted: int = DataField(description="Leads of the import deleted (unchanged since)")
    kept: int = DataField(description="Leads of the import kept: someone changed them since")


def to_public(batch: ImportBatch) -> ImportPublic:
    return ImportPublic(
        id=batch.id,
        campaign_id=batch.campaign_id,
        origin=batch.origin,
        filename=batch.filename,
        user=batch.actor,
        sheet=batch.sheet,
        mapping=batch.mapping,
        rows=batch.rows,
        imported=batch.imported,
        updated=batch.updated,
        skipped=batch.skipped,
        errors=batch.errors,
        created_at=batch.created_at,
        undone_at=batch.undone_at,
        undo_deleted=batch.undo_deleted,
        undo_kept=batch.undo_kept,
    )


@router.get("", response_model=ImportList, summary="List imports")
def list_imports(
    session: SessionDep,
    campaign_id: Annotated[str | None, Query(alias="campaignId", max_length=64)] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    limit: Annotated[int, Query(ge=1, le=service.MAX_LIMIT)] = 50,
) -> ImportList:
    found = service.list_imports(session, campaign_id=campaign_id, page=page, limit=limit)
    return ImportList(
        imports=[to_public(entry.batch) for entry in found.imports],
        total=found.total,
        page=found.page,
        total_pages=found.total_pages,
    )


@router.get("/{import_id}", response_model=ImportPublic, summary="Get import")
def get_import(import_id: str, session: SessionDep) -> ImportPublic:
    return to_public(service.get_import(session, import_id))


@router.get(
    "/{import_id}/problems.csv",
    summary="Problem rows of an import",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def import_problems(import_id: str, session: SessionDep) -> Response:
    """The rows that did not import, as written in the file, with a last `Problem`
    column: fix them and import that file again. Only the header when none failed."""
    name, data = service.problems_file(service.get_import(session, import_id))
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in name)
    return Response(
        data,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{safe}"'},
    )


@router.delete("/{import_id}", response_model=UndoResult, summary="Undo import")
def undo_import(import_id: str, session: SessionDep) -> UndoResult:
    """Delete the leads this import created that nobody changed since; keep the others."""
    deleted, kept = service.undo_import(session, import_id)
    return UndoResult(deleted=deleted, kept=kept)
