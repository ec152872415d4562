"""What an import is asked to do (:class:`ImportOptions`) and what it reports
(:class:`ImportOutcome`): the two ends of ``ingest.importing.import_leads`` and
``import_file``, shared by the API, the dashboard, the CLI and the demo data."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from sqlmodel import Session

from leads_core.config import Settings
from leads_core.errors import ValidationFailed
from leads_core.schemas import (
    CsvInfo,
    ImportDuplicate,
    ImportedLead,
    ImportResponse,
    ImportRowError,
)

OnDuplicate = Literal["skip", "update"]
NEW_CAMPAIGN = ""
"""``campaign_id`` of a dry run into a campaign not created yet: nothing is in it."""
Progress = Callable[[int, int], None]
"""``progress(rows done, rows in all)``: after each part of the rows is prepared, and
with the rows in all once the import has committed."""
BeforeCommit = Callable[[Session, "ImportOutcome"], None]
"""Writes more in the import's own transaction (the stored response of an idempotent
request), just before it commits."""


@dataclass(frozen=True)
class ImportOptions:
    """One import request: where its leads go and how it treats them."""

    campaign_id: str
    region: str  # reads phone numbers written without +country (LEADS_PHONE_REGION)
    max_rows: int  # more rows in the request -> 413 (LEADS_MAX_IMPORT_ROWS)
    max_bytes: int = 10 * 1024 * 1024  # a larger CSV file -> 413 (LEADS_MAX_UPLOAD_MB)
    mapping: Mapping[str, str | None] | None = None  # column header -> lead field (or None)
    sheet: str | None = None  # a workbook's sheet to read (default: the first)
    dry_run: bool = False  # count what would happen; write nothing
    auto_score: bool = True  # False: stored unscored (autoScore: false)
    on_duplicate: OnDuplicate = "skip"  # or "update" the stored lead with the new values
    origin: str = "api-json"  # api-json, api-csv, cli, dashboard, seed: the batch's origin
    filename: str | None = None  # the uploaded file's name, for the import history
    actor: str | None = None  # who imports, for the leads' history
    # The users the new leads go to, in turn in row order (one: all of them; none: nobody).
    # A lead merged into (onDuplicate=update) gets the next one only if it has no owner.
    owners: tuple[str, ...] = ()
    workers: int = 1  # processes preparing the rows (LEADS_IMPORT_WORKERS); 1: inline
    progress: Progress | None = None
    before_commit: BeforeCommit | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, *, campaign_id: str, **choices: Any
    ) -> ImportOptions:
        """Options with this process's limits and phone region, plus the caller's choices."""
        return cls(
            campaign_id=campaign_id,
            region=settings.phone_region,
            max_rows=settings.max_import_rows,
            max_bytes=settings.max_upload_bytes,
            workers=settings.import_workers,
            **choices,
        )


MAX_OWNERS = 100  # users one import gives its leads to, in turn


def owner_ids(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """An import's ``ownerId`` as a client gives it - one user id, several separated by
    commas (a form field) or a JSON array - as the tuple ``ImportOptions.owners`` takes:
    blanks dropped, each id once, in the order given. Whether each is an enabled user is
    checked by the import, before it reads a row."""
    parts = value.split(",") if isinstance(value, str) else list(value or ())
    owners = tuple(dict.fromkeys(part.strip() for part in parts if part and part.strip()))
    if len(owners) > MAX_OWNERS:
        raise ValidationFailed(
            f"ownerId: at most {MAX_OWNERS} users, got {len(owners)}",
            details=[{"field": "ownerId", "message": "too many owners"}],
        )
    return owners


def rotated(owners: tuple[str, ...], turns: int) -> tuple[str, ...]:
    """``owners`` starting with the one whose turn comes after ``turns`` turns."""
    if not owners:
        return owners
    start = turns % len(owners)
    return owners[start:] + owners[:start]


class Imported(NamedTuple):
    """A lead the import stored or updated: ``ImportedLead`` of the answer, kept as a tuple
    until then (a 60,000-row import keeps 60,000 of them: 4 MB, not 30 as models)."""

    id: str
    quality_score: int | None
    status: str


@dataclass
class ImportOutcome:
    imported: int = 0
    updated: int = 0
    skipped: int = 0
    rows: int = 0
    errors: list[ImportRowError] = field(default_factory=list)
    warnings: list[ImportRowError] = field(default_factory=list)
    leads: list[Imported] = field(default_factory=list)
    duplicates: list[ImportDuplicate] = field(default_factory=list)
    batch_id: str | None = None
    dry_run: bool = False
    owner_turns: int = 0
    """Leads given an owner (``ImportOptions.owners``): the next import of the same file
    (a CLI chunk) goes on with the owner after the last one given."""
    csv: CsvInfo | None = None
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds spent preparing the rows ("prepare") and in the write transaction ("write")."""

    @property
    def rows_taken(self) -> int:
        """Rows that became or matched a lead: imported, updated or skipped as duplicates."""
        return self.imported + self.updated + self.skipped

    def repeated(self, row: int, first: int) -> None:
        self.skipped += 1
        self.duplicates.append(ImportDuplicate(row=row, repeats_row=first))

    def existing(self, row: int, lead_id: str, *, update: bool) -> None:
        if not update:
            self.skipped += 1
        self.duplicates.append(ImportDuplicate(row=row, lead_id=lead_id))

    def response(self) -> ImportResponse:
        in_file = sum(1 for d in self.duplicates if d.repeats_row is not None)
        return ImportResponse(
            imported=self.imported,
            skipped=self.skipped,
            errors=self.errors,
            warnings=self.warnings,
            leads=[ImportedLead(**lead._asdict()) for lead in self.leads],
            updated=self.updated,
            import_id=None if self.dry_run else self.batch_id,
            dry_run=self.dry_run,
            rows=self.rows,
            in_file_duplicates=in_file,
            already_in_campaign=len(self.duplicates) - in_file,
            duplicates=self.duplicates,
            csv=self.csv,
        )
