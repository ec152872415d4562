"""The one import path: JSON rows or a file (CSV or ``.xlsx``) -> validated,
deduplicated, enriched and scored leads, bulk-inserted in ONE transaction (a request
applies fully or not at all), recorded in the import history with its problem rows.
A dry run goes as far as the duplicate check against the campaign and writes nothing.

Two phases, so an import holds the database's write lock (SQLite) or its new rows'
locks (PostgreSQL) only while writing: first every row is prepared with no transaction
open (``ingest.prepare``, on a pool of processes: ``ingest.pool``), then one write
transaction matches the rows against the stored leads, inserts, records the history,
fills the search index and commits. If the campaign's criteria were saved in between,
the rows are scored again before anything is written.

Used by ``POST /v1/leads``, ``POST /v1/leads/import/csv``, the CLI and the dashboard.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from leads_core.errors import Conflict, LeadsError, PayloadTooLarge, ValidationFailed
from leads_core.files import reading
from leads_core.ids import new_id
from leads_core.ingest import prepare, sources, writing
from leads_core.ingest.options import NEW_CAMPAIGN, ImportOptions, ImportOutcome, rotated
from leads_core.memory import release_free_memory
from leads_core.schemas import CsvInfo, ImportRowError
from leads_core.scoring.criteria import CampaignCriteria
from leads_core.services import campaigns, users
from leads_core.storage import sql
from leads_core.storage.models import ImportBatch
from leads_core.webhooks.events import Hooks

MAX_FILENAME = 500  # import_batch.filename
POOLED_FILE_BYTES = 256 * 1024  # a larger file is read by the pool's workers, not here
TRANSIENT_RETRIES = 3  # attempts at the write that a deadlock or a concurrent edit ended


class _CriteriaChanged(Exception):
    """The campaign's criteria changed while the rows were being scored: score again."""


@dataclass
class _Sorted:
    """The prepared rows sorted out before any write: what will be written or matched
    (``fresh``), the rows in error and the rows repeating an earlier row of the request."""

    fresh: list[prepare.Ready] = field(default_factory=list)
    errors: list[ImportRowError] = field(default_factory=list)
    repeats: list[tuple[int, int]] = field(default_factory=list)  # (row, the row it repeats)
    warnings: list[ImportRowError] = field(default_factory=list)

    @classmethod
    def of(cls, parts: Sequence[prepare.Prepared]) -> _Sorted:
        """In row order: a row whose email or LinkedIn key an earlier row has is a repeat."""
        result = cls()
        seen_emails: dict[str, int] = {}
        seen_linkedins: dict[str, int] = {}
        for part in parts:
            result.errors.extend(
                ImportRowError(row=row, field=name, message=message)
                for row, name, message in part.errors
            )
            result.warnings.extend(
                ImportRowError(row=row, field=name, message=message)
                for row, name, message in part.warnings
            )
            for ready in part.ready:
                _, number, email, linkedin, _ = ready
                first = seen_emails.get(email or "") or seen_linkedins.get(linkedin or "")
                if first is not None:
                    result.repeats.append((number, first))
                    continue
                if email:
                    seen_emails[email] = number
                if linkedin:
                    seen_linkedins[linkedin] = number
                result.fresh.append(ready)
        result.errors.sort(key=lambda error: error.row)  # stable: a row's errors keep order
        return result

    def outcome(self, rows: int, table: reading.FileTable | None, dry_run: bool) -> ImportOutcome:
        """An outcome holding what is known before writing."""
        outcome = ImportOutcome(csv=_file_info(table), dry_run=dry_run, rows=rows)
        outcome.errors = list(self.errors)
        repeats = {row for row, _ in self.repeats}
        outcome.warnings = [w for w in self.warnings if w.row not in repeats]
        for row, first in self.repeats:
            outcome.repeated(row, first)
        return outcome


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
    file without rows, or none of whose rows can be imported, is refused (422).

    The rows are prepared first (validated, keyed, enriched, scored: ``ingest.prepare``,
    on ``options.workers`` processes) with no transaction open; then one short write
    transaction checks them against the stored leads, inserts, records history, fills the
    search index and commits - all or nothing."""
    if options.on_duplicate not in ("skip", "update"):
        raise ValidationFailed(
            "onDuplicate: use 'skip' or 'update'", details=[{"field": "onDuplicate"}]
        )
    check_owners(session, options)
    sources.check_count(len(rows), options, from_file=table is not None)
    numbers = list(row_numbers) if row_numbers is not None else list(range(1, len(rows) + 1))
    return _import(session, options, sources.Rows(rows, numbers, table), timestamps)


def check_owners(session: Session, options: ImportOptions) -> None:
    """422 naming ``ownerId`` unless each of the import's owners is an enabled user."""
    for owner in options.owners:
        users.check_owner(session, owner, "ownerId")


def _import(
    session: Session,
    options: ImportOptions,
    source: sources.Source,
    timestamps: Sequence[datetime] | None = None,
) -> ImportOutcome:
    for _attempt in range(TRANSIENT_RETRIES):
        ctx = writing.Context(
            session, options, _criteria(session, options), new_id("imp"), timestamps
        )
        session.commit()  # no transaction stays open while the rows are prepared
        started = time.perf_counter()
        parts = source.prepare(_job(ctx), options.workers, options.progress)
        prepared_s = time.perf_counter() - started
        found = _Sorted.of(parts)
        rows = source.count()
        if source.table is not None and found.errors and not (found.fresh or found.repeats):
            raise _nothing_importable(found.errors, rows)
        problems = source.problems(found.errors)
        try:
            outcome = _write_with_retries(ctx, found, rows, source.table, problems)
        except _CriteriaChanged:
            continue
        outcome.timings = {"prepare": prepared_s, **outcome.timings}
        if not options.dry_run:
            sql.analyze_after_import(session, outcome.imported)
        if options.progress:
            options.progress(rows, rows)
        return outcome
    raise Conflict("The campaign's scoring criteria kept changing during the import; import again.")


def _criteria(session: Session, options: ImportOptions) -> CampaignCriteria:
    if options.dry_run and options.campaign_id == NEW_CAMPAIGN:
        return campaigns.scoring_criteria(None)
    campaign = campaigns.get_campaign(session, options.campaign_id, reload=True)
    return campaigns.scoring_criteria(campaign)


def _job(ctx: writing.Context) -> prepare.Job:
    """How the rows of this request are prepared (the source puts them in)."""
    return prepare.Job(
        rows=(),
        numbers=(),
        start=0,
        criteria=ctx.criteria,
        region=ctx.options.region,
        score=ctx.options.auto_score,
        cells=not ctx.options.dry_run,
        dialect=sql.dialect(ctx.session),
    )


def _write_with_retries(
    ctx: writing.Context,
    found: _Sorted,
    rows: int,
    table: reading.FileTable | None,
    problems: str | None,
) -> ImportOutcome:
    for attempt in range(1, TRANSIENT_RETRIES + 1):
        try:
            outcome = found.outcome(rows, table, ctx.options.dry_run)
            return _write(ctx, found.fresh, outcome, table, problems)
        except (DBAPIError, StaleDataError) as exc:
            # PostgreSQL ended our transaction to break a deadlock with a concurrent
            # import, or an edit changed a lead onDuplicate=update was merging into (rolled
            # back: nothing of it was kept); the next attempt sees their rows. The rows
            # prepared are still good: only the write runs again.
            transient = isinstance(exc, StaleDataError) or sql.is_transient(exc)
            if attempt == TRANSIENT_RETRIES or not transient:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _write(
    ctx: writing.Context,
    fresh: list[prepare.Ready],
    outcome: ImportOutcome,
    table: reading.FileTable | None,
    problems: str | None,
) -> ImportOutcome:
    """The write transaction: it commits everything or nothing."""
    session, options = ctx.session, ctx.options
    outcome.batch_id = ctx.batch_id
    started = time.perf_counter()
    try:
        if not options.dry_run:
            # Writing the batch row first takes SQLite's write lock: the duplicate check
            # below then sees every committed lead and nobody can add one before we commit.
            batch = _new_batch(ctx, table)
            session.add(batch)
            session.flush()
            ctx.hooks = Hooks(session)  # the event types to write, read once per import
        if _criteria(session, options) != ctx.criteria:
            raise _CriteriaChanged  # saved while we scored: the rows' scores are stale
        check_owners(session, options)  # again: an owner may have been disabled meanwhile
        writing.match_and_insert(ctx, fresh, outcome)
        outcome.duplicates.sort(key=lambda duplicate: duplicate.row)
        if options.dry_run:
            session.rollback()
            return outcome
        writing.record_created(ctx)
        sql.index_imported(session, ctx.batch_id)
        batch.rows, batch.imported, batch.updated = outcome.rows, outcome.imported, outcome.updated
        batch.skipped, batch.errors = outcome.skipped, len(outcome.errors)
        batch.problems = problems
        hooks = ctx.hooks
        if hooks:
            hooks.import_completed(batch)
            hooks.write()
        if options.before_commit:
            options.before_commit(session, outcome)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    outcome.timings["write"] = time.perf_counter() - started
    return outcome


def _new_batch(ctx: writing.Context, table: reading.FileTable | None) -> ImportBatch:
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


def _nothing_importable(errors: list[ImportRowError], rows: int) -> ValidationFailed:
    shown = errors[:MAX_REPORTED]  # every row failed: each has at least one
    first = "; ".join(f"row {e.row}, {e.field}: {e.message}" for e in shown[:3])
    return ValidationFailed(
        f"None of the {rows} rows of the file can be imported ({first}"
        f"{' ...' if len(errors) > 3 else ''}). Fix the file or the column mapping "
        "and import it again.",
        details=[{"row": e.row, "field": e.field, "message": e.message} for e in shown],
    )


MAX_REPORTED = 1000  # row errors listed in a 422 for a file none of whose rows import


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


def workers_for_file(size: int, workers: int) -> int:
    """The processes that read a file of ``size`` bytes: the pool's ``workers`` for a file
    over ``POOLED_FILE_BYTES``, else 1 (read here)."""
    return workers if size > POOLED_FILE_BYTES else 1


def import_file(session: Session, data: bytes, options: ImportOptions) -> ImportOutcome:
    """Read a CSV file or an ``.xlsx`` workbook (encoding, delimiter, header row and
    columns detected; ``options.mapping`` overrides the column matching) and import it."""
    try:
        return _import_file(session, data, options)
    finally:  # the file's rows are garbage now: give their memory back
        sql.shrink_memory(session)
        release_free_memory()


def _import_file(session: Session, data: bytes, options: ImportOptions) -> ImportOutcome:
    if len(data) > options.max_bytes:
        raise PayloadTooLarge(
            f"the file is {len(data) / 1_048_576:.1f} MB; the limit is "
            f"{options.max_bytes // 1_048_576} MB",
            details=[{"field": "file", "message": "file too large"}],
        )
    if not (options.dry_run and options.campaign_id == NEW_CAMPAIGN):
        campaigns.get_campaign(session, options.campaign_id)  # 404 before reading a large file
    check_owners(session, options)
    if workers_for_file(len(data), options.workers) > 1:
        return _import(session, options, sources.FileShares(data, options))
    table = reading.read_upload(data, options.mapping, sheet=options.sheet)
    return import_leads(session, table.rows, options, row_numbers=table.row_numbers, table=table)


@dataclass
class LargeImport:
    """A file imported chunk by chunk: each chunk's outcome, and their sum."""

    chunks: list[ImportOutcome] = field(default_factory=list)

    @property
    def total(self) -> ImportOutcome:
        first = self.chunks[0]
        total = ImportOutcome(csv=first.csv, dry_run=first.dry_run)
        total.batch_id = first.batch_id if len(self.chunks) == 1 else None
        for chunk in self.chunks:
            total.imported += chunk.imported
            total.updated += chunk.updated
            total.skipped += chunk.skipped
            total.rows += chunk.rows
            total.errors += chunk.errors
            total.warnings += chunk.warnings
            total.duplicates += chunk.duplicates
        return total


ChunkDone = Callable[[ImportOutcome, reading.FileTable], None]


def import_path(
    session: Session, path: Path, options: ImportOptions, on_chunk: ChunkDone | None = None
) -> LargeImport:
    """Import a file of any size (the CLI): read as it goes (``reading.read_chunks``) and
    imported in transactions of at most ``options.max_rows`` rows each, so each chunk
    applies fully or not at all, not the whole file. A row repeating a row of an earlier
    chunk is found in the campaign (``leadId``), not as an in-file repeat. A chunk that
    fails stops the import; the chunks before it stay imported (the error says which)."""
    if not (options.dry_run and options.campaign_id == NEW_CAMPAIGN):
        campaigns.get_campaign(session, options.campaign_id)
    check_owners(session, options)
    done = LargeImport()
    chunks = reading.read_chunks(path, options.max_rows, options.mapping, sheet=options.sheet)
    before = turns = 0  # rows read, owners given (the next chunk goes on with the next one)
    try:
        for table in chunks:
            chunk_options = replace(
                options,
                progress=_offset(options.progress, before),
                owners=rotated(options.owners, turns),
            )
            done.chunks.append(
                import_leads(
                    session, table.rows, chunk_options, row_numbers=table.row_numbers, table=table
                )
            )
            before += len(table.rows)
            turns += done.chunks[-1].owner_turns
            if on_chunk:
                on_chunk(done.chunks[-1], table)
    except LeadsError as exc:
        if done.chunks:
            exc.message = (
                f"{exc.message} (stopped after {len(done.chunks)} chunk(s) of this file were "
                f"imported: {', '.join(str(c.batch_id) for c in done.chunks)})"
            )
        raise
    return done


def _offset(progress: Callable[[int, int], None] | None, before: int) -> Any:
    if progress is None:
        return None
    return lambda done, total: progress(before + done, before + total)
