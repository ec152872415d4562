"""Leads: the working list. Filter (kept in the URL), page in SQL, edit cells in place (the
rows stay in place until Refresh), act on the ticked rows or on every match, open a lead in
this tab, export."""

from collections.abc import Mapping
from functools import partial
from typing import Any

import streamlit as st

from dashboard import (
    actions,
    auth,
    bulk_actions,
    data,
    feedback,
    filters,
    grid,
    lead_list,
    lead_view,
    writes,
)
from dashboard.safe import md
from leads_core.access import Action
from leads_core.errors import LeadsError, PreconditionFailed, validated
from leads_core.files import export
from leads_core.schemas import LeadUpdate

state = st.session_state
writer = auth.can(Action.WRITE)  # a viewer: no cell edits, no bulk changes
people = data.people()
owners = grid.Owners(people.names, people.enabled)


def save_edits(
    view: lead_list.View, edits: Mapping[int | str, Mapping[str, Any]], shown: grid.Shown
) -> None:
    """Save each edited lead through leads_core (only the changed cells), unless someone
    else changed it since the grid showed it. Saved: the page keeps these rows in this
    order; refused: the grid is drawn again from the database."""
    changes, _ = grid.changes_by_lead(edits, shown.lead_ids, owners)
    saved, failed = [], False
    for lead_id, values in changes.items():
        try:
            lead = writes.update_lead(
                lead_id,
                validated(LeadUpdate, values),
                expected_version=shown.versions[lead_id],
            )
        except PreconditionFailed:
            feedback.flash_stale(f"the lead {md(lead_id)}", values)
            failed = True
            continue
        except LeadsError as exc:
            feedback.flash_error(f"Could not save the lead {md(lead_id)}", exc)
            failed = True
            continue
        fields = ", ".join(lead_view.FIELD_WORDS.get(n, n.replace("_", " ")) for n in values)
        name = md(lead_view.display_name(lead))
        saved.append(f"{name} ({fields}; score {lead.quality_score})")
    lead_list.pin(view, shown.lead_ids)
    data.clear()
    if saved:
        feedback.flash("success", "Saved " + "; ".join(saved))
    if failed:  # the cell shows what was typed: draw the stored value again
        lead_list.redraw()


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

view = lead_list.View(lead_filters, state.f_sort, result.page, result.limit)
cleared = lead_list.begin(view)  # a new view: no ticks, no pinned rows
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
caption_col, refresh_col = st.columns([5, 1], vertical_alignment="center")
caption_col.caption(
    f"**{result.total:,}** {'lead matches' if result.total == 1 else 'leads match'} · showing {first:,}-{first + len(result.leads) - 1:,} · "
    f"page {result.page:,} of {result.total_pages:,}"
)
pinned = lead_list.pinned(view)
refresh_col.button(
    "Refresh",
    icon=":material/refresh:",
    on_click=lead_list.refresh,
    key="grid_refresh",
    help="Read the list again: edited rows move to their place in the sort",
    type="primary" if pinned else "secondary",
)
if pinned is not None:
    st.caption("The rows stay in place after your edits: Refresh sorts them again.")
leads = result.leads if pinned is None else lead_list.read_leads(pinned)
editor_key = lead_list.editor_key(view)
shown = grid.Shown.of(leads)
# An edit is to the grid as the previous run drew it (its rows, their versions), which is
# not this run's when someone else changed a lead in between.
drawn = state.get("grid_drawn")
edited = drawn[1] if drawn and drawn[0] == editor_key else shown
st.data_editor(
    grid.styled(grid.frame(leads, names, owners)),
    key=editor_key,
    column_config=grid.column_config(owners),
    column_order=grid.COLUMN_ORDER,
    disabled=grid.READ_ONLY if writer else grid.ALL_BUT_SELECT,
    hide_index=True,
    num_rows="fixed",
    height=min(38 + 35 * len(shown.lead_ids), 740),
    placeholder=grid.EMPTY,
)
edits = lead_list.new_edits(editor_key, edited.lead_ids)  # the cells changed since the last run
opened = [row for row, cells in edits.items() if cells.get(grid.OPEN)]
if opened:  # an Open box ticked: the lead's page, in this tab, knowing its list
    st.switch_page(
        "pages/lead.py",
        query_params=lead_list.link_params(
            view,
            me=auth.current_principal().user_id,
            lead_id=edited.lead_ids[opened[0]],
            position=first - 1 + opened[0],
        ),
    )
field_edits: dict[int | str, Mapping[str, Any]] = {
    row: fields for row, cells in edits.items() if (fields := grid.field_cells(cells))
}
if field_edits:
    save_edits(view, field_edits, edited)
    st.rerun()
state["grid_drawn"] = (editor_key, shown)
st.pagination(
    max(result.total_pages, 1), key="f_page", persist_state="session", max_visible_pages=9
)

ticked = lead_list.ticked(editor_key, shown.lead_ids, grid.SELECT)
lead_list.remember_ticked(len(ticked))
selection = bulk_actions.Selection(
    view=view,
    key=editor_key,
    lead_ids=tuple(shown.lead_ids),
    everything=bool(ticked) and lead_list.all_matching(view),
    total=result.total,
)
bulk_actions.draw(selection, people, writer=writer, cleared=cleared)
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
