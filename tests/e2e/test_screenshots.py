"""Every page of the dashboard in Chromium at 1280 and 1600 px wide, signed in as an admin on
a demo database, saved as full-page PNGs for a person to look at (README "Development").

Each page must show its title, and no exception box or ``st.error``. The screenshots go to
``test-artifacts/screenshots/<width>/`` (gitignored; ``LEADS_SCREENSHOTS`` elsewhere); the
path is printed (``pytest -s``) and kept in the test's report."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.databases import TestDatabases
from tests.e2e import browser as ui
from tests.e2e.conftest import REPO, Server, cli_last_line, run_cli
from tests.e2e.test_exposure import server_env
from tests.e2e.test_signin import PASSWORD, create_user, fill_sign_in
from tests.support.devserver import NO_RATE_LIMIT, free_port, start_app, stop_app, wait_healthy

pytestmark = [pytest.mark.slow, pytest.mark.browser_only, pytest.mark.xdist_group("e2e-browser")]

WIDTHS = (1280, 1600)
HEIGHT = 900
ADMIN = "shots@acme.com"
#: name -> (URL path, the page's <h1>; None: any, the lead's name)
PAGES: dict[str, tuple[str, str | None]] = {
    "home": ("/", "Leads workspace"),
    "leads": ("/leads", "Leads"),
    "lead": ("/lead?id={lead_id}", None),
    "analytics": ("/analytics", "Analytics"),
    "campaigns": ("/campaigns", "Campaigns"),
    "import": ("/import", "Import leads"),
    "imports": ("/imports", "Import history"),
    "team": ("/team", "Team"),
    "api-keys": ("/api-keys", "API keys"),
    "webhooks": ("/webhooks", "Webhooks"),
}


def screenshot_dir() -> Path:
    return Path(os.environ.get("LEADS_SCREENSHOTS") or REPO / "test-artifacts" / "screenshots")


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory, test_databases: TestDatabases
) -> Iterator[tuple[Server, str]]:
    """A server on a demo workspace (400 leads in 4 campaigns, their imports) with an admin
    who has an API key; and the best lead's id."""
    workdir = tmp_path_factory.mktemp("screenshots")
    databases = test_databases
    url = databases.new(workdir, migrated=False)
    env = {**server_env(workdir, url), **NO_RATE_LIMIT}
    run_cli(env, "seed-demo", "--leads", "400", "--campaigns", "4", "--seed", "17")
    create_user(env, ADMIN, "Screenshot Admin", "admin")
    key = cli_last_line(env, "create-api-key", "screenshots", "--user", ADMIN)
    port = free_port()
    log_path = workdir / "server.log"
    proc = start_app(env, port, log_path)
    server = Server(f"http://127.0.0.1:{port}", url, env, log_path, proc, None, key)
    try:
        wait_healthy(proc, port)
        listed = httpx.get(
            f"{server.base_url}/v1/leads",
            params={"sort": "-qualityScore", "limit": 1},
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        )
        assert listed.status_code == 200, listed.text
        yield server, listed.json()["leads"][0]["id"]
    finally:
        stop_app(proc)
        databases.drop(url)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    expect.set_options(timeout=ui.TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = ui.launch(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


def new_tab(browser: Browser, width: int) -> Page:
    context = browser.new_context(viewport={"width": width, "height": HEIGHT})
    context.set_default_timeout(ui.TIMEOUT_MS)
    return context.new_page()


def expect_clean(page: Page, title: str | None) -> None:
    heading = page.get_by_role("heading", level=1)
    if title is None:
        expect(heading.first).to_be_visible()
    else:
        expect(heading.filter(has_text=ui.exactly(title))).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)


def shoot(page: Page, folder: Path, name: str) -> Path:
    # Widgets whose code the browser is still loading show as grey placeholders (Streamlit's
    # Suspense fallback, "stSkeleton"): a picture of those shows nothing of the page.
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=60_000)
    page.wait_for_timeout(300)  # let charts and grids finish their drawing
    path = ui.screenshot(page, folder / f"{name}.png")
    page.set_viewport_size({"width": page.viewport_size["width"], "height": HEIGHT})  # type: ignore[index]
    return path


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_at_this_width_shows_its_title_and_no_error(
    demo: tuple[Server, str], browser: Browser, width: int
) -> None:
    server, lead_id = demo
    folder = screenshot_dir() / str(width)
    page = new_tab(browser, width)
    try:
        ui.open_path(page, server.base_url, "/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Leads workspace")
        expect(page.get_by_test_id("stException")).to_have_count(0)
        shoot(page, folder, "00-signed-out")
        page.get_by_role("link", name="Sign in with email and password").click()
        expect(page).to_have_url(re.compile(r"/auth/sign-in"))
        shoot(page, folder, "01-sign-in")
        fill_sign_in(page, ADMIN, PASSWORD)
        ui.wait_for_app(page)
        for number, (name, (path, title)) in enumerate(PAGES.items(), start=2):
            ui.open_path(page, server.base_url, path.format(lead_id=lead_id))
            expect_clean(page, title)
            shoot(page, folder, f"{number:02}-{name}")
        assert "Traceback" not in server.log()
    finally:
        page.context.close()
    print(f"\nscreenshots at {width} px: {folder}")
