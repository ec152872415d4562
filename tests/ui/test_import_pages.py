"""The Import page (pages/import_csv.py) and the Import history page (pages/imports.py) run by
AppTest on a temporary database: how a file reads, the mapping table, the campaign chosen
by the user, the preview that writes nothing, the import, and the history with its
problem rows and undo.

AppTest uploads a file through the real ``st.file_uploader`` (``FileUploader.upload``);
an edit of the mapping table is the ``st.data_editor``'s widget state, as a browser sends it."""

from __future__ import annotations

import io
from collections.abc import Callable

import pandas as pd
import pytest
from openpyxl import Workbook
from sqlmodel import Session, func, select
from streamlit.testing.v1 import AppTest

from leads_core.ingest import importing
from leads_core.ingest.options import ImportOptions, ImportOutcome
from leads_core.schemas import CampaignCreate, LeadUpdate
from leads_core.services import campaigns, leads
from leads_core.storage.models import Campaign, ImportBatch, Lead
from tests.conftest import FIXTURES
from tests.ui.escaping import shown

Open = Callable[..., AppTest]
SAMPLE = (FIXTURES / "sample_leads.csv").read_bytes()
CLEAN = (
    b"Email;Company;Region\r\n"
    b"ana@clean.example;Clean One;North\r\n"
    b"bo@clean.example;Clean Two;South\r\n"
)
NEW = "__new__"  # the "New campaign…" option of the Campaign selectbox (pages/import_csv.py)
PREVIEW_METRICS = [
    "New leads",
    "Repeats inside the file",
    "Already in the campaign (skipped)",
    "Rows with errors",
    "Rows in the file",
]


def _count(session: Session, *where) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(Lead).where(*where)).one()


def _batches(session: Session) -> list[ImportBatch]:
    session.expire_all()
    return list(session.exec(select(ImportBatch)).all())


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _table(at: AppTest, column: str) -> pd.DataFrame:
    """The first table with this column (a plain ``st.dataframe``'s key does not reach
    AppTest: tables are found by what they hold)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _buttons(at: AppTest) -> dict[str, bool]:
    """Button key -> disabled, in the page (the sidebar holds the first-admin form)."""
    return {b.key: b.disabled for b in at.main.button if b.key}


def _captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


def _upload(at: AppTest, name: str, data: bytes, mime: str = "text/csv") -> AppTest:
    at.file_uploader(key="import_file").upload(name, data, mime).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _mapping(at: AppTest) -> dict[str, str]:
    """The mapping table as shown: column -> "Import as"."""
    table = at.data_editor[0].value
    return dict(zip(table["Column"], table["Import as"], strict=True))


def _map(at: AppTest, changes: dict[str, str]) -> AppTest:
    """Change "Import as" of these columns in the mapping table, as a user does in the grid."""
    editor = at.data_editor[0]
    columns = list(editor.value["Column"])
    at.session_state[editor.key] = {
        "edited_rows": {columns.index(c): {"Import as": label} for c, label in changes.items()},
        "added_rows": [],
        "deleted_rows": [],
    }
    return at.run()


def _preview(at: AppTest) -> AppTest:
    at.button(key="import_preview_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at


def _import(at: AppTest) -> AppTest:
    at.button(key="import_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at


def _import_into(session: Session, campaign_id: str, data: bytes, filename: str) -> ImportOutcome:
    """An import made elsewhere (as the dashboard makes it), for the history page."""
    return importing.import_file(
        session,
        data,
        ImportOptions(
            campaign_id=campaign_id,
            region="FR",
            max_rows=1000,
            origin="dashboard",
            filename=filename,
            actor="dashboard",
        ),
    )


def _workbook() -> bytes:
    """Two sheets: a "Read me" line first, then the leads under a title and a blank row;
    Hélène is there twice (the same email in other case)."""
    book = Workbook()
    readme = book.active
    readme.title = "Read me"
    readme.append(["Visitors of the Lyon fair: see the Leads sheet"])
    sheet = book.create_sheet("Leads")
    sheet.append(["Lyon fair - visitors"])
    sheet.append([])
    sheet.append(["Full Name", "E-mail", "Company", "Job Title", "Phone", "Region"])
    sheet.append(["Hélène Lefèvre", "helene@lyon.example", "Soierie", "CTO", "", "Rhône"])
    sheet.append(["José Muñoz", "jose@lyon.example", "Ñandú", "Founder", "", "Occitanie"])
    sheet.append(["Chloé Dubois", "chloe@lyon.example", "Cèdre", "Head of Sales", "", "Île"])
    sheet.append(["Helene Lefevre", "HELENE@lyon.example", "Soierie", "CTO", "", "Rhône"])
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


# ------------------------------------------------------------------ import page


def test_import_previews_maps_and_imports_with_a_summary(
    open_page: Open, campaign: Campaign, ui_session: Session
) -> None:
    at = open_page("import_csv")
    assert at.file_uploader(key="import_file").label == "Drop a CSV or Excel file here (max 10 MB)"
    _upload(at, "sample_leads.csv", SAMPLE)
    assert not at.error
    assert shown(at.markdown[0].value) == (
        "**sample_leads.csv** - 6 KB, read as **utf-8-sig**, delimiter **semicolon**, "
        "header on row 1, 40 rows, 11 columns. First rows:"
    )
    first_rows = at.dataframe[0].value
    assert len(first_rows) == 5 and list(first_rows["First Name"][:2]) == ["Camille", "Julien"]
    mapping_table = at.data_editor[0].value
    assert list(mapping_table.columns) == ["Column", "Example", "Matched by", "Import as"]
    assert mapping_table.iloc[2].to_dict() == {
        "Column": "E-mail Address",
        "Example": "camille.martin@nexora.io",
        "Matched by": "its header",
        "Import as": "Email",
    }
    assert _mapping(at)["Favourite colour"] == "Keep as an attribute"
    box = at.selectbox(key="import_campaign")
    assert (box.value, box.placeholder) == (None, "Choose the campaign these leads go to")
    assert box.options == ["Q1 CTO outreach", "New campaign…"]

    box.set_value(campaign.id).run()
    _preview(at)
    assert at.subheader[0].value == "Preview - nothing is written yet"
    assert _metrics(at) == dict(zip(PREVIEW_METRICS, ["34", "3", "0", "3", "40"], strict=True))
    duplicates, errors = _table(at, "Repeats row"), _table(at, "What to fix")
    assert list(duplicates["Row"]) == [19, 28, 36]
    assert list(errors["Row"]) == [16, 24, 33] and set(errors["Field"]) == {"Email"}
    assert any(m.value == "**Rows that will not import**" for m in at.markdown)
    assert _count(ui_session) == 0 and _batches(ui_session) == []  # a dry run

    _import(at)
    assert shown(at.success[0].value) == "Imported **sample_leads.csv**."
    assert _metrics(at) == {
        "Imported": "34",
        "Repeats inside the file": "3",
        "Already in the campaign (skipped)": "0",
        "Rows with errors": "3",
        "Rows in the file": "40",
    }
    assert any(m.value == "**Rows not imported**" for m in at.markdown)
    assert at.warning[0].value == (
        "1 value was kept in the leads' attributes, not in their field, as they are not one "
        "(Email 1). The rows are imported."
    )
    kept = _table(at, "What")
    assert kept.to_dict("records") == [
        {
            "Row": 22,
            "Field": "Email",
            "What": "'not-an-email' is not a valid email address: kept in the lead's "
            "attributes as 'E-mail Address'",
        }
    ]
    assert _count(ui_session, Lead.campaign_id == campaign.id) == 34
    [batch] = _batches(ui_session)
    assert (batch.origin, batch.filename, batch.imported, batch.errors) == (
        "dashboard",
        "sample_leads.csv",
        34,
        3,
    )
    links = {link.proto.label: link.proto for link in at.get("page_link")}
    leads_link = links["See the leads of this campaign"]
    assert (leads_link.page, leads_link.query_string) == (
        "leads",
        f"campaignId={campaign.id}&sort=-createdAt",
    )
    history_link = links["See this import in the history (problem rows, undo)"]
    assert (history_link.page, history_link.query_string) == ("imports", f"id={batch.id}")
    assert not at.get("download_button")  # the problem rows are on the history page now


def test_import_button_waits_for_a_campaign_and_a_preview_of_the_current_choices(
    open_page: Open, campaign: Campaign, ui_session: Session
) -> None:
    at = _upload(open_page("import_csv"), "sample_leads.csv", SAMPLE)
    assert _buttons(at) == {"import_preview_go": True, "import_go": True}
    assert "Choose a campaign or name a new one, then preview the import." in _captions(at)

    at.selectbox(key="import_campaign").set_value(NEW).run()  # a new campaign, no name yet
    assert _buttons(at) == {"import_preview_go": True, "import_go": True}
    at.selectbox(key="import_campaign").set_value(campaign.id).run()
    assert _buttons(at) == {"import_preview_go": False, "import_go": True}
    assert "Preview first: it shows what the import will do, and writes nothing." in _captions(at)

    _preview(at)
    assert _buttons(at) == {"import_preview_go": False, "import_go": False}

    # Any change of the choices makes that preview stale: preview again before importing.
    at.checkbox(key="import_auto_score").uncheck().run()
    assert _buttons(at) == {"import_preview_go": False, "import_go": True}
    assert not at.subheader and not at.metric  # the stale preview is not shown
    _preview(at)
    assert _buttons(at) == {"import_preview_go": False, "import_go": False}
    at.radio(key="import_on_duplicate").set_value("update").run()
    assert _buttons(at)["import_go"] is True
    _preview(at)
    _map(at, {"Notes": "Ignore"})
    assert _buttons(at)["import_go"] is True
    assert _count(ui_session) == 0 and _batches(ui_session) == []


def test_import_into_a_new_campaign_with_a_changed_mapping(
    open_page: Open, ui_session: Session
) -> None:
    at = _upload(open_page("import_csv"), "sample_leads.csv", SAMPLE)
    assert at.selectbox(key="import_campaign").options == ["New campaign…"]
    _map(at, {"Notes": "Ignore", "Favourite colour": "Ignore"})
    at.selectbox(key="import_campaign").set_value(NEW).run()
    at.text_input(key="import_new_campaign").set_value("Trade show").run()

    _preview(at)
    assert at.metric[0].value == "34"
    assert ui_session.exec(select(func.count()).select_from(Campaign)).one() == 0  # dry run

    _import(at)
    assert at.metric[0].value == "34"
    created = ui_session.exec(select(Campaign).where(Campaign.name == "Trade show")).one()
    assert _count(ui_session, Lead.campaign_id == created.id) == 34
    assert _count(ui_session, Lead.campaign_id == created.id, Lead.notes.is_not(None)) == 0
    stored = ui_session.exec(select(Lead).where(Lead.email == "camille.martin@nexora.io")).one()
    assert not stored.attributes  # "Favourite colour" ignored, not kept
    [batch] = _batches(ui_session)
    assert batch.mapping is not None
    assert (batch.mapping["Notes"], batch.mapping["E-mail Address"]) == (None, "email")


def test_import_refuses_a_mapping_it_cannot_import(open_page: Open, campaign: Campaign) -> None:
    at = _upload(open_page("import_csv"), "sample_leads.csv", SAMPLE)
    at.selectbox(key="import_campaign").set_value(campaign.id).run()
    _map(at, {"Company Name": "Email"})
    assert [shown(e.value) for e in at.error] == [
        "Email is chosen for 2 columns (E-mail Address, Company Name): keep one."
    ]
    assert _buttons(at) == {"import_preview_go": True, "import_go": True}
    _map(at, {"E-mail Address": "Ignore", "LinkedIn": "Ignore"})
    assert [e.value for e in at.error] == [
        "No column is imported as Email or LinkedIn URL: each lead needs one."
    ]
    assert _buttons(at) == {"import_preview_go": True, "import_go": True}


def test_import_rejects_a_file_that_is_neither_csv_nor_excel(
    open_page: Open, campaign: Campaign
) -> None:
    at = open_page("import_csv")
    png = b"\x89PNG\r\n\x1a\n" + bytes(100)
    _upload(at, "photo.csv", png)
    assert "photo.csv cannot be imported" in shown(at.error[0].value)
    assert "PNG image" in at.error[0].value
    assert not at.data_editor and not _buttons(at)


def test_import_reads_the_chosen_sheet_of_a_workbook(
    open_page: Open, campaign: Campaign, ui_session: Session
) -> None:
    mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    at = _upload(open_page("import_csv"), "lyon.xlsx", _workbook(), mime)
    sheets = next(s for s in at.selectbox if s.label == "Sheet")
    # The first sheet holding leads opens, not the "Read me" before it; the user may pick.
    assert (sheets.options, sheets.value) == (["Read me", "Leads"], "Leads")
    assert not at.error
    sheets.set_value("Read me").run()
    assert "No column is imported as Email or LinkedIn URL" in at.error[0].value
    next(s for s in at.selectbox if s.label == "Sheet").set_value("Leads").run()
    assert not at.error
    assert "Excel workbook, sheet **Leads**, header on row 3, 4 rows, 6 columns." in (
        at.markdown[0].value
    )
    assert _mapping(at) == {
        "Full Name": "Full name (split into first and last)",
        "E-mail": "Email",
        "Company": "Company",
        "Job Title": "Position",
        "Phone": "Phone",
        "Region": "Keep as an attribute",
    }
    at.selectbox(key="import_campaign").set_value(campaign.id).run()
    _preview(at)
    assert _metrics(at) == dict(zip(PREVIEW_METRICS, ["3", "1", "0", "0", "4"], strict=True))
    _import(at)
    jose = ui_session.exec(select(Lead).where(Lead.email == "jose@lyon.example")).one()
    assert (jose.first_name, jose.last_name, jose.attributes) == (
        "José",
        "Muñoz",
        {"Region": "Occitanie"},
    )
    [batch] = _batches(ui_session)
    assert (batch.sheet, batch.filename) == ("Leads", "lyon.xlsx")


# ------------------------------------------------------------------ import history


def test_history_with_no_import_says_so(open_page: Open) -> None:
    at = open_page("imports")
    assert at.title[0].value == "Import history"
    assert at.info[0].value == "Nothing imported yet."
    assert not at.dataframe


def test_history_lists_imports_newest_first(
    open_page: Open, campaign: Campaign, ui_session: Session
) -> None:
    other = campaigns.create_campaign(ui_session, data=CampaignCreate(name="Spring fair"))
    sample = _import_into(ui_session, campaign.id, SAMPLE, "sample_leads.csv")
    _import_into(ui_session, other.id, CLEAN, "clean.csv")
    at = open_page("imports")
    assert "2 imports, newest first - page 1 of 1." in at.caption[0].value
    table = _table(at, "Undone")
    assert list(table["File"]) == ["clean.csv", "sample_leads.csv"]
    assert list(table["Campaign"]) == ["Spring fair", "Q1 CTO outreach"]
    assert list(table["Imported"]) == [2, 34] and list(table["Errors"]) == [0, 3]
    assert list(table["Undone"]) == ["", ""]
    assert not at.subheader  # no import shown until one is selected

    # Selecting a row shows that import, and puts it in the URL.
    at.session_state["imports_table"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()
    assert shown(at.subheader[0].value) == "sample_leads.csv"
    assert at.query_params == {"id": sample.batch_id}


def test_history_shows_one_import_by_its_id(
    open_page: Open, campaign: Campaign, ui_session: Session
) -> None:
    first = _import_into(ui_session, campaign.id, SAMPLE, "sample_leads.csv")
    _import_into(ui_session, campaign.id, CLEAN, "clean.csv")
    at = open_page("imports", id=first.batch_id)
    assert shown(at.subheader[0].value) == "sample_leads.csv"
    assert f"{first.batch_id} · into **Q1 CTO outreach** ·" in shown(at.caption[1].value)
    assert _metrics(at) == {
        "Rows": "40",
        "Imported": "34",
        "Updated": "0",
        "Skipped (duplicates)": "3",
        "Rows with errors": "3",
    }
    assert at.query_params == {"id": first.batch_id}

    at = open_page("imports", id="imp_nope")
    assert "There is no import 'imp_nope'" in shown(at.error[0].value)


@pytest.mark.parametrize(
    ("data", "filename", "download"),
    [
        (SAMPLE, "sample_leads.csv", "Download the 3 problem rows as CSV"),
        (CLEAN, "clean.csv", None),
    ],
    ids=["with-errors", "without-errors"],
)
def test_history_offers_the_problem_rows_exactly_when_rows_failed(
    open_page: Open,
    campaign: Campaign,
    ui_session: Session,
    data: bytes,
    filename: str,
    download: str | None,
) -> None:
    outcome = _import_into(ui_session, campaign.id, data, filename)
    at = open_page("imports", id=outcome.batch_id)
    buttons = at.get("download_button")
    if download is None:
        assert not buttons
        assert "Every row of this import was imported or was a duplicate." in _captions(at)
    else:
        [button] = buttons
        assert (button.proto.label, button.proto.disabled) == (download, False)
        [batch] = _batches(ui_session)
        problems = (batch.problems or "").splitlines()
        assert len(problems) == 4 and problems[0].endswith(";Problem")


def test_history_undo_deletes_the_untouched_leads_and_keeps_a_changed_one(
    open_page: Open, campaign: Campaign, ui_session: Session
) -> None:
    outcome = _import_into(ui_session, campaign.id, SAMPLE, "sample_leads.csv")
    camille = ui_session.exec(select(Lead).where(Lead.email == "camille.martin@nexora.io")).one()
    leads.update_lead(
        ui_session, camille.id, LeadUpdate(company="Nexora SAS"), region="FR", actor="other"
    )
    julien = ui_session.exec(
        select(Lead).where(Lead.email == "julien.lefevre@brasserie-lumiere.fr")
    ).one()
    leads.set_status(ui_session, [julien.id], "contacted", actor="other")

    at = open_page("imports", id=outcome.batch_id)
    assert at.warning[0].value.startswith(
        "Delete the 32 leads this import created that nobody has changed since? "
        "2 changed leads are kept."
    )
    undo = at.button(key="undo_go")
    assert (undo.label, undo.disabled) == ("Yes, delete them", False)
    undo.click().run()
    assert not at.exception and not at.error

    assert [t.value for t in at.toast] == [
        "Undone: deleted 32 leads; kept 2 that someone changed since."
    ]
    info = at.info[0].value
    assert info.startswith("Undone on ") and info.endswith(
        " UTC: 32 leads deleted, 2 kept because someone changed them."
    )
    assert _count(ui_session) == 2
    left = set(ui_session.exec(select(Lead.id)).all())
    assert left == {camille.id, julien.id}
    [batch] = _batches(ui_session)
    assert (batch.undo_deleted, batch.undo_kept) == (32, 2)
    assert _table(at, "Undone").iloc[0]["Undone"] == "yes"
