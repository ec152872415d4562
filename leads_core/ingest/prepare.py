"""The CPU part of an import, done before any write: each row validated, normalized,
given its identity keys, enriched and scored, and turned into the cells the database
driver takes. Nothing here touches the database, so it runs in a pool of worker
processes (``ingest.pool``) or inline, with the same result either way.

A :class:`Job` and what :func:`prepare` returns are plain picklable values: rows go to
a worker as dicts and come back as tuples, each JSON cell already serialized the way
the engine's bulk insert takes it (``storage.sql.insert_rows``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.dialects import sqlite

from leads_core import validation
from leads_core.fields import BY_API_NAME, FIELDS
from leads_core.files import reading
from leads_core.identity import NEEDS_IDENTITY, identity_keys
from leads_core.schemas import LeadCreate
from leads_core.scoring.assess import assess
from leads_core.scoring.criteria import CampaignCriteria
from leads_core.storage.models import Lead
from leads_core.storage.sql import table_of

log = logging.getLogger(__name__)

_ROW = TypeAdapter(LeadCreate)

FIELD_COLUMNS: tuple[str, ...] = (*(f.name for f in FIELDS), "attributes")
"""What a client gives for a lead (snake_case), in the order of a prepared row's cells."""
DERIVED_COLUMNS = (
    "search_text",
    "enrichment",
    "quality_score",
    "score_breakdown",
    "score_reasons",
    "email_key",
    "linkedin_key",
)
COLUMNS: tuple[str, ...] = FIELD_COLUMNS + DERIVED_COLUMNS
"""A prepared row's cells, in order; the importer adds the id, campaign, batch and times."""
STATUS = COLUMNS.index("status")
SCORE = COLUMNS.index("quality_score")
ATTRIBUTES = COLUMNS.index("attributes")

RowError = tuple[int, str, str]
"""(row number, field, message): an ``ImportRowError`` as cheap to send between processes."""
Ready = tuple[int, int, str | None, str | None, tuple[Any, ...]]
"""(index in the request, row number, email key, LinkedIn key, cells in ``COLUMNS`` order),
or an empty tuple of cells in a dry run, which needs no more than the keys."""


@dataclass(frozen=True)
class Job:
    """Rows ``start`` .. ``start + len(rows)`` of one request and how to prepare them."""

    rows: Sequence[Any]
    numbers: Sequence[int]
    start: int
    criteria: CampaignCriteria
    region: str
    score: bool  # autoScore
    cells: bool  # False (a dry run): validation and identity keys only
    dialect: str  # "sqlite" or "postgresql": how the JSON cells are written
    # Field (snake_case) -> the file's column header for it: the attribute an invalid
    # email, web site or LinkedIn link is kept under (default: the field's label).
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Prepared:
    ready: list[Ready]
    errors: list[RowError]
    # Rows imported with a value left out of its field (kept in the attributes).
    warnings: list[RowError] = field(default_factory=list)


CHECKED = tuple(f for f in FIELDS if f.check)
"""The fields whose values must look like an email, a web site or a LinkedIn link."""


def headers_of(mapping: Mapping[str, str | None]) -> dict[str, str]:
    """Field (snake_case) -> the first column header a file's mapping gives it."""
    found: dict[str, str] = {}
    for header, target in mapping.items():
        if target in BY_API_NAME:
            found.setdefault(BY_API_NAME[target].name, header)
    return found


def prepare(job: Job) -> Prepared:
    """Every row of ``job``: ready to insert, or the reasons it cannot be a lead (in row
    order). A row that fails in an unexpected way is reported as that row's error, never
    ends the import."""
    result = Prepared([], [])
    json_cell = _shared(_json_writer(job.dialect))
    for offset, (raw, number) in enumerate(zip(job.rows, job.numbers, strict=True)):
        try:
            _prepare_row(job, raw, number, job.start + offset, json_cell, result)
        except Exception:  # a bug for one row must not lose the other rows
            log.exception("row %s of an import could not be prepared", number)
            result.errors.append((number, "lead", "this row could not be read; it has been logged"))
    return result


def _prepare_row(
    job: Job,
    raw: Any,
    number: int,
    index: int,
    json_cell: Callable[[Any], Any],
    out: Prepared,
) -> None:
    ready, errors = out.ready, out.errors
    values = _validate(raw, number, errors)
    if values is None:
        return
    # The keys of the values as written, an invalid one included: importing the file
    # again finds the lead, whose email or LinkedIn field the next step may empty.
    keys = identity_keys(values["email"], values["linkedin_url"])
    if keys.empty:  # neither given, or a LinkedIn "URL" that normalizes to nothing
        errors.append((number, "email", NEEDS_IDENTITY))
        return
    _set_aside_invalid(values, job.headers, number, out)
    if not job.cells:
        ready.append((index, number, keys.email, keys.linkedin, ()))
        return
    result = assess(values, job.criteria, score=job.score, region=job.region)
    cells = (
        *(values[name] for name in FIELD_COLUMNS[:-1]),
        json_cell(values["attributes"]),
        result.search_text,
        json_cell(result.enrichment),
        result.quality_score,
        json_cell(result.score_breakdown),
        json_cell(result.score_reasons),
        keys.email,
        keys.linkedin,
    )
    ready.append((index, number, keys.email, keys.linkedin, cells))


def _set_aside_invalid(
    values: dict[str, Any], headers: Mapping[str, str], number: int, result: Prepared
) -> None:
    """Move an invalid email, web site or LinkedIn link (``leads_core.validation``) out of
    its field into the row's attributes, under the file's column header (or the field's
    label), with a warning for the row: the row is imported, the value is not lost, and
    the field holds only what is one."""
    for checked in CHECKED:
        value, check = values[checked.name], checked.check
        problem = None if value is None or check is None else validation.problem(check, value)
        if problem is None:
            continue
        header = headers.get(checked.name) or checked.label
        values["attributes"] = {**(values["attributes"] or {}), header: value}
        values[checked.name] = None
        message = f"{problem}: kept in the lead's attributes as {header!r}"
        result.warnings.append((number, checked.api_name, message))


def _shared(write: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``write``, each distinct text returned as one object: many leads have the same score
    breakdown, reasons or no attributes (20,000 demo leads: 571 breakdowns, 5,842 reasons),
    so a part is smaller to send back and its cells take less of the app's memory."""
    seen: dict[Any, Any] = {}

    def shared(value: Any) -> Any:
        text = write(value)
        return seen.setdefault(text, text)

    return shared


def _validate(raw: Any, number: int, errors: list[RowError]) -> dict[str, Any] | None:
    """One row -> snake_case field dict, or None with the reasons it cannot be a lead."""
    if not isinstance(raw, Mapping):
        errors.append((number, "lead", "must be a JSON object"))
        return None
    cleaned = {
        k: v for k, v in raw.items() if v is not None and not (isinstance(v, str) and not v.strip())
    }
    try:
        lead = _ROW.validate_python(cleaned)
    except ValidationError as exc:
        errors.extend(
            (number, ".".join(map(str, err["loc"])) if err["loc"] else "lead", err["msg"])
            for err in exc.errors(include_url=False)
        )
        return None
    values = lead.model_dump()
    values["status"] = lead.status.value
    return values


def _json_writer(dialect: str) -> Callable[[Any], Any]:
    """A JSON cell as the bulk insert takes it: on SQLite what SQLAlchemy's JSON type
    writes (``null`` for None), on PostgreSQL the JSON text (None stays SQL NULL)."""
    if dialect == "sqlite":
        return _sqlite_json()
    return lambda value: None if value is None else json.dumps(value)


@cache
def _sqlite_json() -> Callable[[Any], Any]:
    dialect = sqlite.dialect()
    json_type = table_of(Lead).c["enrichment"].type.dialect_impl(dialect)
    convert: Callable[[Any], Any] | None = json_type.bind_processor(dialect)
    if convert is None:  # pragma: no cover - SQLAlchemy's JSON type always has one
        raise RuntimeError("SQLAlchemy's JSON type has no bind processor on SQLite")
    return convert


def attributes_of(cells: tuple[Any, ...]) -> dict[str, str] | None:
    """A prepared row's attributes as a dict again (for merging into a stored lead)."""
    text = cells[ATTRIBUTES]
    return None if text is None else json.loads(text)


def fields_of(cells: tuple[Any, ...]) -> dict[str, Any]:
    """A prepared row's lead fields (snake_case) with its attributes as a dict."""
    values = dict(zip(FIELD_COLUMNS, cells, strict=False))
    values["attributes"] = attributes_of(cells)
    return values


def problem_texts(errors: Iterable[RowError]) -> dict[int, str]:
    """Row number -> what is wrong with it ("field: message; field: message")."""
    problems: dict[int, str] = {}
    for row, name, message in errors:
        text = f"{name}: {message}"
        problems[row] = f"{problems[row]}; {text}" if row in problems else text
    return problems


@dataclass(frozen=True)
class FileShare:
    """One worker's share of an uploaded file: the worker reads the whole file itself and
    prepares rows ``share`` of ``shares`` (an equal, contiguous part), so the app process
    never holds the file's rows - only what comes back. ``job`` says how to prepare them
    (its rows are left empty)."""

    data: bytes
    mapping: Mapping[str, str | None] | None
    sheet: str | None
    share: int
    shares: int
    job: Job


@dataclass(frozen=True)
class PreparedShare:
    prepared: Prepared
    rows: int  # data rows in the whole file
    file: reading.FileTable  # how the file was read, without its rows
    problem_lines: str  # this share's rows in error, as problem-rows CSV lines (no header)


def prepare_share(share: FileShare) -> PreparedShare:
    table = reading.read_upload(share.data, share.mapping, sheet=share.sheet)
    count = len(table.rows)
    low, high = count * share.share // share.shares, count * (share.share + 1) // share.shares
    job = replace(
        share.job,
        rows=table.rows[low:high],
        numbers=table.row_numbers[low:high],
        start=low,
        headers=headers_of(table.mapping),
    )
    prepared = prepare(job)
    problems = problem_texts(prepared.errors)
    lines = reading.problem_rows_csv(table, problems, header=False) if problems else ""
    summary = replace(table, rows=[], row_numbers=[], records=[])
    return PreparedShare(prepared, count, summary, lines)
