"""The one import path: JSON rows or a file (CSV or ``.xlsx``) -> validated,
deduplicated, enriched and scored leads, bulk-inserted in ONE transaction (a request
applies fully or not at all), recorded in the import history with its problem rows.
A dry run goes as far as the duplicate check against the campaign and writes nothing.

Used by ``POST /v1/leads``, ``POST /v1/leads/import/csv``, the CLI and the dashboard.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import literal
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select

from leads_core.clock import utcnow
from leads_core.errors import PayloadTooLarge, ValidationFailed
from leads_core.files import reading
from leads_core.identity import NEEDS_IDENTITY, IdentityKeys, identity_keys
from leads_core.ids import new_id, new_ids
from leads_core.ingest.options import NEW_CAMPAIGN, ImportOptions, ImportOutcome
from leads_core.schemas import CsvInfo, ImportedLead, ImportRowError, LeadCreate
from leads_core.scoring.assess import assess
from leads_core.scoring.criteria import CampaignCriteria
from leads_core.services import campaigns, leads
from leads_core.storage import sql
from leads_core.storage.models import ImportBatch, Lead, LeadActivity

CHUNK = 5000  # rows validated, scored and inserted per step (progress granularity)
MAX_FILENAME = 500  # import_batch.filename
TRANSIENT_RETRIES = 3  # attempts at an import a deadlock or a concurrent edit ended
_ROW = TypeAdapter(LeadCreate)


@dataclass
class _Context:
    """One attempt at an import: the request's options and what the attempt keeps."""

    session: Session
    options: ImportOptions
    criteria: CampaignCriteria
    batch_id: str
    timestamps: Sequence[datetime] | None
    seen_emails: dict[str, int] = field(default_factory=dict)
    seen_linkedins: dict[str, int] = field(default_factory=dict)

    def seen_before(self, keys: IdentityKeys, row: int) -> int | None:
        """The earlier row of this request that ``keys`` repeats, or None (and the row is
        remembered)."""
        first = self.seen_emails.get(keys.email or "") or self.seen_linkedins.get(
            keys.linkedin or ""
        )
        if first is not None:
            return first
        if keys.email:
            self.seen_emails[keys.email] = row
        if keys.linkedin:
            self.seen_linkedins[keys.linkedin] = row
        return None


def _validate(
    raw: Mapping[str, Any], row: int
) -> tuple[dict[str, Any] | None, list[ImportRowError]]:
    """One row -> snake_case field dict, or the reasons it cannot become a lead."""
    if not isinstance(raw, Mapping):
        return None, [ImportRowError(row=row, field="lead", message="must be a JSON object")]
    cleaned = {
        k: v for k, v in raw.items() if v is not None and not (isinstance(v, str) and not v.strip())
    }
    try:
        lead = _ROW.validate_python(cleaned)
    except ValidationError as exc:
        return None, [
            ImportRowError(
                row=row,
                field=".".join(map(str, err["loc"])) if err["loc"] else "lead",
                message=err["msg"],
            )
            for err in exc.errors(include_url=False)
        ]
    values = lead.model_dump()
    values["status"] = lead.status.value
    return values, []


def _lookup(session: Session, campaign_id: str, column: Any, keys: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for start in range(0, len(keys), 900):
        part = keys[start : start + 900]
        rows = session.exec(
            select(column, Lead.id).where(Lead.campaign_id == campaign_id, col(column).in_(part))
        ).all()
        found.update({key: lead_id for key, lead_id in rows})
    return found


@dataclass(frozen=True)
class _Stored:
    """Identity keys already in the campaign -> lead id."""

    by_email: dict[str, str]
    by_linkedin: dict[str, str]

    @classmethod
    def load(cls, session: Session, campaign_id: str, keys: list[IdentityKeys]) -> _Stored:
        emails = [k.email for k in keys if k.email]
        linkedins = [k.linkedin for k in keys if k.linkedin]
        return cls(
            _lookup(session, campaign_id, Lead.email_key, emails),
            _lookup(session, campaign_id, Lead.linkedin_key, linkedins),
        )

    def match(self, keys: IdentityKeys) -> str | None:
        return self.by_email.get(keys.email or "") or self.by_linkedin.get(keys.linkedin or "")


def _identity_taken(ctx: _Context, name: str, value: str) -> bool:
    """Is this email / LinkedIn URL already used by a lead of the campaign?"""
    keys = identity_keys(value, None) if name == "email" else identity_keys(None, value)
    return _Stored.load(ctx.session, ctx.options.campaign_id, [keys]).match(keys) is not None


def _merge_into(
    ctx: _Context, lead_id: str, values: dict[str, Any], outcome: ImportOutcome
) -> None:
    """``onDuplicate=update``: copy the new non-empty fields onto the stored lead.

    The identity fields (email, LinkedIn URL) that matched are never overwritten; an empty
    one is filled unless another lead of the campaign already uses that value."""
    lead = ctx.session.get(Lead, lead_id)
    if lead is None:  # deleted by another request since _Stored.load found it: the import
        # is rolled back and run again (import_leads), and then stores the row as new
        raise StaleDataError(f"lead {lead_id} was deleted during the import")
    if values.get("attributes"):  # the file's attributes added to the lead's own
        values = {**values, "attributes": {**(lead.attributes or {}), **values["attributes"]}}
    changes = {
        name: value
        for name, value in values.items()
        if value not in (None, "") and name != "status" and getattr(lead, name) != value
    }
    for name in ("email", "linkedin_url"):
        if name in changes and (getattr(lead, name) or _identity_taken(ctx, name, changes[name])):
            del changes[name]
    if changes:
        ctx.session.add_all(
            leads.apply_changes(
                lead,
                changes,
                criteria=ctx.criteria,
                score=ctx.options.auto_score or lead.quality_score is not None,
                region=ctx.options.region,
                actor=ctx.options.actor,
            )
        )
    outcome.updated += 1
    outcome.leads.append(
        ImportedLead(id=lead.id, quality_score=lead.quality_score, status=lead.status)
    )


def _process_chunk(
    ctx: _Context,
    rows: Sequence[Mapping[str, Any]],
    numbers: Sequence[int],
    offset: int,
    outcome: ImportOutcome,
) -> None:
    fresh: list[tuple[int, IdentityKeys, dict[str, Any]]] = []
    for index, (raw, number) in enumerate(zip(rows, numbers, strict=True)):
        values, errors = _validate(raw, number)
        if values is None:
            outcome.errors.extend(errors)
            continue
        keys = identity_keys(values["email"], values["linkedin_url"])
        if keys.empty:  # neither given, or a LinkedIn "URL" that normalizes to nothing
            outcome.errors.append(ImportRowError(row=number, field="email", message=NEEDS_IDENTITY))
            continue
        first = ctx.seen_before(keys, number)
        if first is not None:
            outcome.repeated(number, first)
            continue
        fresh.append((offset + index, keys, values))

    stored = _Stored.load(ctx.session, ctx.options.campaign_id, [keys for _, keys, _ in fresh])
    inserts: list[dict[str, Any]] = []
    ids = new_ids("lead", len(fresh))
    now = utcnow()
    update, dry_run = ctx.options.on_duplicate == "update", ctx.options.dry_run
    for (position, keys, values), lead_id in zip(fresh, ids, strict=True):
        match = stored.match(keys)
        if match:
            outcome.existing(numbers[position - offset], match, update=update)
            if update and dry_run:
                outcome.updated += 1
            elif update:
                _merge_into(ctx, match, values, outcome)
            continue
        if dry_run:
            outcome.imported += 1
            continue
        result = assess(
            values, ctx.criteria, score=ctx.options.auto_score, region=ctx.options.region
        )
        created = ctx.timestamps[position] if ctx.timestamps is not None else now
        inserts.append(
            {
                **values,
                **result.columns(),
                "id": lead_id,
                "campaign_id": ctx.options.campaign_id,
                "import_id": ctx.batch_id,
                **keys.columns(),
                "created_at": created,
                "updated_at": created,
            }
        )
        outcome.leads.append(
            ImportedLead(id=lead_id, quality_score=result.quality_score, status=values["status"])
        )
    # A fixed order (by identity) makes concurrent imports wait on each other's rows in
    # the same order on PostgreSQL, rather than each holding what the other needs.
    inserts.sort(key=lambda row: (row["email_key"] or "", row["linkedin_key"] or ""))
    written = sql.insert_new(ctx.session, Lead.__table__, inserts)
    lost = {row["id"] for row in inserts} - written  # stored by a concurrent import first
    if lost:
        outcome.leads = [lead for lead in outcome.leads if lead.id not in lost]
    outcome.imported += len(written)
    outcome.skipped += len(lost)


def _record_created(ctx: _Context) -> None:
    """One "created" history entry per new lead, written by the database in one statement."""
    table = sql.table_of(LeadActivity)
    source = select(
        col(Lead.id), literal("created"), literal(ctx.options.actor), col(Lead.created_at)
    ).where(col(Lead.import_id) == ctx.batch_id)
    ctx.session.execute(
        table.insert().from_select(["lead_id", "kind", "actor", "created_at"], source)
    )


def import_leads(
    session: Session,
    rows: Sequence[Mapping[str, Any]],
    options: ImportOptions,
    *,
    row_numbers: Sequence[int] | None = None,
    timestamps: Sequence[datetime] | None = None,
    table: reading.FileTable | None = None,
) -> ImportOutcome:
    """Import ``rows`` (camelCase or snake_case lead dicts) as ``options`` say.

    ``row_numbers`` are what errors report (default: 1-based position in ``rows``);
    ``timestamps`` are the leads' creation times (default: now; the demo data spreads
    them over a year); ``table`` is the file the rows were read from, if any: then a
    file without rows, or none of whose rows can be imported, is refused (422)."""
    if len(rows) > options.max_rows:
        raise PayloadTooLarge(
            f"{len(rows)} leads in one request; the limit is {options.max_rows}. Split the import.",
            details=[
                {"field": "leads", "message": f"at most {options.max_rows} leads per request"}
            ],
        )
    if options.on_duplicate not in ("skip", "update"):
        raise ValidationFailed(
            "onDuplicate: use 'skip' or 'update'", details=[{"field": "onDuplicate"}]
        )
    if table is not None and not rows:
        raise ValidationFailed(
            "The file has a header but no data rows: nothing to import.",
            details=[{"field": "file", "message": "no data rows"}],
        )
    numbers = list(row_numbers) if row_numbers is not None else list(range(1, len(rows) + 1))
    if options.dry_run and options.campaign_id == NEW_CAMPAIGN:
        criteria = campaigns.scoring_criteria(None)
    else:
        criteria = campaigns.scoring_criteria(campaigns.get_campaign(session, options.campaign_id))
    for attempt in range(1, TRANSIENT_RETRIES + 1):
        try:
            ctx = _Context(session, options, criteria, new_id("imp"), timestamps)
            outcome = ImportOutcome(csv=_file_info(table), dry_run=options.dry_run)
            return _import_once(ctx, rows, numbers, outcome, table)
        except (DBAPIError, StaleDataError) as exc:
            # PostgreSQL ended our transaction to break a deadlock with a concurrent
            # import, or an edit changed a lead onDuplicate=update was merging into (rolled
            # back: nothing of it was kept); the next attempt sees their rows.
            transient = isinstance(exc, StaleDataError) or sql.is_transient(exc)
            if attempt == TRANSIENT_RETRIES or not transient:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _import_once(
    ctx: _Context,
    rows: Sequence[Mapping[str, Any]],
    numbers: Sequence[int],
    outcome: ImportOutcome,
    table: reading.FileTable | None,
) -> ImportOutcome:
    """One attempt, in one transaction: it commits everything or nothing."""
    session, options, progress = ctx.session, ctx.options, ctx.options.progress
    outcome.batch_id, outcome.rows = ctx.batch_id, len(rows)
    try:
        if not options.dry_run:
            # Writing the batch row first takes SQLite's write lock: the duplicate check
            # below then sees every committed lead and nobody can add one before we commit.
            batch = _new_batch(ctx, table)
            session.add(batch)
            session.flush()
        for start in range(0, len(rows), CHUNK):
            _process_chunk(
                ctx, rows[start : start + CHUNK], numbers[start : start + CHUNK], start, outcome
            )
            if progress:
                progress(min(start + CHUNK, len(rows)), len(rows))
        if table is not None and outcome.errors and not outcome.rows_taken:
            raise _nothing_importable(outcome)
        if options.dry_run:
            session.rollback()
            return outcome
        _record_created(ctx)
        sql.index_imported(session, ctx.batch_id)
        batch.rows, batch.imported, batch.updated = len(rows), outcome.imported, outcome.updated
        batch.skipped, batch.errors = outcome.skipped, len(outcome.errors)
        batch.problems = _problem_rows(outcome, rows, table)
        if options.before_commit:
            options.before_commit(session, outcome)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    if progress and not rows:
        progress(0, 0)
    return outcome


def _new_batch(ctx: _Context, table: reading.FileTable | None) -> ImportBatch:
    options = ctx.options
    filename = options.filename
    if filename and len(filename) > MAX_FILENAME:  # a client's name for the upload; kept short
        filename = filename[: MAX_FILENAME - 1] + "…"
    return ImportBatch(
        id=ctx.batch_id,
        campaign_id=options.campaign_id,
        origin=options.origin,
        filename=filename,
        actor=options.actor,
        sheet=table.sheet if table else None,
        mapping=dict(table.mapping) if table else None,
    )


def _nothing_importable(outcome: ImportOutcome) -> ValidationFailed:
    shown = outcome.errors[:MAX_REPORTED]  # every row failed: each has at least one
    first = "; ".join(f"row {e.row}, {e.field}: {e.message}" for e in shown[:3])
    return ValidationFailed(
        f"None of the {outcome.rows} rows of the file can be imported ({first}"
        f"{' ...' if len(outcome.errors) > 3 else ''}). Fix the file or the column mapping "
        "and import it again.",
        details=[{"row": e.row, "field": e.field, "message": e.message} for e in shown],
    )


MAX_REPORTED = 1000  # row errors listed in a 422 for a file none of whose rows import


def _problem_rows(
    outcome: ImportOutcome, rows: Sequence[Any], table: reading.FileTable | None
) -> str | None:
    """The rows that did not import, as CSV with a Problem column (kept with the batch)."""
    if not outcome.errors:
        return None
    problems: dict[int, str] = {}
    for error in outcome.errors:
        text = f"{error.field}: {error.message}"
        problems[error.row] = f"{problems[error.row]}; {text}" if error.row in problems else text
    if table is not None:
        return reading.problem_rows_csv(table, problems)
    return reading.problem_objects_csv(rows, problems)


def _file_info(table: reading.FileTable | None) -> CsvInfo | None:
    if table is None:
        return None
    return CsvInfo(
        kind=table.kind,
        encoding=table.encoding,
        delimiter=table.delimiter,
        sheet=table.sheet,
        sheets=list(table.sheets),
        header_row=table.header_row,
        mapping=table.mapping,
        matched_by=dict(table.matched_by),
        ignored_columns=table.ignored_columns,
        attribute_columns=table.attribute_columns,
    )


def import_file(session: Session, data: bytes, options: ImportOptions) -> ImportOutcome:
    """Read a CSV file or an ``.xlsx`` workbook (encoding, delimiter, header row and
    columns detected; ``options.mapping`` overrides the column matching) and import it."""
    if len(data) > options.max_bytes:
        raise PayloadTooLarge(
            f"the file is {len(data) / 1_048_576:.1f} MB; the limit is "
            f"{options.max_bytes // 1_048_576} MB",
            details=[{"field": "file", "message": "file too large"}],
        )
    if not (options.dry_run and options.campaign_id == NEW_CAMPAIGN):
        campaigns.get_campaign(session, options.campaign_id)  # 404 before reading a large file
    table = reading.read_upload(data, options.mapping, sheet=options.sheet)
    return import_leads(session, table.rows, options, row_numbers=table.row_numbers, table=table)
