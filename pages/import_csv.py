"""Import: drop a CSV file or an Excel workbook, see how it was read, map the columns,
preview what will happen, import with progress, see what was imported and what was not."""

import json

import streamlit as st

from dashboard import auth, data, feedback, importer, writes
from dashboard.safe import md
from leads_core import sizes
from leads_core.access import Action
from leads_core.config import get_settings
from leads_core.errors import LeadsError, validated
from leads_core.schemas import CampaignCreate

NEW = "__new__"
settings = get_settings()
state = st.session_state
max_mb = settings.max_upload_bytes // 1_048_576


def campaign_choice(names: dict[str, str]) -> tuple[str | None, str]:
    """(existing campaign id or None, new campaign name); nothing is chosen by default."""
    options = [*names, NEW]
    chosen = st.selectbox(
        "Campaign",
        options,
        index=None,
        format_func=lambda key: "New campaign…" if key == NEW else names[key],
        placeholder="Choose the campaign these leads go to",
        key="import_campaign",
    )
    if chosen == NEW:
        name = st.text_input(
            "New campaign name", key="import_new_campaign", max_chars=sizes.CAMPAIGN_NAME
        )
        return None, name
    return chosen, ""


def run(data_bytes: bytes, filename: str, choice: dict, *, dry_run: bool) -> None:
    """A preview (``dry_run``) or the import itself; its outcome goes to the session."""
    bar = None if dry_run else st.progress(0.0, text="Importing…")

    def progress(done: int, total: int) -> None:
        if bar is not None:
            bar.progress(
                done / total if total else 1.0, text=f"Imported {done:,} of {total:,} rows"
            )

    campaign: str | CampaignCreate
    try:
        if choice["campaign_id"] is None:  # created first, in the import's session
            campaign = validated(CampaignCreate, {"name": choice["new_name"]})
        else:
            campaign = choice["campaign_id"]
        campaign_id, outcome = writes.import_file(
            data_bytes,
            campaign=campaign,
            mapping=choice["mapping"],
            sheet=choice["sheet"],
            auto_score=choice["auto_score"],
            on_duplicate=choice["on_duplicate"],
            filename=filename,
            progress=progress,
            dry_run=dry_run,
            owners=choice["owners"],
        )
    except LeadsError as exc:
        if bar is not None:
            bar.empty()
        what = "The file cannot be imported" if dry_run else "The file was not imported"
        st.error(f"{what}: {feedback.describe(exc)}")
        return
    if dry_run:
        state["import_preview"] = {"choice": choice, "outcome": outcome}
        return
    if bar is not None:
        bar.progress(1.0, text="Done")
    data.clear()
    state.pop("import_preview", None)
    state["import_result"] = {"filename": filename, "campaign_id": campaign_id, "outcome": outcome}


def show_result(result: dict) -> None:
    outcome = result["outcome"]
    st.success(f"Imported **{md(result['filename'])}**.")
    importer.show_counts(outcome, preview=False)
    links = st.columns(2)
    links[0].page_link(
        "pages/leads.py",
        label="See the leads of this campaign",
        icon=":material/table_rows:",
        query_params={"campaignId": result["campaign_id"], "sort": "-createdAt"},
    )
    links[1].page_link(
        "pages/imports.py",
        label="See this import in the history (problem rows, undo)",
        icon=":material/history:",
        query_params={"id": outcome.batch_id},
    )


st.title("Import leads")
if not auth.can(Action.WRITE):
    st.error("Viewers import nothing: ask an admin for another role.")
    st.stop()
st.caption(
    f"CSV files or Excel workbooks (.xlsx) up to {max_mb} MB and "
    f"{settings.max_import_rows:,} rows: exports from LinkedIn, Sales Navigator, Google "
    "Contacts, Outlook, HubSpot, Salesforce, Pipedrive, Apollo, lemlist, Instantly, or your "
    "own sheet, in any common encoding and delimiter. Each lead needs an email or a LinkedIn "
    "URL; columns that match no lead field are kept as attributes. The same import runs "
    "behind `POST /v1/leads/import/csv`."
)
uploaded = st.file_uploader(f"Drop a CSV or Excel file here (max {max_mb} MB)", key="import_file")
if "import_result" in state and (uploaded is None or uploaded.file_id != state.get("import_for")):
    del state["import_result"]
if uploaded is None:
    st.info("Drag a file onto the box above, or click *Browse files*.")
    st.page_link("pages/imports.py", label="Import history", icon=":material/history:")
    st.stop()

data_bytes = uploaded.getvalue()
if len(data_bytes) > settings.max_upload_bytes:
    st.error(
        f"{md(uploaded.name)} is {len(data_bytes) / 1_048_576:.1f} MB; the limit is {max_mb} MB. "
        "Split it into smaller files, or import it from the command line: "
        f"`python -m leads_core import-csv {uploaded.name.replace('`', '')} --campaign cmp_…`."
    )
    st.stop()
file_digest = importer.digest(data_bytes)
sheet = state.get(f"import_sheet_{file_digest}")
try:
    found = importer.inspect(data_bytes, file_digest, sheet)
except LeadsError as exc:
    st.error(f"{md(uploaded.name)} cannot be imported: {feedback.describe(exc)}")
    st.stop()

if len(found.sheets) > 1:
    st.selectbox(
        "Sheet",
        found.sheets,
        index=found.sheets.index(found.sheet),
        key=f"import_sheet_{file_digest}",
    )
st.markdown(found.how_read(uploaded.name, len(data_bytes)) + " First rows:")
st.dataframe(
    [dict(zip(found.headers, row, strict=False)) for row in found.first_rows],
    hide_index=True,
    key="import_first_rows",
)
st.markdown(
    "**Columns** - what each column becomes, matched by its header or by its values. "
    "Change *Import as* where it is wrong; attributes are shown on the lead, exported and "
    "searched."
)
changes = importer.edit_mapping(found, key=f"import_mapping_{file_digest}_{found.sheet}")
problems = importer.mapping_problems(found, changes)
for problem in problems:
    st.error(problem)

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
people = data.people()
owners, owner_missing = importer.owner_choice(people.names, people.enabled)
choice = {
    "file": file_digest,
    "sheet": found.sheet,
    "mapping": changes,
    "campaign_id": campaign_id,
    "new_name": new_name.strip(),
    "auto_score": state["import_auto_score"],
    "on_duplicate": state["import_on_duplicate"],
    "owners": owners,
}
ready = (campaign_id is not None or bool(choice["new_name"])) and not problems
ready = ready and owner_missing is None
preview = state.get("import_preview")
previewed = preview is not None and json.dumps(preview["choice"]) == json.dumps(choice)
preview_col, import_col = st.columns(2)
if preview_col.button("Preview", disabled=not ready, key="import_preview_go", width="stretch"):
    run(data_bytes, uploaded.name, choice, dry_run=True)
    preview = state.get("import_preview")
    previewed = preview is not None and json.dumps(preview["choice"]) == json.dumps(choice)
go = import_col.button(
    "Import", type="primary", disabled=not (ready and previewed), key="import_go", width="stretch"
)
if owner_missing:
    st.caption(owner_missing)
elif not ready:
    st.caption("Choose a campaign or name a new one, then preview the import.")
elif not previewed:
    st.caption("Preview first: it shows what the import will do, and writes nothing.")
if go:
    state["import_for"] = uploaded.file_id
    run(data_bytes, uploaded.name, choice, dry_run=False)
if "import_result" in state:
    show_result(state["import_result"])
elif previewed and preview is not None:
    st.subheader("Preview - nothing is written yet")
    importer.show_counts(preview["outcome"], preview=True)
