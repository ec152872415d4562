"""Cursor paging of lead lists: a walk through every lead matching the filters, page by
page, that sees each lead at most once, and exactly once each lead that exists and matches
the filters for the whole walk, however many leads are added, changed or deleted meanwhile.

**Why creation order.** A keyset walk (``WHERE (key, id) < (last key, last id)``) is exact
only on a key that never changes: a lead whose score changes from 40 to 90 while a walk by
score is past 90 but short of 40 would be missed (and one moving the other way seen twice).
So a walk goes by ``(created_at, id)``, which no write changes: ``sort`` may be
``-createdAt`` (the default, newest first) or ``createdAt``; another sort with a cursor is
refused (422 naming ``sort``; page through it with ``page``). A lead added during a
newest-first walk is before the walk's position, so is not in it; in an oldest-first walk
it comes last.

**The cursor** is opaque to clients: base64url (no padding) of a small JSON document, the
sort, a fingerprint of the filters and the last lead's ``(createdAt, id)``. A cursor used
with other filters or another sort, or one that is not ours, is refused (422 naming
``cursor``). ``limit`` may change from one page to the next.

No count is made: a walk's answers carry no ``total``. A page holds ``limit + 1`` leads
read, the last one only telling whether there is a next page."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import tuple_
from sqlmodel import Session, col, select

from leads_core.clock import as_utc
from leads_core.errors import ValidationFailed
from leads_core.services import queries
from leads_core.services.filtering import LeadFilters
from leads_core.storage.models import Lead

WALK_SORTS = ("-createdAt", "createdAt")
"""The orders a cursor walks in: creation, which no write changes."""
VERSION = 1


@dataclass(frozen=True)
class CursorPage:
    ids: list[str]  # the page's leads, in order
    next_cursor: str | None


def walk_sort(sort: str | None) -> str:
    """``sort`` as a walk takes it (``-createdAt`` by default); 422 naming ``sort`` for a
    sort that is not creation order, and for an unknown one."""
    name = (sort or "").strip() or queries.DEFAULT_SORT
    queries.parse_sort(name)  # 422 for an unknown field
    normal = name.lstrip("+")
    if normal not in WALK_SORTS:
        raise ValidationFailed(
            f"sort: a cursor walks in creation order, so that a lead whose {normal.lstrip('-')} "
            "changes during the walk is neither missed nor seen twice: use sort=-createdAt "
            "(the default) or createdAt with cursor, or page=... for other sorts",
            details=[{"field": "sort", "location": "query", "message": "not with cursor"}],
        )
    return normal


def fingerprint(filters: LeadFilters) -> str:
    """A short digest of the filters, the same for the same filters however written."""
    text = json.dumps(asdict(filters), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def encode_cursor(sort: str, filters: LeadFilters, created_at: datetime, lead_id: str) -> str:
    """The cursor of the walk past the lead created at ``created_at`` with id ``lead_id``."""
    document = {
        "v": VERSION,
        "s": sort,
        "f": fingerprint(filters),
        "k": [as_utc(created_at).isoformat(), lead_id],
    }
    raw = json.dumps(document, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str, sort: str, filters: LeadFilters) -> tuple[datetime, str]:
    """The ``(created_at, id)`` a cursor continues after; 422 naming ``cursor`` for a cursor
    that is not one of ours, or was made for another sort or other filters."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        document = json.loads(raw)
        created, lead_id = document["k"]
        key = (as_utc(datetime.fromisoformat(created)), str(lead_id))
        made_for = (document["v"], document["s"], document["f"])
    except (binascii.Error, ValueError, TypeError, KeyError, OverflowError):
        raise cursor_error("not a cursor this API returned; start again without one") from None
    if made_for != (VERSION, sort, fingerprint(filters)):
        raise cursor_error(
            "this cursor was made for another sort or other filters: send the same filters "
            "and sort as the request that returned it"
        )
    return key


def cursor_error(problem: str) -> ValidationFailed:
    return ValidationFailed(
        f"cursor: {problem}",
        details=[{"field": "cursor", "location": "query", "message": problem}],
    )


def cursor_page(
    session: Session,
    *,
    filters: LeadFilters,
    cursor: str | None,
    limit: int = 50,
    sort: str | None = None,
) -> CursorPage:
    """The ``limit`` leads after ``cursor`` (None or empty: from the start) in creation
    order, and the cursor of the next page (None after the last)."""
    if not 1 <= limit <= queries.MAX_LIMIT:
        raise ValidationFailed(
            f"limit: must be between 1 and {queries.MAX_LIMIT}", details=[{"field": "limit"}]
        )
    order = walk_sort(sort)
    after = decode_cursor(cursor, order, filters) if cursor else None
    queries.validate_filters(session, filters)
    descending = order.startswith("-")
    clauses = queries.filter_clauses(filters, indexed=_indexed(filters))
    statement = select(Lead.id, Lead.created_at).where(*clauses)
    if after is not None:
        key, last = tuple_(col(Lead.created_at), col(Lead.id)), tuple_(*after)
        statement = statement.where(key < last if descending else key > last)
    keys = session.exec(statement.order_by(*queries.parse_sort(order)).limit(limit + 1)).all()
    page = keys[:limit]
    ids = [lead_id for lead_id, _ in page]
    if len(keys) <= limit:
        return CursorPage(ids, None)
    last_id, last_created = page[-1]  # read with the ids: a lead deleted since still marks it
    return CursorPage(ids, encode_cursor(order, filters, last_created, last_id))


def next_cursor(
    sort: str | None, filters: LeadFilters, last: tuple[datetime, str] | None, more: bool
) -> str | None:
    """The cursor that continues a ``page`` answer in a walk, after ``last`` (the page's
    last lead's ``(created_at, id)``): when there is a next page and the page is in
    creation order (the order a walk can continue)."""
    order = (sort or "").strip().lstrip("+") or queries.DEFAULT_SORT
    if not more or last is None or order not in WALK_SORTS:
        return None
    return encode_cursor(order, filters, *last)


def _indexed(filters: LeadFilters) -> set[str] | None:
    """On SQLite, walk the creation index in order (checking the filters in it, whose
    columns it holds) rather than sort a filter's matches: a page then reads about
    ``limit x all / matching`` index entries. The owner and the search words are not in
    it: SQLite chooses for those (see ``queries._indexed_filters``)."""
    if filters.owners is not None or (filters.q or "").strip():
        return None
    campaigns = {"campaign_ids"} if len(filters.campaign_ids) == 1 else set()
    return campaigns | {"created_from", "created_to"}
