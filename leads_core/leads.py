"""Lead service functions: list (filtered, sorted, paged in SQL), read, edit, delete,
history and re-scoring. The only place that queries leads outside the import."""

from __future__ import annotations

import math
from collections.abc import Callable, Container, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic.alias_generators import to_camel
from sqlalchemy import bindparam, func, update
from sqlalchemy.exc import IntegrityError, InvalidRequestError
from sqlalchemy.orm import load_only
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, delete, select

from leads_core import campaigns, scoring, sql
from leads_core.assess import NEEDS_IDENTITY, IdentityKeys, assess, fold, identity_keys
from leads_core.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from leads_core.models import (
    LEAD_STATUSES,
    SCORED_FIELDS,
    Lead,
    LeadActivity,
    LeadDetail,
    LeadPublic,
    LeadUpdate,
    drop_nul,
    utcnow,
)

SORTABLE: dict[str, Any] = {
    "qualityScore": Lead.quality_score,
    "createdAt": Lead.created_at,
    "updatedAt": Lead.updated_at,
    "firstName": Lead.first_name,
    "lastName": Lead.last_name,
    "company": Lead.company,
    "email": Lead.email,
    "status": Lead.status,
}
TEXT_SORTS = frozenset({"firstName", "lastName", "company", "email"})
DEFAULT_SORT = "-createdAt"
SCORE_JSON = frozenset({"score_breakdown", "score_reasons", "enrichment"})
# What a list page reads of each lead: every column but the score details and enrichment,
# three JSON documents to decode per lead that neither the API's list nor the dashboard's
# table shows (read later, they would need the session the page was read in).
LIST_COLUMNS = tuple(
    getattr(Lead, column.key) for column in Lead.__table__.columns if column.key not in SCORE_JSON
)
MAX_LIMIT = 200


@dataclass(frozen=True)
class LeadFilters:
    campaign_id: str | None = None
    min_score: int | None = None
    source: str | None = None
    status: str | None = None
    q: str | None = None


@dataclass(frozen=True)
class LeadPageResult:
    leads: list[Lead]
    total: int
    page: int
    limit: int

    @property
    def total_pages(self) -> int:
        return math.ceil(self.total / self.limit) if self.total else 0


FILTERS = ("campaign_id", "min_score", "source", "status", "q")
# The filters with an index of their own in a sort's order (models.Lead): a page sorted
# that way reads that index, in order, and checks the other filters there.
OWN_SORT_INDEX = {
    "qualityScore": ("campaign_id", "status", "source", "min_score"),
    "createdAt": ("campaign_id",),
}
# Walking a covering index costs about 1/20 of sorting a matching row (SQLite at 1M leads:
# 44,000 entries in 2 ms against 450,000 rows sorted in 1.3 s).
WALK_COST = 1 / 20


def filter_clauses(filters: LeadFilters, *, indexed: Container[str] | None = None) -> list[Any]:
    """The WHERE terms for ``filters``; those not named in ``indexed`` (when given) are
    kept off their indexes on SQLite (see :func:`_indexed_filters`)."""

    def term(name: str, column: Any) -> Any:
        return column if indexed is None or name in indexed else sql.Unindexed(column)

    clauses: list[Any] = []
    if filters.campaign_id:
        clauses.append(term("campaign_id", Lead.campaign_id) == filters.campaign_id)
    if filters.min_score is not None:
        clauses.append(term("min_score", Lead.quality_score) >= filters.min_score)
    if filters.source:
        clauses.append(term("source", Lead.source) == filters.source.strip().lower())
    if filters.status:
        clauses.append(term("status", Lead.status) == filters.status)
    searched = indexed is None or "q" in indexed
    clauses.extend(sql.SearchWord(w, indexed=searched) for w in fold(filters.q or "").split())
    return clauses


def parse_sort(sort: str | None) -> list[Any]:
    """``-qualityScore`` -> ORDER BY quality_score DESC NULLS LAST, id DESC."""
    sort = (sort or "").strip() or DEFAULT_SORT
    descending = sort.startswith("-")
    name = sort.lstrip("-+")
    column = SORTABLE.get(name)
    if column is None:
        raise ValidationFailed(
            f"sort: unknown field {name!r}; use one of {', '.join(SORTABLE)} (prefix - for descending)",
            details=[{"field": "sort", "location": "query", "message": "unknown sort field"}],
        )
    key = sql.Folded(column) if name in TEXT_SORTS else col(column)  # "de la Tour" before "Zola"
    key = key.desc() if descending else key.asc()
    if column.nullable:  # empty values last either way; NOT NULL columns need no clause,
        key = key.nulls_last()  # which lets PostgreSQL read "DESC" from an ascending index
    return [key, col(Lead.id).desc() if descending else col(Lead.id).asc()]


def _indexed_filters(
    session: Session, filters: LeadFilters, sort: str, matching: int, reach: int
) -> Container[str] | None:
    """Which filters SQLite may look up by index for a page of a filtered list that ends
    ``reach`` rows into the ``matching`` ones (None: all, and SQLite chooses).

    SQLite without statistics picks a filter's index and then sorts every match: 1.3 s for
    ``status=new`` (450,000 leads) by date at a million leads. Walking the sort's index in
    order (migration 0003 made one per sort, holding every filtered column) and checking
    the filters there reads about ``reach x all / matching`` entries and stops at the page:
    2 ms. Sorting wins when few leads match; a filter with its own index in the sort's
    order wins always. PostgreSQL plans from its statistics."""
    present = [name for name in FILTERS if _present(filters, name)]
    if not present or sql.dialect(session) != "sqlite":
        return None
    name = sort.lstrip("-+")
    ranged = {"min_score"} if name == "qualityScore" else set()  # a range of the same index
    own = [f for f in OWN_SORT_INDEX.get(name, ()) if f in present]
    if own:
        return {own[0], *ranged}
    everyone = session.exec(select(func.count()).select_from(Lead)).one()
    if reach * everyone / matching * WALK_COST < matching:
        return ranged
    return None


def _present(filters: LeadFilters, name: str) -> bool:
    value = getattr(filters, name)
    return bool(fold(value or "").split()) if name == "q" else value not in (None, "")


def validate_filters(session: Session, filters: LeadFilters) -> None:
    if filters.status is not None and filters.status not in LEAD_STATUSES:
        raise ValidationFailed(
            f"status: unknown status {filters.status!r}; use one of {', '.join(LEAD_STATUSES)}",
            details=[{"field": "status", "location": "query", "message": "unknown status"}],
        )
    if filters.min_score is not None and not 0 <= filters.min_score <= 100:
        raise ValidationFailed(
            "minScore: must be between 0 and 100",
            details=[{"field": "minScore", "location": "query", "message": "out of range"}],
        )
    if filters.campaign_id:
        campaigns.get_campaign(session, filters.campaign_id)


def list_leads(
    session: Session,
    *,
    filters: LeadFilters,
    page: int = 1,
    limit: int = 50,
    sort: str | None = None,
) -> LeadPageResult:
    if page < 1:
        raise ValidationFailed("page: must be 1 or more", details=[{"field": "page"}])
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(
            f"limit: must be between 1 and {MAX_LIMIT}", details=[{"field": "limit"}]
        )
    validate_filters(session, filters)
    order = parse_sort(sort)
    total = count_leads(session, filters=filters)
    offset = (page - 1) * limit
    if offset >= total:
        return LeadPageResult(leads=[], total=total, page=page, limit=limit)
    indexed = _indexed_filters(session, filters, sort or DEFAULT_SORT, total, offset + limit)
    # The page's ids first (read from the sort index, which ends with id), then those rows:
    # an OFFSET over whole rows would carry every skipped row through the sort.
    ids = session.exec(
        select(Lead.id)
        .where(*filter_clauses(filters, indexed=indexed))
        .order_by(*order)
        .offset(offset)
        .limit(limit)
    ).all()
    found = leads_by_ids(session, ids, columns=LIST_COLUMNS)
    return LeadPageResult(leads=found, total=total, page=page, limit=limit)


def count_leads(session: Session, *, filters: LeadFilters | None = None) -> int:
    filters = filters or LeadFilters()
    words = fold(filters.q or "").split()
    if words and filters == LeadFilters(q=filters.q):
        counted = sql.count_search(session, words)
        if counted is not None:
            return counted
    clauses = filter_clauses(filters)
    return session.exec(select(func.count()).select_from(Lead).where(*clauses)).one()


def get_lead(session: Session, lead_id: str, *, expected_version: int | None = None) -> Lead:
    """The lead; with ``expected_version`` (a client's ``If-Match``), 412 unless the lead is
    still at that version."""
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise NotFound(f"lead {lead_id!r} not found")
    if expected_version is not None and lead.version != expected_version:
        raise PreconditionFailed(
            f"lead {lead_id} was changed by someone else since you read it (you sent version "
            f"{expected_version}, it is now at {lead.version}); read it again and redo your "
            "change",
            details=[{"field": "If-Match", "message": f"current version is {lead.version}"}],
        )
    return lead


T = TypeVar("T")
EDIT_ATTEMPTS = 3


def _write_again_if_raced(session: Session, write: Callable[[], T]) -> T:
    """Run ``write`` (read a lead, change it, commit) again when another writer changed the
    lead between our read and our commit: the version counter made our UPDATE or DELETE
    match nothing. The next attempt reads their change; one with an expected version then
    answers 412, as it would have had it come a moment later."""
    for attempt in range(1, EDIT_ATTEMPTS + 1):
        try:
            return write()
        except StaleDataError:
            session.rollback()
            if attempt == EDIT_ATTEMPTS:
                raise Conflict("the lead is being changed by others right now; try again") from None
    raise AssertionError("unreachable")  # pragma: no cover


def _activity_for_changes(
    lead_id: str, before: dict[str, Any], after: dict[str, Any], actor: str | None
) -> list[LeadActivity]:
    entries = []
    now = utcnow()
    for name, new in after.items():
        old = before[name]
        if old == new:
            continue
        kind = {"status": "status_change", "notes": "note"}.get(name, "field_change")
        entries.append(
            LeadActivity(
                lead_id=lead_id,
                kind=kind,
                field=to_camel(name),
                old_value=None if old is None else str(old),
                new_value=None if new is None else str(new),
                actor=actor,
                created_at=now,
            )
        )
    return entries


def update_lead(
    session: Session,
    lead_id: str,
    changes: LeadUpdate,
    *,
    region: str,
    actor: str | None = None,
    expected_version: int | None = None,
) -> Lead:
    """Apply the fields present in ``changes``; re-score when a scored field changed.

    With ``expected_version``, refuse (412) when the lead has been changed since."""
    return _write_again_if_raced(
        session, lambda: _update_once(session, lead_id, changes, region, actor, expected_version)
    )


def _update_once(
    session: Session,
    lead_id: str,
    changes: LeadUpdate,
    region: str,
    actor: str | None,
    expected_version: int | None,
) -> Lead:
    lead = get_lead(session, lead_id, expected_version=expected_version)
    values = changes.model_dump(exclude_unset=True)
    if "status" in values and values["status"] is None:
        raise ValidationFailed("status: cannot be null", details=[{"field": "status"}])
    values = {k: (v.value if hasattr(v, "value") else v) for k, v in values.items()}
    changed = {k: v for k, v in values.items() if getattr(lead, k) != v}
    if not changed:
        return lead
    after = {name: changed.get(name, getattr(lead, name)) for name in ("email", "linkedin_url")}
    keys = identity_keys(after["email"], after["linkedin_url"])
    if keys.empty:
        raise ValidationFailed(
            NEEDS_IDENTITY,
            details=[{"field": "email", "message": "email or linkedinUrl is required"}],
        )
    _check_identity_free(session, lead, keys)
    campaign = campaigns.get_campaign(session, lead.campaign_id)
    with session.no_autoflush:  # a duplicate email must surface at commit, as a 409
        history = apply_changes(
            lead,
            changed,
            criteria=campaigns.scoring_criteria(campaign),
            score=lead.quality_score is not None,
            region=region,
            actor=actor,
        )
    session.add(lead)
    session.add_all(history)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(
            "another lead in this campaign already has this email or LinkedIn URL",
            details=[{"field": "email", "message": "duplicate in campaign"}],
        ) from None
    return _reread(session, lead)


def _check_identity_free(session: Session, lead: Lead, keys: IdentityKeys) -> None:
    """409 naming the field when another lead of the campaign has this email / LinkedIn."""
    for field, label, column, key in (
        ("email", "email", Lead.email_key, keys.email),
        ("linkedinUrl", "LinkedIn URL", Lead.linkedin_key, keys.linkedin),
    ):
        if key is None:
            continue
        other = session.exec(
            select(Lead.id).where(
                Lead.campaign_id == lead.campaign_id, column == key, Lead.id != lead.id
            )
        ).first()
        if other:
            raise Conflict(
                f"another lead in this campaign ({other}) already has this {label}",
                details=[{"field": field, "message": "duplicate in campaign"}],
            )


def _lead_fields(lead: Lead) -> dict[str, Any]:
    return {name: getattr(lead, name) for name in SCORED_FIELDS}


def apply_changes(
    lead: Lead,
    changed: dict[str, Any],
    *,
    criteria: scoring.CampaignCriteria,
    score: bool,
    region: str,
    actor: str | None,
) -> list[LeadActivity]:
    """Set ``changed`` (snake_case fields) on the lead, refresh its identity keys, and its
    enrichment and score when a scored field changed. Returns the history entries to add.

    Shared by edits (PATCH, dashboard) and ``onDuplicate=update`` imports."""
    before = {name: getattr(lead, name) for name in changed}
    for name, value in changed.items():
        setattr(lead, name, value)
    keys = identity_keys(lead.email, lead.linkedin_url)
    lead.email_key, lead.linkedin_key = keys.email, keys.linkedin
    if any(name in SCORED_FIELDS for name in changed):
        result = assess(_lead_fields(lead), criteria, score=score, region=region)
        for name, value in result.columns().items():
            setattr(lead, name, value)
    lead.updated_at = utcnow()
    return _activity_for_changes(lead.id, before, changed, actor)


MAX_NOTES = 20000


def add_note(session: Session, lead_id: str, text: str, *, actor: str | None = None) -> Lead:
    """Append a dated line to the lead's notes; the history records the note itself."""
    text = drop_nul(text).strip()
    if not text:
        raise ValidationFailed("note: write something", details=[{"field": "note"}])
    return _write_again_if_raced(session, lambda: _add_note_once(session, lead_id, text, actor))


def _add_note_once(session: Session, lead_id: str, text: str, actor: str | None) -> Lead:
    lead = get_lead(session, lead_id)
    now = utcnow()
    line = f"[{now:%Y-%m-%d %H:%M} UTC] {text}"
    notes = f"{lead.notes}\n{line}" if lead.notes else line
    if len(notes) > MAX_NOTES:
        raise ValidationFailed(
            f"notes: at most {MAX_NOTES} characters; shorten the notes first",
            details=[{"field": "notes", "message": "too long"}],
        )
    lead.notes, lead.updated_at = notes, now
    session.add(lead)
    session.add(
        LeadActivity(
            lead_id=lead.id, kind="note", field="notes", new_value=text, actor=actor, created_at=now
        )
    )
    session.commit()
    return _reread(session, lead)


def _reread(session: Session, lead: Lead) -> Lead:
    """The lead as committed; 404 when another request deleted it right after our commit."""
    lead_id = session.identity_key(instance=lead)[1][0]  # lead.id would reload it too
    try:
        session.refresh(lead)
    except InvalidRequestError:
        raise NotFound(f"lead {lead_id!r} was deleted by someone else just now") from None
    return lead


def delete_lead(session: Session, lead_id: str, *, expected_version: int | None = None) -> None:
    """Delete the lead and its history; with ``expected_version``, only if still at it."""

    def delete_once() -> None:
        session.delete(get_lead(session, lead_id, expected_version=expected_version))
        session.commit()

    _write_again_if_raced(session, delete_once)


def delete_leads(session: Session, lead_ids: Sequence[str]) -> int:
    """Delete the given leads (their history goes with them); returns how many existed."""
    ids = list(dict.fromkeys(lead_ids))
    if not ids:
        return 0
    result = session.exec(delete(Lead).where(col(Lead.id).in_(ids)))
    session.commit()
    return result.rowcount


def set_status(
    session: Session, lead_ids: Sequence[str], status: str, *, actor: str | None = None
) -> int:
    """Move the given leads to ``status``, one history entry per lead that changed;
    returns how many changed. Unknown ids are ignored (the lead may have been deleted)."""
    if status not in LEAD_STATUSES:
        raise ValidationFailed(
            f"status: unknown status {status!r}; use one of {', '.join(LEAD_STATUSES)}",
            details=[{"field": "status", "message": "unknown status"}],
        )

    def set_once() -> int:
        rows = session.exec(
            select(Lead).where(col(Lead.id).in_(list(lead_ids)), Lead.status != status)
        ).all()
        for lead in rows:
            before, after = {"status": lead.status}, {"status": status}
            session.add_all(_activity_for_changes(lead.id, before, after, actor))
            lead.status, lead.updated_at = status, utcnow()
            session.add(lead)
        session.commit()
        return len(rows)

    return _write_again_if_raced(session, set_once)


def iter_leads(
    session: Session, *, filters: LeadFilters, sort: str | None = None, batch: int = 1000
) -> Iterator[Lead]:
    """Every lead matching ``filters`` in ``sort`` order, streamed from the database in
    batches (for exports: memory stays flat however many leads match)."""
    validate_filters(session, filters)
    statement = (
        select(Lead)
        .where(*filter_clauses(filters))
        .order_by(*parse_sort(sort))
        .execution_options(yield_per=batch)
    )
    yield from session.exec(statement)


def leads_by_ids(
    session: Session, lead_ids: Sequence[str], *, columns: Sequence[Any] | None = None
) -> list[Lead]:
    """The given leads in the order of ``lead_ids`` (missing ones left out); with
    ``columns``, only those are read (the others load when first used)."""
    statement = select(Lead).where(col(Lead.id).in_(lead_ids))
    if columns is not None:
        statement = statement.options(load_only(*columns))
    found = {lead.id: lead for lead in session.exec(statement)}
    return [found[i] for i in lead_ids if i in found]


def lead_activity(session: Session, lead_id: str) -> list[LeadActivity]:
    get_lead(session, lead_id)
    return list(
        session.exec(
            select(LeadActivity)
            .where(LeadActivity.lead_id == lead_id)
            .order_by(col(LeadActivity.created_at), col(LeadActivity.id))
        )
    )


def rescore_leads(
    session: Session,
    *,
    campaign_id: str,
    criteria: scoring.CampaignCriteria,
    region: str,
    progress: Callable[[int, int], None] | None = None,
    chunk: int = 2000,
) -> int:
    """Score every scored lead of the campaign again (leads stored with ``autoScore: false``
    stay unscored); returns how many scores changed."""
    total = count_leads(session, filters=LeadFilters(campaign_id=campaign_id, min_score=0))
    done = changed = 0
    last_id = ""
    statement = (
        update(Lead)
        .where(Lead.id == bindparam("lead_id"))
        .values(
            quality_score=bindparam("quality_score"),
            score_breakdown=bindparam("score_breakdown"),
            score_reasons=bindparam("score_reasons"),
            updated_at=bindparam("updated_at"),
            version=Lead.version + 1,
        )
    )
    while True:
        rows: Sequence[Lead] = session.exec(
            select(Lead)
            .where(
                Lead.campaign_id == campaign_id,
                col(Lead.quality_score).is_not(None),
                col(Lead.id) > last_id,
            )
            .order_by(col(Lead.id))
            .limit(chunk)
        ).all()
        if not rows:
            break
        now = utcnow()
        params = []
        for lead in rows:
            result = assess(_lead_fields(lead), criteria, score=True, region=region)
            if (
                result.quality_score != lead.quality_score
                or result.score_breakdown != lead.score_breakdown
            ):
                changed += 1
            params.append(
                {
                    "lead_id": lead.id,
                    "quality_score": result.quality_score,
                    "score_breakdown": result.score_breakdown,
                    "score_reasons": result.score_reasons,
                    "updated_at": now,
                }
            )
        session.connection().execute(statement, params)
        session.commit()
        session.expunge_all()
        last_id = rows[-1].id
        done += len(rows)
        if progress:
            progress(done, total)
    return changed


def to_public(lead: Lead) -> LeadPublic:
    return LeadPublic.model_validate(lead, from_attributes=True)


def to_detail(lead: Lead) -> LeadDetail:
    return LeadDetail.model_validate(lead, from_attributes=True)
