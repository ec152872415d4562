"""Reading leads for lists and exports: filters, sort orders and pages, in SQL.

A page is read in its sort's index order where that is cheaper than sorting the matches
(:func:`_indexed_filters`). The API's ``GET /v1/leads`` and the dashboard's grid read pages
with :func:`list_leads`; exports stream :func:`iter_leads` (every match) or
:func:`leads_by_ids` (the ticked rows). What the filters are, and how query parameters
name them, is ``services.filtering`` (its names are also offered here)."""

from __future__ import annotations

import math
from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import false, func, or_
from sqlalchemy.orm import load_only
from sqlmodel import Session, col, select

from leads_core.errors import ValidationFailed
from leads_core.fields import LEAD_STATUSES
from leads_core.services import campaigns, lead_counts
from leads_core.services.filtering import MAX_OWNER_VALUES as MAX_OWNER_VALUES
from leads_core.services.filtering import MAX_VALUES as MAX_VALUES
from leads_core.services.filtering import OWNER_ME as OWNER_ME
from leads_core.services.filtering import OWNER_NONE as OWNER_NONE
from leads_core.services.filtering import LeadFilters as LeadFilters
from leads_core.services.filtering import check_ranges
from leads_core.services.filtering import filters_from_params as filters_from_params
from leads_core.services.filtering import params_of as params_of
from leads_core.services.filtering import parse_owners as parse_owners
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
class IdPage:
    """A page of a list as the ids of its leads, in order, and the count of all matches."""

    ids: list[str]
    total: int
    page: int
    limit: int

    @property
    def total_pages(self) -> int:
        return math.ceil(self.total / self.limit) if self.total else 0


@dataclass(frozen=True)
class LeadPageResult(IdPage):
    leads: list[Lead]


FILTERS = (
    *("campaign_ids", "statuses", "sources", "min_score", "max_score", "q", "owners"),
    *("created_from", "created_to", "activity_from", "activity_to"),
)
# The filters with an index of their own in a sort's order (models.Lead): a page sorted
# that way reads that index, in order, and checks the other filters there - when the
# filter has one value (several, an IN list, come out of that index in several runs).
# The owner's index (ix_lead_owner) comes first: "my leads" are a fraction of the workspace.
OWN_SORT_INDEX = {
    "qualityScore": ("owners", "campaign_ids", "statuses", "sources", "min_score"),
    "createdAt": ("campaign_ids",),
}
# Ranges of the sort's own column: read from the sort's index, wherever the walk is.
SORT_RANGES = {
    "qualityScore": {"min_score", "max_score"},
    "createdAt": {"created_from", "created_to"},
}
# Walking a covering index costs about 1/20 of sorting a matching row (SQLite at 1M leads:
# 44,000 entries in 2 ms against 450,000 rows sorted in 1.3 s).
WALK_COST = 1 / 20
# Probing the set of a text's matches while walking a filter's index costs about 1/5 of
# looking up a matching lead's row by rowid (SQLite at 1M leads); up to
# WALK_WITHOUT_COUNTING entries, the walk is taken without counting the matches first.
PROBE_COST = 1 / 5
WALK_WITHOUT_COUNTING = 20_000


def filter_clauses(filters: LeadFilters, *, indexed: Container[str] | None = None) -> list[Any]:
    """The WHERE terms for ``filters``; those not named in ``indexed`` (when given) are
    kept off their indexes on SQLite (see :func:`_indexed_filters`)."""

    def term(name: str, column: Any) -> Any:
        return column if indexed is None or name in indexed else sql.Unindexed(column)

    clauses: list[Any] = []
    for name, column, values in (
        ("campaign_ids", Lead.campaign_id, filters.campaign_ids),
        ("statuses", Lead.status, filters.statuses),
        ("sources", Lead.source, tuple(v.strip().lower() for v in filters.sources)),
    ):
        if values:
            clauses.append(_one_of(term(name, column), values))
    if filters.min_score is not None:
        clauses.append(term("min_score", Lead.quality_score) >= filters.min_score)
    if filters.max_score is not None:
        clauses.append(term("max_score", Lead.quality_score) <= filters.max_score)
    if filters.owners is not None:
        clauses.append(_owner_clause(term("owners", Lead.owner_id), filters.owners))
    for start, end, column in (
        ("created_from", "created_to", Lead.created_at),
        ("activity_from", "activity_to", Lead.last_activity_at),
    ):
        low, high = getattr(filters, start), getattr(filters, end)
        if low is not None:
            clauses.append(term(start, column) >= _midnight(low))
        if high is not None:
            clauses.append(term(end, column) < _midnight(high + timedelta(days=1)))
    searched = indexed is None or "q" in indexed
    if words := fold(filters.q or "").split():
        clauses.append(sql.SearchWord(words, indexed=searched))
    return clauses


def _one_of(column: Any, values: tuple[str, ...]) -> Any:
    return column == values[0] if len(values) == 1 else column.in_(values)


def _midnight(day: date) -> datetime:
    """The start of a UTC day, as the lead's timestamps are stored."""
    return datetime.combine(day, time.min, tzinfo=UTC)


def _owner_clause(column: Any, owners: tuple[str | None, ...]) -> Any:
    """``owner_id = x`` (or IN), ``owner_id IS NULL`` for None, both OR-ed; false for ()."""
    ids = [owner for owner in owners if owner is not None]
    terms = []
    if ids:
        terms.append(column == ids[0] if len(ids) == 1 else column.in_(ids))
    if None in owners:
        terms.append(column.is_(None))
    return or_(*terms) if terms else false()


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
    session: Session,
    counts: lead_counts.Counts,
    filters: LeadFilters,
    sort: str,
    matching: int,
    reach: int,
    searched: Container[str] | None = None,
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
    ranged = SORT_RANGES.get(name, set())  # a range of the same index
    own = [f for f in OWN_SORT_INDEX.get(name, ()) if f in present and _one_value(filters, f)]
    if own and not ("owners" in present and own[0] != "owners"):
        return {own[0], *ranged}
    everyone = counts.everyone()
    walked = reach * everyone / matching  # entries a walk of the sort's index passes
    if "owners" in present:
        # The sort indexes do not hold owner_id: a walk reads the row of each entry it
        # passes. Fewer rows than the owner's leads (most leads unassigned, an early
        # page): walk; otherwise ix_lead_owner finds them and SQLite sorts them.
        return ranged if walked < matching else {"owners"}
    if walked * WALK_COST < matching:
        return ranged
    return searched  # sorting the matches, found as the count found them


def _present(filters: LeadFilters, name: str) -> bool:
    value = getattr(filters, name)
    if name == "q":
        return bool(fold(value or "").split())
    return value is not None and value != ()


def _one_value(filters: LeadFilters, name: str) -> bool:
    """A filter one index entry range answers: a single value, or a score bound."""
    value = getattr(filters, name)
    return not isinstance(value, tuple) or len(value) == 1


def validate_filters(session: Session, filters: LeadFilters) -> None:
    """422 naming the parameter for filters no lead could match as asked: an unknown
    status, campaign or user, a score out of 0-100, a date range ending before it starts."""
    if unknown := [status for status in filters.statuses if status not in LEAD_STATUSES]:
        raise ValidationFailed(
            f"status: unknown status {unknown[0]!r}; use one of {', '.join(LEAD_STATUSES)}",
            details=[{"field": "status", "location": "query", "message": "unknown status"}],
        )
    for name, score in (("minScore", filters.min_score), ("maxScore", filters.max_score)):
        if score is not None and not 0 <= score <= 100:
            raise ValidationFailed(
                f"{name}: must be between 0 and 100",
                details=[{"field": name, "location": "query", "message": "out of range"}],
            )
    for name, values in (
        ("campaignId", filters.campaign_ids),
        ("source", filters.sources),
        ("status", filters.statuses),
        ("ownerId", filters.owners or ()),
    ):
        if len(values) > MAX_VALUES:
            raise ValidationFailed(
                f"{name}: at most {MAX_VALUES} values, not {len(values)}",
                details=[{"field": name, "location": "query", "message": "too many values"}],
            )
    check_ranges(filters)
    for campaign_id in filters.campaign_ids:
        campaigns.get_campaign(session, campaign_id)
    wanted = {owner for owner in filters.owners or () if owner is not None}
    if wanted:
        known = set(session.exec(select(User.id).where(col(User.id).in_(wanted))).all())
        if unknown_users := sorted(wanted - known):
            raise ValidationFailed(
                f"ownerId: no user with id {unknown_users[0]!r}",
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
    """A page of the list, its leads read whole but for the score details."""
    ids = page_ids(session, filters=filters, page=page, limit=limit, sort=sort)
    found = leads_by_ids(session, ids.ids, columns=LIST_COLUMNS)
    return LeadPageResult(ids.ids, ids.total, ids.page, ids.limit, leads=found)


def page_ids(
    session: Session,
    *,
    filters: LeadFilters,
    page: int = 1,
    limit: int = 50,
    sort: str | None = None,
) -> IdPage:
    """The ids of a page of the list, and how many leads match."""
    if page < 1:
        raise ValidationFailed("page: must be 1 or more", details=[{"field": "page"}])
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(
            f"limit: must be between 1 and {MAX_LIMIT}", details=[{"field": "limit"}]
        )
    validate_filters(session, filters)
    order = parse_sort(sort)
    counts = lead_counts.Counts(session)
    searched = _count_plan(session, counts, filters, fold(filters.q or "").split())
    total = _count(session, counts, filters, searched)
    offset = (page - 1) * limit
    if offset >= total:
        return IdPage([], total, page, limit)
    reach = offset + limit
    indexed = _indexed_filters(
        session, counts, filters, sort or DEFAULT_SORT, total, reach, searched
    )
    # The page's ids first (read from the sort index, which ends with id), then its rows:
    # an OFFSET over whole rows would carry every skipped row through the sort.
    ids = session.exec(
        select(Lead.id)
        .where(*filter_clauses(filters, indexed=indexed))
        .order_by(*order)
        .offset(offset)
        .limit(limit)
    ).all()
    return IdPage(list(ids), total, page, limit)


def count_leads(session: Session, *, filters: LeadFilters | None = None) -> int:
    """How many leads match: summed from ``lead_count`` when the filters are among its
    keys (campaign, status, source, score: ``services.lead_counts``), else counted."""
    filters = filters or LeadFilters()
    counts = lead_counts.Counts(session)
    words = fold(filters.q or "").split()
    return _count(session, counts, filters, _count_plan(session, counts, filters, words))


def _count(
    session: Session, counts: lead_counts.Counts, filters: LeadFilters, searched: set[str] | None
) -> int:
    """``count_leads``, the indexes of free text with other filters chosen
    (:func:`_count_plan`)."""
    summed = counts.count(filters)
    if summed is not None:
        return summed
    words = fold(filters.q or "").split()
    if words and filters == LeadFilters(q=filters.q):
        counted = sql.count_search(session, words)
        if counted is not None:
            return counted
    clauses = filter_clauses(filters, indexed=searched)
    return session.exec(select(func.count()).select_from(Lead).where(*clauses)).one()


def _count_plan(
    session: Session, counts: lead_counts.Counts, filters: LeadFilters, words: list[str]
) -> set[str] | None:
    """SQLite, free text and other filters: which filters the count looks up by index
    (None: all, and SQLite chooses), also used for a page that sorts the matches.

    Either the text's matches are read from the search index and each matching lead's
    row is looked up by rowid to check the other filters (61,746 look-ups for
    ``techcorp``), or the other filters' index is walked and each entry probed in the set
    of the text's matches. Left to itself, SQLite walks an equality filter's index however
    many leads it holds (450,029 for ``status=new``) and looks up rows for a score range.
    Here the walk is chosen when the other filters match fewer leads than ``1 /
    PROBE_COST`` times the text's matches, both known without reading a lead
    (``lead_counts`` and the search index)."""
    if not words or sql.dialect(session) != "sqlite" or len(min(words, key=len)) < sql.TRIGRAM:
        return None
    others = replace(filters, q=None)
    if others == LeadFilters():
        return None
    walked = counts.count(others)
    if walked is None:
        return None
    if walked > WALK_WITHOUT_COUNTING:
        matching = sql.count_search(session, words) or 0
        if walked * PROBE_COST >= matching:
            return {"q"}  # each match's row (SQLite walks an equality filter's index)
    return {name for name in FILTERS if name != "q"}


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
