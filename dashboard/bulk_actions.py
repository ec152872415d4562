"""The Leads page's bulk actions, under the grid: what is selected (the ticked rows on screen,
or "all N matching the filters" when the user chose that), and set status, assign owner,
delete, export and open for it. The count is in every label and in the confirmation."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import streamlit as st

from dashboard import auth, data, feedback, lead_list, writes
from dashboard.data import People
from dashboard.grid import SELECT
from dashboard.safe import md
from leads_core.errors import LeadsError
from leads_core.fields import LEAD_STATUSES


@dataclass(frozen=True)
class Selection:
    """What the bulk actions act on: the ticked rows of the grid ``key`` (whose rows are
    ``lead_ids``), or every lead matching the view's filters (``everything``)."""

    view: lead_list.View
    key: str
    lead_ids: tuple[str, ...]
    everything: bool
    total: int  # leads matching the filters

    def ticked(self) -> list[str]:
        """The rows ticked now (read when the button is pressed, not when it was drawn)."""
        return lead_list.ticked(self.key, self.lead_ids, SELECT)

    @property
    def noun(self) -> str:
        if self.everything:
            return f"all {self.total:,} matching"
        return f"{len(self.ticked()):,} selected"


def _done(message: str, *, deleted: bool = False) -> None:
    data.clear()
    feedback.flash("success", message)
    lead_list.after_bulk_change(deleted=deleted)


def set_status(selection: Selection) -> None:
    status = st.session_state.bulk_status
    try:
        if selection.everything:
            changed = writes.set_status_matching(selection.view.filters, status)
        else:
            changed = writes.set_status(selection.ticked(), status)
    except LeadsError as exc:
        feedback.flash_error("Could not change the status", exc)
        return
    _done(f"{changed:,} lead(s) moved to {md(status)}.")


def assign_owner(selection: Selection, people: People) -> None:
    owner = st.session_state.bulk_owner or None
    try:
        if selection.everything:
            changed = writes.set_owner_matching(selection.view.filters, owner)
        else:
            changed = writes.set_owner(selection.ticked(), owner)
    except LeadsError as exc:
        feedback.flash_error("Could not assign the leads", exc)
        return
    _done(f"{changed:,} lead(s) given to {md(people.name(owner))}.")


def delete(selection: Selection) -> None:
    try:
        if selection.everything:
            deleted = writes.delete_matching(selection.view.filters)
        else:
            deleted = writes.delete_leads(selection.ticked())
    except LeadsError as exc:
        feedback.flash_error("Could not delete the leads", exc)
        return
    _done(f"Deleted {deleted:,} lead(s).", deleted=True)


def draw(selection: Selection, people: People, *, writer: bool, cleared: str | None) -> None:
    """The selection's header (and the choice of every matching lead), then the actions."""
    ticked = selection.ticked()
    if selection.everything:
        st.subheader(f"Selected: all {selection.total:,} leads matching these filters")
        st.button(
            f"Select only the {len(ticked):,} ticked row(s)",
            on_click=lead_list.only_ticked,
            key="select_ticked_only",
        )
    else:
        st.subheader(f"Selected: {len(ticked):,}")
        if ticked and selection.total > len(ticked):
            st.button(
                f"Select all {selection.total:,} leads matching these filters",
                on_click=lead_list.choose_all_matching,
                args=(selection.view,),
                key="select_all_matching",
            )
    if cleared:
        st.info(cleared, icon=":material/deselect:")
    if writer:
        _changes(selection, people, any_selected=bool(ticked))
    _export_and_open(selection, ticked)


def _changes(selection: Selection, people: People, *, any_selected: bool) -> None:
    status_col, owner_col, delete_col = st.columns(3)
    noun = selection.noun
    with status_col:
        st.selectbox("New status", LEAD_STATUSES, key="bulk_status")
        st.button(
            f"Set status of {noun}",
            on_click=set_status,
            args=(selection,),
            disabled=not any_selected,
            key="bulk_status_apply",
        )
    with owner_col:
        st.selectbox(
            "New owner",
            ["", *people.enabled],
            format_func=lambda i: people.name(i or None),
            key="bulk_owner",
        )
        st.button(
            f"Assign owner to {noun}",
            on_click=assign_owner,
            args=(selection, people),
            disabled=not any_selected,
            key="bulk_owner_apply",
        )
    with delete_col, st.popover(f"Delete {noun}…", disabled=not any_selected):
        if selection.everything:
            question = f"Delete {selection.total:,} leads matching these filters"
        else:
            question = f"Delete the {len(selection.ticked()):,} selected lead(s)"
        st.warning(f"{question} and their history? This cannot be undone.")
        st.button(
            "Yes, delete them",
            type="primary",
            on_click=delete,
            args=(selection,),
            key="bulk_delete",
        )


def _export_and_open(selection: Selection, ticked: list[str]) -> None:
    export_col, open_col = st.columns(2)
    with export_col:
        if selection.everything:
            st.caption(f"Export all {selection.total:,} with the button below.")
        else:
            st.download_button(
                f"Export {len(ticked):,} selected as CSV",
                data=partial(data.leads_csv, ticked),
                file_name="leads-selected.csv",
                mime="text/csv",
                disabled=not ticked,
                on_click="ignore",
                key="export_selected",
            )
    with open_col:
        if len(ticked) == 1 and not selection.everything:
            [only] = ticked
            position = selection.lead_ids.index(only)
            view = selection.view
            st.page_link(
                "pages/lead.py",
                label="Open the selected lead",
                query_params=lead_list.link_params(
                    view,
                    me=auth.current_principal().user_id,
                    lead_id=only,
                    position=(view.page - 1) * view.limit + position,
                ),
            )
        else:
            st.caption("Tick a row's Open box to open its lead here.")
