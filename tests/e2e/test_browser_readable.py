"""In Chromium: user text stays text on the Lead page (no image fetched from a last name or
a campaign name, no link inside the app's own error box), the score reasons and enrichment
wrap at 1280 px, the API keys page asks before revoking.

A tiny HTTP server on the loopback records every request, so an image the page would load
from a last name ``![t](http://127.0.0.1:PORT/x.png)`` is seen if it is ever requested.
Screenshots of the pages are saved under the test's tmp folder (``screenshots/``)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.e2e import browser as ui
from tests.e2e.conftest import Server

pytestmark = [pytest.mark.slow, pytest.mark.browser_only]
WIDTH_1280 = {"width": 1280, "height": 1000}
LONG_COMPANY = "The Very Long Company Name of International Industrial Holdings and Partners"


class _Recorder(BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        type(self).requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return


@pytest.fixture
def recorder() -> Iterator[tuple[int, list[str]]]:
    """(port, paths requested) of an HTTP server on 127.0.0.1, stopped after the test."""
    seen: list[str] = []
    handler = type("Recorder", (_Recorder,), {"requests": seen})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1], seen
    finally:
        httpd.shutdown()
        httpd.server_close()


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
def page(browser: Browser) -> Iterator[Page]:
    tab = ui.new_page(browser)
    tab.set_viewport_size(WIDTH_1280)
    try:
        yield tab
    finally:
        tab.context.close()


@pytest.fixture
def api(server: Server) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {server.api_key}"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as client:
        yield client


def _lead(api: httpx.Client, campaign_name: str, lead: dict[str, str]) -> str:
    campaign_id = f"cmp_ui_{uuid.uuid4().hex[:10]}"
    created = api.post(
        "/v1/campaigns",
        json={"id": campaign_id, "name": campaign_name, "criteria": {"targetPositions": ["CTO"]}},
    )
    assert created.status_code == 201, created.text
    response = api.post("/v1/leads", json={"campaignId": campaign_id, "leads": [lead]})
    assert response.status_code == 200, response.text
    return str(response.json()["leads"][0]["id"])


def test_a_last_name_and_a_campaign_name_draw_no_image(
    page: Page,
    server: Server,
    api: httpx.Client,
    recorder: tuple[int, list[str]],
    tmp_path: Path,
) -> None:
    port, requested = recorder
    image = f"![t](http://127.0.0.1:{port}/x.png)"
    lead_id = _lead(
        api,
        f"Fair {image}",
        {"firstName": "Ana", "lastName": image, "email": f"ana.{uuid.uuid4().hex[:6]}@acme.io"},
    )
    ui.open_path(page, server.base_url, f"/lead?id={lead_id}")
    title = page.get_by_role("heading", level=1)
    expect(title).to_contain_text("Ana")
    campaign = page.get_by_test_id("stMetric").filter(has_text="Campaign")
    value = campaign.get_by_test_id("stMetricValue")
    ui.screenshot(page, tmp_path / "screenshots" / "lead-traps-1280.png")
    assert _seen(title.inner_text()) == f"Ana {image}"
    assert _seen(value.inner_text()) == f"Fair {image}"
    main = page.get_by_test_id("stMain")
    assert main.locator("img").count() == 0
    assert main.locator(f'a[href*="127.0.0.1:{port}"]').count() == 0
    assert requested == []


def _seen(text: str) -> str:
    """Text as read, without the invisible word joiners that break autolinks."""
    return text.replace("\u2060", "").strip()


def test_an_id_in_the_url_is_no_link_in_the_error_box(
    page: Page, server: Server, tmp_path: Path
) -> None:
    ui.open_path(page, server.base_url, "/lead?id=[click](https://evil.example)")
    alert = page.get_by_test_id("stAlert")
    expect(alert).to_contain_text("There is no lead")
    ui.screenshot(page, tmp_path / "screenshots" / "lead-not-found-1280.png")
    assert _seen(alert.inner_text()).startswith("There is no lead '[click](https://evil.example)'")
    assert alert.locator("a").count() == 0


def test_score_reasons_and_enrichment_wrap_at_1280_px(
    page: Page, server: Server, api: httpx.Client, tmp_path: Path
) -> None:
    """Every word of a long reason is on the page, inside the column: nothing cut off."""
    lead_id = _lead(
        api,
        "Wrap fair",
        {
            "firstName": "Wim",
            "lastName": "Wrap",
            "email": f"wim.{uuid.uuid4().hex[:6]}@very-long-company-domain-of-holdings.io",
            "company": LONG_COMPANY,
            "position": "Chief Technology Officer and Head of Platform Engineering",
        },
    )
    ui.open_path(page, server.base_url, f"/lead?id={lead_id}")
    reasons = page.get_by_test_id("stMarkdownContainer").filter(has_text="Campaign match")
    expect(reasons.first).to_contain_text("Chief Technology Officer and Head of Platform")
    enrichment = page.get_by_test_id("stMarkdownContainer").filter(has_text="Email status")
    expect(enrichment.first).to_contain_text("Company domain: very-long-company-domain-of-holdings")
    expect(page.get_by_test_id("stMetric")).to_have_count(4)
    ui.screenshot(page, tmp_path / "screenshots" / "lead-1280.png")
    main = page.get_by_test_id("stMain").bounding_box()
    assert main is not None
    for block in (*reasons.all(), *enrichment.all()):
        box = block.bounding_box()
        assert box is not None and box["x"] + box["width"] <= main["x"] + main["width"] + 1
        assert block.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), block.inner_text()


def test_revoking_a_key_asks_first(page: Page, server: Server, tmp_path: Path) -> None:
    name = f"Doomed {uuid.uuid4().hex[:6]}"
    server.cli("create-api-key", name)
    ui.open_path(page, server.base_url, "/api-keys")
    box = page.get_by_role("combobox", name="Revoke a key", exact=True)
    box.click()
    box.fill(name)
    page.get_by_role("option").filter(has_text=name).click()
    page.get_by_role("button", name="Revoke…").click()
    question = page.get_by_test_id("stAlert").filter(has_text=f"Revoke the key '{name}'")
    expect(question).to_contain_text("Programs using it stop at once.")
    ui.screenshot(page, tmp_path / "screenshots" / "api-keys-revoke-1280.png")
