"""Reading leads for lists and exports: filters, sort orders and pages, in SQL.

A page is read in its sort's index order where that is cheaper than sorting the matches
(:func:`_indexed_filters`). The API's ``GET /v1/leads`` and the dashboard's grid read pages
with :func:`list_leads`; exports stream :func:`iter_leads` (every match) or
:func:`leads_by_ids` (the ticked rows)."""

from __future__ import annotations

import math
from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import false, func, or_
from sqlalchemy.orm import load_only
from sqlmodel import Session, col, select

from leads_core.errors import ValidationFailed
from leads_core.fields import LEAD_STATUSES
from leads_core.services import campaigns
from leads_core.storage import sql
from leads_core.storage.models import Lead, User
from leads_core.text import fold

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
    getattr(Lead, column.key)
    for column in sql.table_of(Lead).columns
    if column.key not in SCORE_JSON
)
MAX_LIMIT = 200


@dataclass(frozen=True)
class LeadFilters:
    campaign_id: str | None = None
    min_score: int | None = None
    source: str | None = None
    status: str | None = None
    q: str | None = None
    # None: whoever owns the lead. Otherwise the leads owned by one of these user ids, None
    # in it meaning unassigned; an empty tuple matches nothing (``me`` for the system
    # account, which owns no lead). See :func:`parse_owners`.
    owners: tuple[str | None, ...] | None = None


@dataclass(frozen=True)
class LeadPageResult:
    leads: list[Lead]
    total: int
    page: int
    limit: int

    @property
    def total_pages(self) -> int:
        return math.ceil(self.total / self.limit) if self.total else 0


FILTERS = ("campaign_id", "min_score", "source", "status", "q", "owners")
# The filters with an index of their own in a sort's order (models.Lead): a page sorted
# that way reads that index, in order, and checks the other filters there. The owner's
# index (ix_lead_owner) comes first: "my leads" are a fraction of the workspace.
OWN_SORT_INDEX = {
    "qualityScore": ("owners", "campaign_id", "status", "source", "min_score"),
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
    if filters.owners is not None:
        clauses.append(_owner_clause(term("owners", Lead.owner_id), filters.owners))
    searched = indexed is None or "q" in indexed
    clauses.extend(sql.SearchWord(w, indexed=searched) for w in fold(filters.q or "").split())
    return clauses


def _owner_clause(column: Any, owners: tuple[str | None, ...]) -> Any:
    """``owner_id = x`` (or IN), ``owner_id IS NULL`` for None, both OR-ed; false for ()."""
    ids = [owner for owner in owners if owner is not None]
    terms = []
    if ids:
        terms.append(column == ids[0] if len(ids) == 1 else column.in_(ids))
    if None in owners:
        terms.append(column.is_(None))
    return or_(*terms) if terms else false()


OWNER_ME = "me"
OWNER_NONE = "none"
MAX_OWNER_VALUES = 1  # several, comma-separated, come with issue 18's multi-value filters


def parse_owners(raw: str | None, *, me: str | None) -> tuple[str | None, ...] | None:
    """``ownerId`` as the API and the dashboard's URL write it: ``me`` (the user ``me``;
    None for the system account, which owns no lead: then nothing matches), ``none``
    (unassigned) or a user id ``usr_...``; values separated by commas. None when blank."""
    values = [value.strip() for value in (raw or "").split(",") if value.strip()]
    if not values:
        return None
    if len(values) > MAX_OWNER_VALUES:
        raise _bad_owner(f"give one value, not {len(values)}", "one value")
    owners: list[str | None] = []
    for value in values:
        if value.lower() == OWNER_ME:
            owners.extend([me] if me else [])
        elif value.lower() == OWNER_NONE:
            owners.append(None)
        elif value.startswith("usr_") and len(value) <= 64:
            owners.append(value)
        else:
            raise _bad_owner(f"{value[:70]!r} is not me, none or a user id", "unknown value")
    return tuple(dict.fromkeys(owners))


def _bad_owner(problem: str, short: str) -> ValidationFailed:
    return ValidationFailed(
        f"ownerId: {problem}; use me, none or a user id (usr_...)",
        details=[{"field": "ownerId", "location": "query", "message": short}],
    )


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
    # Text sorts ignore case: "de la Tour" before "Zola".
    ordered = sql.Folded(column) if name in TEXT_SORTS else col(column)
    key = ordered.desc() if descending else ordered.asc()
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
    if own and not ("owners" in present and own[0] != "owners"):
        return {own[0], *ranged}
    everyone = session.exec(select(func.count()).select_from(Lead)).one()
    walked = reach * everyone / matching  # entries a walk of the sort's index passes
    if "owners" in present:
        # The sort indexes do not hold owner_id: a walk reads the row of each entry it
        # passes. Fewer rows than the owner's leads (most leads unassigned, an early
        # page): walk; otherwise ix_lead_owner finds them and SQLite sorts them.
        return ranged if walked < matching else {"owners"}
    if walked * WALK_COST < matching:
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
    wanted = {owner for owner in filters.owners or () if owner is not None}
    if wanted:
        known = set(session.exec(select(User.id).where(col(User.id).in_(wanted))).all())
        if unknown := sorted(wanted - known):
            raise ValidationFailed(
                f"ownerId: no user with id {unknown[0]!r}",
                details=[{"field": "ownerId", "location": "query", "message": "no such user"}],
            )


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
