"""Import history: every import (file, who, when, counts, mapping), its problem rows to
download at any time, and undo - deleting the leads it created that nobody changed."""

import streamlit as st

from dashboard import auth, data, feedback, importer, writes
from dashboard.safe import EMPTY, md
from leads_core.access import Action
from leads_core.errors import LeadsError
from leads_core.services.imports import problems_file

PER_PAGE = 25
state = st.session_state


def undo(import_id: str) -> None:
    try:
        deleted, kept = writes.undo_import(import_id)
    except LeadsError as exc:
        feedback.flash_error("Could not undo the import", exc)
        return
    data.clear()
    feedback.flash(
        "success",
        f"Undone: deleted {deleted:,} leads; kept {kept:,} that someone changed since.",
    )


def show_import(import_id: str) -> None:
    try:
        record = data.import_record(import_id)
    except LeadsError as exc:
        st.error(f"There is no import '{md(import_id)}': {feedback.describe(exc)}")
        return
    batch = record.batch
    st.subheader(md(batch.filename or batch.id))
    st.caption(
        f"{md(batch.id)} · into **{md(record.campaign_name)}** · "
        f"{batch.created_at:%Y-%m-%d %H:%M} UTC · by {md(batch.actor or batch.origin)}"
        + (f" ({md(batch.origin)})" if batch.actor and batch.actor != batch.origin else "")
        + (f" · sheet {md(batch.sheet)}" if batch.sheet else "")
    )
    figures = st.columns(5)
    figures[0].metric("Rows", f"{batch.rows:,}")
    figures[1].metric("Imported", f"{batch.imported:,}")
    figures[2].metric("Updated", f"{batch.updated:,}")
    figures[3].metric("Skipped (duplicates)", f"{batch.skipped:,}")
    figures[4].metric("Rows with errors", f"{batch.errors:,}")
    if batch.undone_at is not None:
        st.info(
            f"Undone on {batch.undone_at:%Y-%m-%d %H:%M} UTC: {batch.undo_deleted or 0:,} leads "
            f"deleted, {batch.undo_kept or 0:,} kept because someone changed them."
        )
    if batch.mapping:
        with st.expander("How the columns were imported"):
            st.dataframe(
                [
                    {"Column": header, "Imported as": importer.TARGET_LABELS.get(target, target)}
                    for header, target in batch.mapping.items()
                ],
                hide_index=True,
                placeholder=EMPTY,
            )
    actions = st.columns(2)
    if batch.problems:
        file_name, problems = problems_file(batch)
        actions[0].download_button(
            f"Download the {batch.errors:,} problem rows as CSV",
            data=problems,
            file_name=file_name,
            mime="text/csv",
            on_click="ignore",
            key="download_problems",
        )
    else:
        actions[0].caption("Every row of this import was imported or was a duplicate.")
    if not auth.can(Action.WRITE):
        return  # a viewer: no undo
    unchanged = record.remaining - record.changed
    with actions[1].popover("Undo this import…", disabled=record.remaining == 0):
        st.warning(
            f"Delete the {unchanged:,} leads this import created that nobody has changed "
            f"since? {record.changed:,} changed leads are kept. Leads it updated keep their "
            "changes. This cannot be undone."
        )
        st.button(
            "Yes, delete them", type="primary", on_click=undo, args=(batch.id,), key="undo_go"
        )
    if record.remaining == 0:
        actions[1].caption("None of the leads this import created is left.")


st.title("Import history")
feedback.show_flashed()
raw_page = str(st.query_params.get("page", "1"))
page = int(raw_page) if raw_page.isdigit() else 1
found = data.imports_page(page=max(page, 1), limit=PER_PAGE)
if not found.total:
    st.info("Nothing imported yet.")
    if auth.can(Action.WRITE):
        st.page_link("pages/import_csv.py", label="Import a file", icon=":material/upload_file:")
    st.stop()

rows = [
    {
        "When": entry.batch.created_at,
        "File": entry.batch.filename or entry.batch.origin,
        "Campaign": entry.campaign_name,
        "By": entry.batch.actor or entry.batch.origin,
        "Rows": entry.batch.rows,
        "Imported": entry.batch.imported,
        "Updated": entry.batch.updated,
        "Skipped": entry.batch.skipped,
        "Errors": entry.batch.errors,
        "Undone": "yes" if entry.batch.undone_at else "",
    }
    for entry in found.imports
]
st.caption(
    f"{importer.plural(found.total, 'import')}, newest first - page {found.page} of "
    f"{found.total_pages}. "
    "Select one to see its problem rows or to undo it."
)
table = st.dataframe(
    rows,
    hide_index=True,
    on_select="rerun",
    selection_mode="single-row",
    column_config={
        "When": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
        **{
            name: st.column_config.NumberColumn(format="localized")  # 12,345
            for name in ("Rows", "Imported", "Updated", "Skipped", "Errors")
        },
    },
    placeholder=EMPTY,
    key="imports_table",
)
if found.total_pages > 1:
    st.number_input(
        "Page",
        min_value=1,
        max_value=found.total_pages,
        value=found.page,
        key="imports_page",
        on_change=lambda: st.query_params.update(page=str(state["imports_page"])),
    )
selected = table.selection.rows if table is not None else []
chosen = found.imports[selected[0]].batch.id if selected else st.query_params.get("id")
if chosen:
    st.query_params["id"] = chosen
    st.divider()
    show_import(chosen)
