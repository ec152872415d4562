"""Driving the dashboard in Debian's Chromium with Playwright: launching the browser, waiting
for Streamlit, reading and editing Glide data grids, screenshots.

Glide (``st.dataframe`` / ``st.data_editor``) draws on a canvas. Its cells are only in the
DOM as the hidden accessibility table inside the canvas (``th[role=columnheader]``,
``td[role=gridcell]``, one ``tr`` per row currently drawn), which Playwright's role
selectors skip because it is not rendered: read it with CSS selectors. Editing goes
through the keyboard, as a user without a mouse would: focus the grid (the current cell is
then the first one), arrow keys to the cell, Enter opens the editor overlay."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, Playwright, expect

from tests.support.devserver import launch_chromium

TIMEOUT_MS = 30_000
VIEWPORT = {"width": 1600, "height": 1000}
MAX_SCREENSHOT_HEIGHT = 8_000


def launch(playwright: Playwright) -> Browser:
    return launch_chromium(playwright)


def new_page(browser: Browser) -> Page:
    """A page in its own context: a new Streamlit session, no filters remembered."""
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context.new_page()


def wait_for_app(page: Page) -> None:
    """Wait until Streamlit is connected and the script run is over (no running man)."""
    app = page.locator(
        '[data-testid="stApp"][data-test-connection-state="CONNECTED"]'
        '[data-test-script-state="notRunning"]'
    )
    expect(app).to_be_attached(timeout=TIMEOUT_MS)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=TIMEOUT_MS)


def open_path(page: Page, base_url: str, path: str) -> None:
    page.goto(base_url + path)
    wait_for_app(page)


def metrics(page: Page) -> dict[str, str]:
    """``st.metric`` label -> value, as shown."""
    return {
        metric.get_by_test_id("stMetricLabel").inner_text().strip(): metric.get_by_test_id(
            "stMetricValue"
        )
        .inner_text()
        .strip()
        for metric in page.get_by_test_id("stMetric").all()
    }


def exactly(text: str) -> re.Pattern[str]:
    """For ``has_text``: the whole text, not a substring, case-sensitive."""
    return re.compile(rf"^{re.escape(text)}$")


def grid_cells(grid: Locator) -> Locator:
    return grid.locator('td[role="gridcell"]')


def grid_headers(grid: Locator) -> list[str]:
    return grid.locator('th[role="columnheader"]').all_text_contents()


def grid_row_elements(grid: Locator) -> Locator:
    return grid.locator('tbody tr[role="row"]')


def grid_rows(grid: Locator) -> list[list[str]]:
    """The rows currently drawn (Glide virtualises: a long grid has more), cell texts."""
    return grid_row_elements(grid).evaluate_all(
        "rows => rows.map(r => [...r.querySelectorAll('td')].map(td => td.textContent))"
    )


def grid_column(grid: Locator, column: str) -> Locator:
    """The drawn cells of a column, top to bottom (for ``expect(...).to_have_text([...])``,
    which waits while the grid is drawn again)."""
    position = grid_headers(grid).index(column) + 1
    return grid.locator(f'td[role="gridcell"][aria-colindex="{position}"]')


def grid_row_of(grid: Locator, column: str, value: str) -> int:
    """0-based position of the row whose ``column`` cell is exactly ``value``."""
    position = grid_headers(grid).index(column)
    rows = [row[position] for row in grid_rows(grid)]
    assert rows.count(value) == 1, f"{value!r} should be in exactly one row: {rows}"
    return rows.index(value)


def open_cell_editor(page: Page, grid: Locator, row: int, column: str) -> Locator:
    """Move to a cell with the keyboard and open its editor; returns the overlay."""
    position = grid_headers(grid).index(column)
    canvas = grid.get_by_test_id("data-grid-canvas")
    canvas.focus()
    for key in ["ArrowDown"] * row + ["ArrowRight"] * position + ["Enter"]:
        page.keyboard.press(key)
    overlay = page.locator("#portal .gdg-style")  # Glide's editor overlay
    expect(overlay).to_be_visible()
    return overlay


def choose_in_cell(page: Page, grid: Locator, row: int, column: str, option: str) -> None:
    """Edit a SelectboxColumn cell: open its dropdown, type ``option``, Enter."""
    overlay = open_cell_editor(page, grid, row, column)
    combobox = overlay.get_by_role("combobox")
    expect(combobox).to_be_focused()
    # Type to filter, Enter to pick: a click on the option is sometimes lost while the
    # dropdown settles, leaving the editor open.
    combobox.press_sequentially(option)
    expect(page.get_by_role("option")).to_have_text([option])  # the only one left
    combobox.press("Enter")
    expect(overlay).to_have_count(0)


def choose(page: Page, label: str, option: str) -> None:
    """Pick ``option`` in the ``st.selectbox`` labelled ``label`` (type to filter, click)."""
    box = page.get_by_role("combobox", name=label, exact=True)
    if box.input_value() == option:  # typing the chosen value again opens no list
        return
    box.click()
    box.fill(option)
    page.get_by_role("option", name=option, exact=True).click()
    expect(box).to_have_value(option)


def multiselect(page: Page, label: str) -> Locator:
    """The ``st.multiselect`` labelled ``label``."""
    box = page.get_by_role("combobox", name=label, exact=True)
    return page.get_by_test_id("stMultiSelect").filter(has=box)


def chosen(page: Page, label: str) -> Locator:
    """The values chosen in the ``st.multiselect`` labelled ``label`` (one tag each)."""
    return (
        multiselect(page, label).get_by_role("group", name="Selected values").locator("[data-tag]")
    )


def clear_choices(page: Page, label: str) -> None:
    """Empty the ``st.multiselect`` labelled ``label`` (its "Clear all" button)."""
    multiselect(page, label).get_by_role("button", name="Clear all").click()
    wait_for_app(page)


def screenshot(page: Page, path: Path) -> Path:
    """The whole page: Streamlit scrolls inside its main block, so grow the viewport to the
    content's height first (full_page alone stops at the window)."""
    height = page.evaluate(
        """() => Math.max(document.documentElement.scrollHeight,
            ...[...document.querySelectorAll(
                '[data-testid="stMain"], [data-testid="stAppViewContainer"], '
                + '[data-testid="stSidebarContent"]')].map(e => e.scrollHeight))"""
    )
    size = page.viewport_size or VIEWPORT
    page.set_viewport_size(
        {"width": size["width"], "height": min(max(height, size["height"]), MAX_SCREENSHOT_HEIGHT)}
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=path, full_page=True)
    return path
