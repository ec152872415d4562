"""Import: drop a CSV, check how it was read, map the columns, import with progress,
see what was imported and what was not."""

import pandas as pd
import streamlit as st

from dashboard import data, feedback, writes
from leads_core import sizes
from leads_core.config import get_settings
from leads_core.errors import LeadsError, validated
from leads_core.files import csvfile
from leads_core.files.headers import LEAD_FIELDS
from leads_core.schemas import CampaignCreate

IGNORE = "(ignore)"
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
settings = get_settings()
state = st.session_state


def campaign_choice(names: dict[str, str]) -> tuple[str | None, str]:
    """(existing campaign id or None, new campaign name)."""
    mode = st.radio(
        "Campaign",
        ["Existing campaign", "New campaign"],
        index=0 if names else 1,
        horizontal=True,
        key="import_campaign_mode",
        disabled=not names,
    )
    if mode == "Existing campaign" and names:
        chosen = st.selectbox(
            "Import into", list(names), format_func=names.__getitem__, key="import_campaign"
        )
        return chosen, ""
    return None, st.text_input(
        "New campaign name", key="import_new_campaign", max_chars=sizes.CAMPAIGN_NAME
    )


def mapping_editor(preview: csvfile.CsvPreview, file_key: str) -> dict[str, str | None]:
    st.markdown("**Columns** - how each column of the file maps to a lead field:")
    options = [IGNORE, *LEAD_FIELDS]
    mapping: dict[str, str | None] = {}
    columns = st.columns(min(4, len(preview.headers)) or 1)
    for i, header in enumerate(preview.headers):
        detected = preview.mapping.get(header)
        choice = columns[i % len(columns)].selectbox(
            header,
            options,
            index=options.index(detected) if detected else 0,
            key=f"map_{file_key}_{i}",
        )
        mapping[header] = None if choice == IGNORE else choice
    return mapping


def run_import(data_bytes: bytes, filename: str, campaign_id: str | None, new_name: str) -> None:
    bar = st.progress(0.0, text="Importing…")

    def progress(done: int, total: int) -> None:
        bar.progress(done / total if total else 1.0, text=f"Imported {done:,} of {total:,} rows")

    try:
        if campaign_id is None:  # created first, in the import's session
            campaign: str | CampaignCreate = validated(CampaignCreate, {"name": new_name})
        else:
            campaign = campaign_id
        campaign_id, outcome = writes.import_csv(
            data_bytes,
            campaign=campaign,
            mapping=state["import_mapping"],
            auto_score=state["import_auto_score"],
            on_duplicate=state["import_on_duplicate"],
            filename=filename,
            progress=progress,
        )
    except LeadsError as exc:
        bar.empty()
        st.error(f"The file was not imported: {feedback.describe(exc)}")
        return
    bar.progress(1.0, text="Done")
    data.clear()
    problems = {error.row: f"{error.field}: {error.message}" for error in outcome.errors}
    state["import_result"] = {
        "filename": filename,
        "campaign_id": campaign_id,
        "outcome": outcome,
        "problem_csv": csvfile.problem_rows_csv(data_bytes, problems) if problems else None,
    }


def show_result(result: dict) -> None:
    outcome = result["outcome"]
    st.success(f"Imported **{result['filename']}**.")
    imported, updated, skipped, errors = st.columns(4)
    imported.metric("Imported", f"{outcome.imported:,}")
    updated.metric("Updated", f"{outcome.updated:,}")
    skipped.metric("Skipped (duplicates)", f"{outcome.skipped:,}")
    errors.metric("Rows with errors", f"{len({e.row for e in outcome.errors}):,}")
    st.page_link(
        "pages/leads.py",
        label="See the leads of this campaign",
        icon=":material/table_rows:",
        query_params={"campaignId": result["campaign_id"], "sort": "-createdAt"},
    )
    if outcome.errors:
        st.markdown("**Rows not imported** - fix them and import the downloaded file again:")
        st.dataframe(
            pd.DataFrame(
                [e.model_dump() for e in outcome.errors], columns=["row", "field", "message"]
            ),
            hide_index=True,
            key="import_errors",
        )
        st.download_button(
            "Download problem rows as CSV",
            data=result["problem_csv"].encode("utf-8-sig"),  # a BOM, as every export
            file_name=f"problems-{result['filename']}",
            mime="text/csv",
            on_click="ignore",
            key="download_problems",
        )


st.title("Import leads")
max_mb = settings.max_upload_bytes // 1_048_576
st.caption(
    f"CSV files up to {max_mb} MB and {settings.max_import_rows:,} rows; any common encoding "
    "(UTF-8, Windows-1252, Latin-1) and delimiter (comma, semicolon, tab, pipe). Each lead "
    "needs an email or a LinkedIn URL. The same import runs behind "
    "`POST /v1/leads/import/csv`."
)
uploaded = st.file_uploader(
    f"Drop a CSV file here (max {max_mb} MB)", type=["csv", "txt", "tsv"], key="import_file"
)
if "import_result" in state and (uploaded is None or uploaded.file_id != state.get("import_for")):
    del state["import_result"]
if uploaded is None:
    st.info("Drag a CSV export from your CRM, LinkedIn or Apollo onto the box above.")
    st.stop()

data_bytes = uploaded.getvalue()
try:
    preview = csvfile.preview_csv_bytes(data_bytes)
except LeadsError as exc:
    st.error(f"{uploaded.name} cannot be imported: {feedback.describe(exc)}")
    st.stop()

delimiter = DELIMITER_NAMES.get(preview.delimiter, repr(preview.delimiter))
st.markdown(
    f"**{uploaded.name}** - {len(data_bytes) / 1024:,.0f} KB, read as **{preview.encoding}**, "
    f"delimiter **{delimiter}**, {len(preview.headers)} columns. First rows:"
)
st.dataframe(
    pd.DataFrame(preview.rows, columns=preview.headers), hide_index=True, key="import_preview"
)
state["import_mapping"] = mapping_editor(preview, uploaded.file_id)
if not any(state["import_mapping"].values()):
    st.error("Map at least one column to a lead field (email or LinkedIn URL is required).")

campaign_id, new_name = campaign_choice(data.campaign_names(data.version()))
score_col, duplicate_col = st.columns(2)
score_col.checkbox("Score the leads", value=True, key="import_auto_score")
duplicate_col.radio(
    "A lead already in the campaign (same email or LinkedIn URL)",
    ["skip", "update"],
    format_func={"skip": "Skip it", "update": "Update it with the file's values"}.get,
    key="import_on_duplicate",
    horizontal=True,
)
ready = campaign_id is not None or bool(new_name.strip())
if st.button("Import", type="primary", disabled=not ready, key="import_go"):
    state["import_for"] = uploaded.file_id
    run_import(data_bytes, uploaded.name, campaign_id, new_name)
if not ready:
    st.caption("Choose a campaign or name a new one to import.")
if "import_result" in state:
    show_result(state["import_result"])
