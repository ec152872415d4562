"""The import history: each import with its counts, mapping and problem rows, and undo -
deleting the leads an import created that nobody has changed since."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Exists, exists, func
from sqlmodel import Session, col, delete, select

from leads_core.clock import utcnow
from leads_core.errors import NotFound
from leads_core.storage.models import Campaign, ImportBatch, Lead, LeadActivity
from leads_core.webhooks.events import Hooks

UNTOUCHED_KINDS = ("created", "rescored")
"""History entries that do not make a lead "changed since its import": its creation and
a campaign re-score. An edit, a status change, a note or a later import's merge do."""
MAX_LIMIT = 200


@dataclass(frozen=True)
class ImportEntry:
    batch: ImportBatch
    campaign_name: str


@dataclass(frozen=True)
class ImportPage:
    imports: list[ImportEntry]
    total: int
    page: int
    limit: int

    @property
    def total_pages(self) -> int:
        return max(1, -(-self.total // self.limit))


def list_imports(
    session: Session, *, campaign_id: str | None = None, page: int = 1, limit: int = 50
) -> ImportPage:
    """Imports with their campaign's name, newest first, paged in SQL."""
    where = [ImportBatch.campaign_id == campaign_id] if campaign_id else []
    total = session.exec(select(func.count()).select_from(ImportBatch).where(*where)).one()
    rows = session.exec(
        select(ImportBatch, Campaign.name)
        .join(Campaign, col(Campaign.id) == ImportBatch.campaign_id)
        .where(*where)
        .order_by(col(ImportBatch.created_at).desc(), col(ImportBatch.id).desc())
        .offset((page - 1) * limit)
        .limit(limit)
    ).all()
    return ImportPage([ImportEntry(batch, name) for batch, name in rows], total, page, limit)


def get_import(session: Session, import_id: str) -> ImportBatch:
    batch = session.get(ImportBatch, import_id)
    if batch is None:
        raise NotFound(f"import {import_id!r} not found")
    return batch


def problems_file(batch: ImportBatch) -> tuple[str, bytes]:
    """The import's problem rows as a download: a file name after the uploaded file's
    (``leads-problems.csv``) and UTF-8 with a byte order mark, as every export; only the
    header when no row failed."""
    name = f"{(batch.filename or batch.id).rsplit('.', 1)[0]}-problems.csv"
    return name, ("\ufeff" + (batch.problems or "Problem\r\n")).encode("utf-8")


def _changed_since() -> Exists:
    """SQL: the lead has a history entry an import does not write."""
    return exists().where(
        col(LeadActivity.lead_id) == col(Lead.id), col(LeadActivity.kind).not_in(UNTOUCHED_KINDS)
    )


def remaining_leads(session: Session, import_id: str) -> tuple[int, int]:
    """(leads of the import still there, of which changed since)."""
    base = select(func.count()).select_from(Lead).where(Lead.import_id == import_id)
    total = session.exec(base).one()
    changed = session.exec(base.where(_changed_since())).one()
    return total, changed


def undo_import(session: Session, import_id: str) -> tuple[int, int]:
    """Delete the leads this import created that nobody changed since (their history goes
    with them); keep the others. Returns (deleted, kept). Running it again deletes what
    has become unchanged since, if anything, and keeps the rest."""
    batch = get_import(session, import_id)
    hooks = Hooks(session)  # a lead.deleted per lead deleted, when subscribed
    deleted = hooks.delete(delete(Lead).where(col(Lead.import_id) == import_id, ~_changed_since()))
    hooks.write()
    kept = session.exec(
        select(func.count()).select_from(Lead).where(Lead.import_id == import_id)
    ).one()
    batch.undone_at = utcnow()
    batch.undo_deleted = (batch.undo_deleted or 0) + deleted
    batch.undo_kept = kept
    session.add(batch)
    session.commit()
    return deleted, kept
