"""Charts lead somewhere, a campaign's row opens its leads, a saved view is a link: in
Chromium, against the ``server`` fixture's real ``streamlit run app.py``."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.e2e import browser as ui
from tests.e2e.conftest import ON_FAILURE, Server

pytestmark = [pytest.mark.slow, pytest.mark.browser_only, pytest.mark.xdist_group("e2e-browser")]

LINK = '<a href="https://evil.example">x</a>'
SCREENSHOTS = Path(__file__).resolve().parents[2] / "data" / "screenshots" / "views"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    expect.set_options(timeout=ui.TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = ui.launch(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(
    browser: Browser, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Page]:
    tab = ui.new_page(browser)

    def save_screenshot() -> str:
        folder = tmp_path_factory.mktemp("screenshots", numbered=True)
        return f"screenshot of {tab.url}: {ui.screenshot(tab, folder / f'{request.node.name}.png')}"

    request.node.stash.setdefault(ON_FAILURE, []).append(save_screenshot)
    try:
        yield tab
    finally:
        tab.context.close()


@pytest.fixture
def api(server: Server) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {server.api_key}"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as client:
        yield client


@pytest.fixture
def campaign(api: httpx.Client) -> tuple[str, str]:
    """A campaign of this test alone, with six leads from three sources, one of them a link."""
    suffix = uuid.uuid4().hex[:10]
    campaign_id, name = f"cmp_ui_{suffix}", f"Views {suffix}"
    response = api.post(
        "/v1/campaigns",
        json={"id": campaign_id, "name": name, "criteria": {"targetPositions": ["CTO"]}},
    )
    assert response.status_code == 201, response.text
    sources = ["linkedin"] * 3 + ["referral"] * 2 + [LINK]
    leads = [
        {"firstName": f"P{i}", "email": f"p{i}.{suffix}@example.com", "source": source}
        for i, source in enumerate(sources)
    ]
    response = api.post("/v1/leads", json={"campaignId": campaign_id, "leads": leads})
    assert response.status_code == 200, response.text
    return campaign_id, name


def _query(page: Page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}


def test_clicking_a_source_bar_opens_its_leads(
    page: Page, server: Server, campaign: tuple[str, str]
) -> None:
    campaign_id, _name = campaign
    ui.open_path(page, server.base_url, f"/analytics?campaignId={campaign_id}")
    by_source = page.get_by_test_id("stPlotlyChart").nth(1)
    ticks = by_source.locator(".xtick text")
    expect(ticks).to_have_text(["linkedin", "referral", LINK])  # text, not a link
    assert by_source.locator("a").count() == 0
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    ui.screenshot(page, SCREENSHOTS / "analytics.png")

    # Plotly's drag layer lies over the bars and takes the click, as in a browser by hand
    by_source.locator(".trace.bars .point path").nth(1).click(force=True)  # referral
    page.wait_for_url("**/leads?**")
    ui.wait_for_app(page)
    assert _query(page) == {"campaignId": campaign_id, "source": "referral"}
    expect(ui.chosen(page, "Sources")).to_have_text(["referral"])
    expect(page.get_by_text("2 leads", exact=False).first).to_be_visible()
    _back_by_the_menu(page, "Analytics")


def test_a_campaigns_row_opens_its_leads(
    page: Page, server: Server, campaign: tuple[str, str]
) -> None:
    campaign_id, name = campaign
    ui.open_path(page, server.base_url, "/campaigns")
    grid = page.get_by_test_id("stDataFrame").first
    expect(grid.locator('th[role="columnheader"]').first).to_be_attached()
    ui.screenshot(page, SCREENSHOTS / "campaigns.png")
    row = ui.grid_row_of(grid, "Campaign", name)
    canvas = grid.get_by_test_id("data-grid-canvas")
    box = canvas.bounding_box()
    assert box is not None
    # Glide draws a 35 px header then 35 px rows; the row marker column is on the left.
    canvas.click(position={"x": 12, "y": 35 + 35 * row + 17}, force=True)
    page.wait_for_url("**/leads?**")
    ui.wait_for_app(page)
    assert _query(page) == {"campaignId": campaign_id}
    _back_by_the_menu(page, "Campaigns")


def _back_by_the_menu(page: Page, name: str) -> None:
    """The page that was clicked on, opened again from the menu, stays (no click left over)."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=name).click()
    ui.wait_for_app(page)
    page.wait_for_timeout(1000)
    ui.wait_for_app(page)
    assert urlsplit(page.url).path == "/" + name.lower()


def test_a_saved_view_is_a_link(page: Page, server: Server, campaign: tuple[str, str]) -> None:
    campaign_id, _name = campaign
    ui.open_path(page, server.base_url, f"/leads?campaignId={campaign_id}&source=linkedin")
    view_name = f"Linkedin {campaign_id[-6:]}"
    page.get_by_role("button", name="Save this view").click()
    page.get_by_label("Name", exact=True).last.fill(view_name)
    page.get_by_role("button", name="Save view").click()
    ui.wait_for_app(page)
    link = page.get_by_test_id("stSidebar").get_by_role("link", name=view_name)
    href = link.get_attribute("href") or ""
    assert "view=vw_" in href

    other = ui.new_page(page.context.browser)  # another browser session opens the link
    try:
        ui.open_path(other, server.base_url, "/leads?" + href.split("?", 1)[1])
        assert _query(other) == {"campaignId": campaign_id, "source": "linkedin"}
        expect(ui.chosen(other, "Sources")).to_have_text(["linkedin"])
    finally:
        other.context.close()
