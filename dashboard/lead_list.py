"""The Leads page's list as the user works in it, kept in session state between runs:

- **the view**: filters, sort, page and page size. A new view is a new grid (a new editor
  key): the ticks of the old one are gone, and the page says so when there were some.
- **the selection**: the rows ticked in the grid on screen (the editor's own ``edited_rows``),
  or "all N matching the filters" when the user chose that explicitly for this view.
- **the pinned rows**: after an edit the page keeps showing the same leads in the same order
  (read again by id, so the new values and score show) until the user refreshes, re-sorts,
  filters or pages. The editor key stays the same, so Streamlit keeps the grid (and its
  scroll position) mounted: a keyed ``data_editor`` with fixed rows keeps its identity
  across value changes. Its ``edited_rows`` keep every edit made since it was drawn: only
  the cells that differ from what was already saved are new edits.
- **links to a lead**: the list's filters and sort as query parameters (the API's names),
  which the Lead page reads back for its Previous / Next."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import astuple, dataclass
from typing import Any

import streamlit as st

from leads_core.errors import LeadsError
from leads_core.services import filtering, neighbours, queries
from leads_core.services.filtering import LeadFilters
from leads_core.storage.db import session_scope
from leads_core.storage.models import Lead

_VIEW = "grid_view"  # the view of the previous run: (filters, sort, page, limit)
_REV = "grid_rev"  # bumped to draw a new grid (no ticks, no pending edits)
_PIN = "grid_pin"  # (view, lead ids) shown after an edit
_ALL = "grid_all_matching"  # the view for which "all N matching" was chosen
_SAVED = "grid_saved_cells"  # (editor key, edited_rows already handled)
_TICKED = "grid_ticked_count"  # how many rows were ticked when the page was last drawn
POSITION = "pos"  # the lead's 0-based place in the list, in a link to the Lead page


@dataclass(frozen=True)
class View:
    filters: LeadFilters
    sort: str
    page: int
    limit: int

    @property
    def ident(self) -> tuple[Any, ...]:
        return (astuple(self.filters), self.sort, self.page, self.limit)


def begin(view: View) -> str | None:
    """Start a run of the page on ``view``: a new view unpins the rows and forgets the
    selection. Returns what to tell the user when that dropped ticked rows."""
    state = st.session_state
    before = state.get(_VIEW)
    state[_VIEW] = view.ident
    if before is None or before == view.ident:
        return None
    state.pop(_PIN, None)
    state.pop(_ALL, None)
    ticked = state.pop(_TICKED, 0)
    if not ticked:
        return None
    if before[0] != view.ident[0]:
        why = "the filters changed"
    elif before[1] != view.ident[1]:
        why = "the sort changed"
    else:
        why = "you moved to another page"
    return f"The selection was cleared: {why}."


def editor_key(view: View) -> str:
    return f"grid_{abs(hash(view.ident))}_{st.session_state.get(_REV, 0)}"


def redraw() -> None:
    """A new grid next run, drawn from the database: no ticks, no pending edits."""
    st.session_state[_REV] = st.session_state.get(_REV, 0) + 1


def refresh() -> None:
    """The user's Refresh: the list read and sorted again, from the top."""
    st.session_state.pop(_PIN, None)
    redraw()


def after_bulk_change(*, deleted: bool) -> None:
    """After a bulk change: "all matching" is chosen again if wanted; a deletion draws a
    new grid (the ticked rows are gone), a change keeps the ticks of the rows still listed."""
    st.session_state.pop(_ALL, None)
    if deleted:
        refresh()


def pin(view: View, lead_ids: Sequence[str]) -> None:
    st.session_state[_PIN] = (view.ident, list(lead_ids))


def pinned(view: View) -> list[str] | None:
    """The lead ids this view keeps showing since an edit (None: none pinned)."""
    pin = st.session_state.get(_PIN)
    return pin[1] if pin and pin[0] == view.ident else None


def read_leads(lead_ids: Sequence[str]) -> list[Lead]:
    """These leads as a list page reads them, in this order (deleted ones left out)."""
    with session_scope() as session:
        return queries.leads_by_ids(session, lead_ids, columns=queries.LIST_COLUMNS)


def new_edits(key: str, lead_ids: Sequence[str]) -> dict[int, dict[str, Any]]:
    """The cells edited in the grid ``key`` showing ``lead_ids`` since the last call for
    it: {row: {column: value}} (ticks included). Other rows under the same key are another
    grid (Streamlit's identity of a keyed editor includes its index)."""
    state = st.session_state
    edited = state[key]["edited_rows"]
    grid = (key, tuple(lead_ids))
    saved_grid, saved = state.get(_SAVED, (None, {}))
    if saved_grid != grid or any(
        column not in edited.get(position, {})
        for position, cells in saved.items()
        for column in cells
    ):
        saved = {}  # another grid, or this one drawn afresh (back from a lead's page)
    new: dict[int, dict[str, Any]] = {}
    for position, cells in edited.items():
        before = saved.get(position, {})
        for column, value in cells.items():
            if column not in before or before[column] != value:
                new.setdefault(int(position), {})[column] = value
    state[_SAVED] = (grid, copy.deepcopy(edited))
    return new


def ticked(key: str, lead_ids: Sequence[str], column: str) -> list[str]:
    """The leads ticked in the grid ``key`` (its rows are ``lead_ids``), top to bottom."""
    edited = st.session_state.get(key, {}).get("edited_rows", {})
    rows = sorted(int(p) for p, cells in edited.items() if cells.get(column))
    return [lead_ids[p] for p in rows if p < len(lead_ids)]


def remember_ticked(count: int) -> None:
    st.session_state[_TICKED] = count


def choose_all_matching(view: View) -> None:
    st.session_state[_ALL] = view.ident


def only_ticked() -> None:
    st.session_state.pop(_ALL, None)


def all_matching(view: View) -> bool:
    return st.session_state.get(_ALL) == view.ident


# ------------------------------------------------------------------ links to a lead


def link_params(view: View, *, me: str | None, lead_id: str, position: int) -> dict[str, str]:
    """The Lead page's query parameters for ``lead_id`` opened from this list: the list's
    filters (:func:`leads_core.services.filtering.params_of`, ``ownerId=`` for everyone's,
    which a member's Leads page would otherwise read as their own), its sort and page size,
    and the lead's place in it."""
    kept = filtering.params_of(view.filters, me=me)
    kept.setdefault("ownerId", "")
    kept |= {"sort": view.sort, "limit": str(view.limit)}
    return {"id": lead_id, **kept, POSITION: str(position)}


LIST_NAMES = (*filtering.PARAMS, "sort", "limit")


def list_params(params: Mapping[str, str]) -> dict[str, str]:
    """The list's parameters in a Lead page URL (what the Leads page link carries back)."""
    return {name: params[name] for name in LIST_NAMES if name in params}


def filters_of(params: Mapping[str, str], *, me: str | None) -> LeadFilters:
    """The list's filters from a Lead page URL (``ValidationFailed`` for a bad value)."""
    return filtering.filters_from_params(params, me=me)


def neighbours_of(
    params: Mapping[str, str], lead_id: str, *, me: str | None
) -> neighbours.Neighbours:
    """``lead_id``'s previous and next in the list the URL names."""
    raw = params.get(POSITION, "")
    with session_scope() as session:
        return neighbours.neighbours(
            session,
            filters_of(params, me=me),
            params.get("sort"),
            lead_id,
            int(raw) if raw.isdigit() else None,
        )


def draw_neighbours(lead_id: str, params: Mapping[str, str], *, me: str | None) -> None:
    """The Lead page's way back to its list, and Previous / Next through it (when the page
    was opened from a list: its URL carries the list's filters and sort)."""
    came_from = list_params(params)
    near = None
    if came_from:
        try:
            near = neighbours_of(params, lead_id, me=me)
        except LeadsError:
            near = None  # a list the URL no longer describes (a campaign deleted since)
    back = dict(came_from)
    limit = int(back.get("limit", "0") or 0)
    if near is not None and near.position is not None and near.position >= limit > 0:
        back["page"] = str(near.position // limit + 1)  # the page the lead is on
    back_col, previous_col, where_col, next_col = st.columns(
        [3, 1, 1, 1], vertical_alignment="center"
    )
    back_col.page_link(
        "pages/leads.py",
        label="Back to the leads",
        icon=":material/arrow_back:",
        query_params=back,
    )
    if near is None:
        return
    if near.position is None:
        where_col.caption("No longer in the list you came from.")
        return
    where_col.caption(f"{near.position + 1:,} of {near.total:,}")
    if near.previous:
        previous_col.page_link(
            "pages/lead.py",
            label="Previous",
            icon=":material/chevron_left:",
            query_params={"id": near.previous, **came_from, POSITION: str(near.position - 1)},
        )
    if near.next:
        next_col.page_link(
            "pages/lead.py",
            label="Next",
            icon=":material/chevron_right:",
            icon_position="right",
            query_params={"id": near.next, **came_from, POSITION: str(near.position + 1)},
        )
