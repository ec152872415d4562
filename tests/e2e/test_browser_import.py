"""An Excel workbook imported in a real browser (Debian's Chromium, driven by Playwright)
against the real ``streamlit run app.py`` of the ``server`` fixture: the sheet chosen, the
mapping table read, the preview, the import, then the import found in the history and
undone - checked through the API at each step.

The browser, page and API client fixtures are test_browser.py's (imported below), so a
failing test saves a screenshot the same way."""

from __future__ import annotations

import io
import re
from pathlib import Path

import httpx
import pytest
from openpyxl import Workbook
from playwright.sync_api import Page, expect

from tests.e2e import browser as ui
from tests.e2e.conftest import Server
from tests.e2e.test_browser import api, browser, new_campaign, page  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e-browser")]

HEADERS = ["Full Name", "E-mail", "Company", "Job Title", "Phone", "Region"]
MAPPING = {
    "Full Name": "Full name (split into first and last)",
    "E-mail": "Email",
    "Company": "Company",
    "Job Title": "Position",
    "Phone": "Phone",
    "Region": "Keep as an attribute",
}
PREVIEW = {
    "New leads": "3",
    "Repeats inside the file": "1",
    "Already in the campaign (skipped)": "0",
    "Rows with errors": "0",
    "Rows in the file": "4",
}


def workbook(path: Path, suffix: str) -> list[str]:
    """A workbook as people send them: a "Read me" sheet first, then "Leads" with a title,
    a blank row, the headers and four rows - accents everywhere, and Hélène twice (the
    same email in capitals, her name without accents). Returns the three emails."""
    emails = [f"{name}.{suffix}@lyon-fair.example" for name in ("helene", "jose", "chloe")]
    book = Workbook()
    readme = book.active
    assert readme is not None
    readme.title = "Read me"
    readme.append(["Visitors of the Lyon fair, exported on 3 March: see the Leads sheet."])
    leads = book.create_sheet("Leads")
    leads.append(["Lyon fair 2026 - visitors"])
    leads.append([])
    leads.append(HEADERS)
    leads.append(["Hélène Lefèvre", emails[0], "Soierie Lumière", "CTO", "", "Rhône"])
    leads.append(["José Muñoz", emails[1], "Ñandú SARL", "Founder", "", "Occitanie"])
    leads.append(["Chloé Dubois", emails[2], "Atelier Cèdre", "Head of Sales", "", "Île-de-France"])
    leads.append(["Helene Lefevre", emails[0].upper(), "Soierie Lumiere", "CTO", "", "Rhône"])
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(buffer.getvalue())
    return emails


def campaign_leads(client: httpx.Client, campaign_id: str) -> list[dict]:
    response = client.get("/v1/leads", params={"campaignId": campaign_id, "limit": 100})
    assert response.status_code == 200, response.text
    return response.json()["leads"]


def test_import_an_excel_sheet_then_undo_it_from_the_history(
    page: Page,  # noqa: F811
    server: Server,
    api: httpx.Client,  # noqa: F811
    tmp_path: Path,
) -> None:
    campaign_id, name = new_campaign(api, "Browser xlsx")
    suffix = campaign_id.removeprefix("cmp_ui_")
    file = tmp_path / f"lyon-fair-{suffix}.xlsx"
    emails = workbook(file, suffix)
    ui.open_path(page, server.base_url, "/import")

    page.get_by_test_id("stFileUploader").locator('input[type="file"]').set_input_files(file)
    sheet = page.get_by_role("combobox", name="Sheet", exact=True)
    # It opens on the first sheet with an email column, not the "Read me" before it.
    expect(sheet).to_have_value("Leads")
    expect(
        page.get_by_text("Excel workbook, sheet Leads, header on row 3, 4 rows, 6 columns.")
    ).to_be_visible()
    ui.wait_for_app(page)

    mapping = page.get_by_test_id("stDataFrame").filter(
        has=page.locator('th[role="columnheader"]', has_text=ui.exactly("Import as"))
    )
    # The accessibility table behind the canvas is filled once the grid is drawn.
    expect(ui.grid_cells(mapping).filter(has_text=ui.exactly("Region"))).to_have_count(1)
    expect(ui.grid_column(mapping, "Column")).to_have_text(HEADERS)
    headers = ui.grid_headers(mapping)
    shown = {
        row[headers.index("Column")]: row[headers.index("Import as")]
        for row in ui.grid_rows(mapping)
    }
    assert shown == MAPPING

    ui.choose(page, "Campaign", name)
    ui.wait_for_app(page)
    go = page.get_by_role("button", name="Import", exact=True)
    expect(go).to_be_disabled()
    page.get_by_role("button", name="Preview", exact=True).click()
    expect(page.get_by_text("Preview - nothing is written yet")).to_be_visible()
    labels = page.get_by_test_id("stMetricLabel")
    expect(labels).to_have_count(5)
    ui.wait_for_app(page)
    assert ui.metrics(page) == PREVIEW
    ui.screenshot(page, tmp_path / "xlsx-preview.png")  # kept with the test's tmp_path
    page.set_viewport_size(ui.VIEWPORT)
    assert campaign_leads(api, campaign_id) == []  # a preview writes nothing

    expect(go).to_be_enabled()
    go.click()
    expect(page.get_by_text(f"Imported {file.name}.")).to_be_visible()
    expect(labels.first).to_have_text("Imported")
    ui.wait_for_app(page)
    imported = {("Imported" if k == "New leads" else k): v for k, v in PREVIEW.items()}
    assert ui.metrics(page) == imported

    listed = {lead["email"]: lead["id"] for lead in campaign_leads(api, campaign_id)}
    assert sorted(listed) == sorted(emails)
    # The attributes are in a lead's detail (GET /v1/leads/{id}), not in the list.
    stored = {email: api.get(f"/v1/leads/{lead_id}").json() for email, lead_id in listed.items()}
    helene = stored[emails[0]]
    assert (helene["firstName"], helene["lastName"]) == ("Hélène", "Lefèvre")
    assert helene["attributes"] == {"Region": "Rhône"}
    jose = stored[emails[1]]
    assert (jose["firstName"], jose["lastName"], jose["company"]) == ("José", "Muñoz", "Ñandú SARL")
    assert jose["attributes"] == {"Region": "Occitanie"}
    chloe = stored[emails[2]]
    assert (chloe["firstName"], chloe["lastName"], chloe["phone"]) == ("Chloé", "Dubois", None)

    page.get_by_role("link", name="See this import in the history").click()
    expect(page).to_have_url(re.compile(r"/imports\?id=imp_\w+$"))
    import_id = page.url.rsplit("=", 1)[1]
    ui.wait_for_app(page)
    expect(page.get_by_role("heading", name=file.name)).to_be_visible()
    # The import is in the history's list, with its campaign.
    history = page.get_by_test_id("stDataFrame").filter(
        has=page.locator('th[role="columnheader"]', has_text=ui.exactly("Undone"))
    )
    expect(ui.grid_cells(history).filter(has_text=ui.exactly(file.name))).to_have_count(1)
    row = ui.grid_rows(history)[ui.grid_row_of(history, "File", file.name)]
    assert row[ui.grid_headers(history).index("Campaign")] == name
    assert ui.metrics(page) == {
        "Rows": "4",
        "Imported": "3",
        "Updated": "0",
        "Skipped (duplicates)": "1",
        "Rows with errors": "0",
    }
    expect(
        page.get_by_text("Every row of this import was imported or was a duplicate.")
    ).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("problem rows"))).to_have_count(0)

    page.get_by_role("button", name="Undo this import…").click()
    expect(
        page.get_by_text("Delete the 3 leads this import created that nobody has changed since?")
    ).to_be_visible()
    page.get_by_role("button", name="Yes, delete them").click()

    expect(page.get_by_test_id("stToast")).to_contain_text(
        "Undone: deleted 3 leads; kept 0 that someone changed since."
    )
    expect(
        page.get_by_text(re.compile(r"^Undone on .* UTC: 3 leads deleted, 0 kept"))
    ).to_be_visible()
    response = api.get("/v1/leads", params={"campaignId": campaign_id})
    assert (response.json()["total"], response.json()["leads"]) == (0, [])
    response = api.get(f"/v1/imports/{import_id}")
    assert response.status_code == 200, response.text
    record = response.json()
    assert (record["undoDeleted"], record["undoKept"], record["sheet"]) == (3, 0, "Leads")
    assert record["undoneAt"] is not None
