"""Leads: the working list. Filter (kept in the URL), page in SQL, edit cells in place,
act on selected rows, export."""

from dataclasses import astuple
from functools import partial

import streamlit as st

from dashboard import actions, auth, data, feedback, filters, grid, lead_view, writes
from leads_core.access import Action
from leads_core.errors import LeadsError, PreconditionFailed, validated
from leads_core.fields import LEAD_STATUSES
from leads_core.files import export
from leads_core.schemas import LeadUpdate

state = st.session_state
writer = auth.can(Action.WRITE)  # a viewer: no cell edits, no bulk changes
selected: set[str] = state.setdefault("selected_leads", set())
people = data.people()
owners = grid.Owners(people.names, people.enabled)


def save_edits(editor_key: str, shown: grid.Shown) -> None:
    """Save each edited lead through leads_core (only the changed cells), unless someone
    else changed it since the grid showed it; remember the ticked rows; then redraw the
    grid from the database."""
    changes, selection = grid.changes_by_lead(
        state[editor_key]["edited_rows"], shown.lead_ids, owners
    )
    for lead_id, on in selection.items():
        (selected.add if on else selected.discard)(lead_id)
    saved = []
    for lead_id, values in changes.items():
        try:
            lead = writes.update_lead(
                lead_id,
                validated(LeadUpdate, values),
                expected_version=shown.versions[lead_id],
            )
        except PreconditionFailed:
            feedback.flash_stale(f"the lead {lead_id}", values)
            data.clear()
            continue
        except LeadsError as exc:
            feedback.flash_error(f"Could not save the lead {lead_id}", exc)
            continue
        fields = ", ".join(lead_view.FIELD_WORDS.get(n, n.replace("_", " ")) for n in values)
        saved.append(f"{lead_view.display_name(lead)} ({fields}; score {lead.quality_score})")
    if saved:
        data.clear()
        feedback.flash("success", "Saved " + "; ".join(saved))
    redraw_grid()


def redraw_grid() -> None:
    """A new editor key: the grid is drawn again from the database, without pending edits."""
    state["grid_rev"] = state.get("grid_rev", 0) + 1


def set_status() -> None:
    changed = writes.set_status(sorted(selected), state.bulk_status)
    data.clear()
    feedback.flash("success", f"{changed} lead(s) moved to {state.bulk_status}.")
    redraw_grid()


def assign_owner() -> None:
    owner = state.bulk_owner or None
    try:
        changed = writes.set_owner(sorted(selected), owner)
    except LeadsError as exc:
        feedback.flash_error("Could not assign the leads", exc)
        return
    data.clear()
    feedback.flash("success", f"{changed} lead(s) given to {people.name(owner)}.")
    redraw_grid()


def delete_selected() -> None:
    deleted = writes.delete_leads(sorted(selected))
    selected.clear()
    data.clear()
    feedback.flash("success", f"Deleted {deleted} lead(s).")
    redraw_grid()


st.title("Leads")
feedback.show_flashed()
version = data.version()
names = data.campaign_names(version)
lead_filters = filters.lead_filters(names, people.names, with_list_options=True)

try:
    result = data.lead_page(lead_filters, page=state.f_page, limit=state.f_limit, sort=state.f_sort)
except LeadsError as exc:
    st.error(f"Could not list the leads: {feedback.describe(exc)}")
    st.stop()
if result.page != state.f_page:  # the filters shrank the list: its last page was read
    state.f_page = result.page
    filters.write_url(with_list_options=True)

if result.total == 0:
    if version[0] == 0:
        st.info("**No leads yet.** Import a CSV file, or load demo data to look around.")
        if writer:
            st.page_link("pages/import_csv.py", label="Import a CSV", icon=":material/upload_file:")
        actions.demo_button("leads_demo")
    else:
        st.info("No lead matches these filters.")
        st.button("Clear the filters", on_click=filters.clear_filters, key="clear_filters")
    st.stop()

first = (result.page - 1) * result.limit + 1
st.caption(
    f"**{result.total:,}** {'lead matches' if result.total == 1 else 'leads match'} · showing {first:,}-{first + len(result.leads) - 1:,} · "
    f"page {result.page:,} of {result.total_pages:,}"
)
view = (astuple(lead_filters), result.page, result.limit, state.f_sort, state.get("grid_rev", 0))
editor_key = f"grid_{abs(hash(view))}"
shown = grid.Shown.of(result.leads)
# An edit is to the grid as the previous run drew it (its rows, their versions), which is
# not this run's when someone else changed a lead in between.
drawn = state.get("grid_drawn")
edited = drawn[1] if drawn and drawn[0] == editor_key else shown
st.data_editor(
    grid.styled(grid.frame(result.leads, names, selected, owners)),
    key=editor_key,
    column_config=grid.column_config(owners),
    column_order=grid.COLUMN_ORDER,
    disabled=grid.READ_ONLY if writer else grid.ALL_BUT_SELECT,
    hide_index=True,
    num_rows="fixed",
    height=min(38 + 35 * len(shown.lead_ids), 740),
)
if state[editor_key][
    "edited_rows"
]:  # a cell was edited (or a row ticked): save it, redraw from the database
    save_edits(editor_key, edited)
    st.rerun()
state["grid_drawn"] = (editor_key, shown)
st.pagination(
    max(result.total_pages, 1), key="f_page", persist_state="session", max_visible_pages=9
)

st.subheader(f"Selected: {len(selected)}")
status_col, owner_col, delete_col, export_col, open_col = st.columns(5)
with status_col:
    if writer:
        st.selectbox("New status", LEAD_STATUSES, key="bulk_status")
        st.button(
            "Set status of selected",
            on_click=set_status,
            disabled=not selected,
            key="bulk_status_apply",
        )
with owner_col:
    if writer:
        st.selectbox(
            "New owner",
            ["", *people.enabled],
            format_func=lambda i: people.name(i or None),
            key="bulk_owner",
        )
        st.button(
            "Assign owner",
            on_click=assign_owner,
            disabled=not selected,
            key="bulk_owner_apply",
        )
if writer:
    with delete_col, st.popover("Delete selected…", disabled=not selected):
        st.warning(f"Delete {len(selected)} lead(s) and their history? This cannot be undone.")
        st.button("Yes, delete them", type="primary", on_click=delete_selected, key="bulk_delete")
with export_col:
    st.download_button(
        f"Export selected ({len(selected)}) as CSV",
        data=lambda: data.leads_csv(sorted(selected)),
        file_name="leads-selected.csv",
        mime="text/csv",
        disabled=not selected,
        on_click="ignore",
        key="export_selected",
    )
    too_many = result.total > export.MAX_EXPORT_ROWS
    st.download_button(
        f"Export all {result.total:,} filtered as CSV",
        # The file is made after this run, outside it, where session state is not readable.
        data=partial(data.filtered_leads_csv, lead_filters, state.f_sort),
        file_name="leads.csv",
        mime="text/csv",
        on_click="ignore",
        key="export_filtered",
        disabled=too_many,
    )
    if too_many:
        st.caption(
            f"A file holds at most {export.MAX_EXPORT_ROWS:,} leads: narrow the filters "
            "(a campaign, a minimum score) to export."
        )
with open_col:
    if len(selected) == 1:
        (only,) = selected
        st.page_link("pages/lead.py", label="Open the selected lead", query_params={"id": only})
    else:
        st.caption("Select one row to open it, or use the Open link in the grid.")
if selected:
    st.button("Clear selection", on_click=selected.clear, key="clear_selection")
