"""The Leads grid in Chromium as a salesperson works in it: what a bulk action acts on, where
the grid stands after an edit, opening a lead and walking the list from its page."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e import browser as ui
from tests.e2e import test_browser as shared
from tests.e2e.conftest import Server

grid_empty = "—"  # dashboard.grid.EMPTY
pytestmark = [pytest.mark.slow, pytest.mark.browser_only, pytest.mark.xdist_group("e2e-browser")]

# The fixtures of the browser tests: one Chromium per module, a context per test, the API.
browser = shared.browser
page = shared.page
api = shared.api


def toggle_cell(page: Page, grid: Locator, row: int, column: str) -> None:
    """Tick (or untick) a checkbox cell with the keyboard: move there, Space."""
    position = ui.grid_headers(grid).index(column)
    grid.get_by_test_id("data-grid-canvas").focus()
    for key in ["ArrowDown"] * row + ["ArrowRight"] * position + [" "]:
        page.keyboard.press(key)


def subheader(page: Page, pattern: str) -> Locator:
    return page.get_by_role("heading", name=re.compile(pattern))


def test_a_selection_does_not_survive_a_search(
    page: Page, server: Server, api: httpx.Client
) -> None:
    """Tick a lead, search for another: the selection is gone (and the page says so), the
    bulk actions are off, and nothing happens to the first lead. Empty cells are blank."""
    campaign_id, _ = shared.new_campaign(api, "Grid selection")
    suffix = campaign_id.removeprefix("cmp_ui_")
    ada_id, _bea_id = shared.add_leads(
        api,
        campaign_id,
        [
            {"firstName": "Ada", "lastName": "Anders", "email": f"ada.{suffix}@example.com"},
            {"firstName": "Bea", "lastName": "Berg", "email": f"bea.{suffix}@example.com"},
        ],
    )
    ui.open_path(page, server.base_url, f"/leads?campaignId={campaign_id}&sort=lastName")
    grid = page.get_by_test_id("stDataFrame")
    expect(ui.grid_cells(grid).filter(has_text=ui.exactly("Ada"))).to_have_count(1)
    # Nobody typed a company: the cell is blank (or a dash), not "None".
    companies = [row[ui.grid_headers(grid).index("Company")] for row in ui.grid_rows(grid)]
    assert len(companies) == 2 and set(companies) <= {"", grid_empty}, companies
    toggle_cell(page, grid, ui.grid_row_of(grid, "First name", "Ada"), "✓")
    expect(subheader(page, "^Selected")).to_have_text("Selected: 1")
    delete = page.get_by_role("button", name=re.compile("^Delete"))
    expect(delete).to_be_enabled()

    search = page.get_by_role("textbox", name="Search")
    search.fill("berg")
    search.press("Enter")
    expect(page.get_by_text(re.compile(r"match(es)? · showing"))).to_contain_text("1 lead matches")
    ui.wait_for_app(page)
    expect(subheader(page, "^Selected")).to_have_text("Selected: 0")
    expect(page.get_by_text("The selection was cleared: the filters changed.")).to_be_visible()
    expect(delete).to_be_disabled()
    assert api.get(f"/v1/leads/{ada_id}").status_code == 200


def test_an_edit_keeps_the_grids_place_and_the_row(
    page: Page, server: Server, api: httpx.Client, tmp_path: Path
) -> None:
    """Sorted by last name, a user scrolls down to row 40 and renames it: after the save
    the grid has not jumped to the top and the row is where it was, with its new name."""
    campaign_id, _ = shared.new_campaign(api, "Grid place")
    suffix = campaign_id.removeprefix("cmp_ui_")
    shared.add_leads(
        api,
        campaign_id,
        [
            {"firstName": f"P{n:02d}", "lastName": f"L{n:02d}", "email": f"p{n}.{suffix}@x.com"}
            for n in range(60)
        ],
    )
    ui.open_path(page, server.base_url, f"/leads?campaignId={campaign_id}&sort=lastName&limit=100")
    grid = page.get_by_test_id("stDataFrame")
    expect(ui.grid_cells(grid).filter(has_text=ui.exactly("P00"))).to_have_count(1)

    overlay = ui.open_cell_editor(page, grid, 40, "Last name")  # the keys scroll the grid
    editor = overlay.locator("textarea")
    editor.fill("Zulu")  # sorted by last name, it would now be the last row
    editor.press("Enter")
    expect(page.get_by_test_id("stToast")).to_contain_text("Saved P40 Zulu")
    ui.wait_for_app(page)

    row = ui.grid_row_elements(grid).filter(has=page.locator("td", has_text=ui.exactly("P40")))
    expect(row).to_have_count(1)  # drawn: the grid did not go back to the top
    expect(row.locator("td", has_text=ui.exactly("Zulu"))).to_have_count(1)
    expect(row).to_have_attribute("aria-rowindex", "42")  # the header is 1, row 0 is 2
    expect(ui.grid_row_elements(grid).filter(has_text="P00")).to_have_count(0)
    ui.screenshot(page, tmp_path / "grid-after-edit.png")

    page.get_by_role("button", name="Refresh").click()  # now sorted again: Zulu is last
    ui.wait_for_app(page)
    expect(ui.grid_cells(grid).filter(has_text=ui.exactly("P00"))).to_have_count(1)


def test_open_stays_in_the_tab_and_next_walks_the_list(
    page: Page, server: Server, api: httpx.Client
) -> None:
    campaign_id, _ = shared.new_campaign(api, "Grid open")
    suffix = campaign_id.removeprefix("cmp_ui_")
    shared.add_leads(
        api,
        campaign_id,
        [
            {"firstName": name, "lastName": last, "email": f"{name.lower()}.{suffix}@x.com"}
            for name, last in (("Ada", "Anders"), ("Bea", "Berg"), ("Cy", "Castro"))
        ],
    )
    ui.open_path(page, server.base_url, f"/leads?campaignId={campaign_id}&sort=lastName")
    grid = page.get_by_test_id("stDataFrame")
    expect(ui.grid_cells(grid).filter(has_text=ui.exactly("Bea"))).to_have_count(1)
    row = ui.grid_row_of(grid, "First name", "Bea")
    # A click on the row's Open cell (the second column: ✓ is 40 px, Open 72 px).
    box = grid.get_by_test_id("data-grid-canvas").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 40 + 36, box["y"] + 35 + 35 * row + 17)

    expect(page.get_by_role("heading", level=1)).to_have_text("Bea Berg")
    assert len(page.context.pages) == 1  # the same tab
    expect(page).to_have_url(re.compile(r"/lead\?"))
    ui.wait_for_app(page)
    expect(page.get_by_text("2 of 3")).to_be_visible()
    page.get_by_role("link", name=re.compile("Next")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cy Castro")
    ui.wait_for_app(page)
    expect(page.get_by_role("link", name=re.compile("Next"))).to_have_count(0)  # the last
    page.get_by_role("link", name=re.compile("Previous")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bea Berg")
    page.get_by_role("link", name=re.compile("Back to the leads")).click()
    expect(page).to_have_url(re.compile(rf"/leads\?campaignId={campaign_id}&sort=lastName$"))
    ui.wait_for_app(page)
    expect(ui.grid_cells(grid).filter(has_text=ui.exactly("Bea"))).to_have_count(1)
    page.mouse.click(box["x"] + 40 + 36, box["y"] + 35 + 35 * row + 17)  # the same box again
    expect(page.get_by_role("heading", level=1)).to_have_text("Bea Berg")
    assert len(page.context.pages) == 1
