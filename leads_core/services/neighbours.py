"""The lead before and after one lead in a filtered, sorted list: the Lead page's Previous and
Next through the list the user came from.

The list may have changed since the user opened the lead (a lead added, deleted, edited out
of the filters or to another place in the sort): the position the list showed is a hint,
looked at first in a window around it, and the whole list is walked (ids only, streamed) only
when the lead is no longer near there."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlmodel import Session, select

from leads_core.services import queries
from leads_core.services.queries import LeadFilters
from leads_core.storage.models import Lead

WINDOW = 50  # leads read each side of the hinted position
STREAM_BATCH = 5000


@dataclass(frozen=True)
class Neighbours:
    previous: str | None
    next: str | None
    position: int | None  # 0-based in the list; None: the lead is no longer in it
    total: int  # leads in the list


def neighbours(
    session: Session,
    filters: LeadFilters,
    sort: str | None,
    lead_id: str,
    position: int | None = None,
) -> Neighbours:
    """``lead_id``'s neighbours in the leads matching ``filters`` in ``sort`` order (the
    grid's and the API's order), ``position`` being where the list last showed it."""
    queries.validate_filters(session, filters)
    total = queries.count_leads(session, filters=filters)
    ordered = (
        select(Lead.id).where(*queries.filter_clauses(filters)).order_by(*queries.parse_sort(sort))
    )
    if position is not None and 0 <= position < total + WINDOW:
        start = max(position - WINDOW, 0)
        window = list(session.exec(ordered.offset(start).limit(2 * WINDOW + 1)))
        found = _in_window(window, lead_id, start, total)
        if found is not None:
            return found
    result = session.exec(ordered.execution_options(yield_per=STREAM_BATCH))
    try:  # closed as soon as the lead is found (a server-side cursor on PostgreSQL)
        return _walk(iter(result), lead_id, total)
    finally:
        result.close()


def _walk(rows: Iterator[str], lead_id: str, total: int) -> Neighbours:
    previous: str | None = None
    for index, found_id in enumerate(rows):
        if found_id == lead_id:
            return Neighbours(previous, next(rows, None), index, total)
        previous = found_id
    return Neighbours(None, None, None, total)


def _in_window(window: Sequence[str], lead_id: str, start: int, total: int) -> Neighbours | None:
    """The neighbours when the window shows them both (or shows the list's end)."""
    if lead_id not in window:
        return None
    index = window.index(lead_id)
    if index == 0 and start > 0:
        return None  # the one before is outside the window
    at = start + index
    if index == len(window) - 1 and at < total - 1:
        return None  # the one after is outside the window
    return Neighbours(
        previous=window[index - 1] if index > 0 else None,
        next=window[index + 1] if index + 1 < len(window) else None,
        position=at,
        total=total,
    )
