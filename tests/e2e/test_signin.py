"""Signing in to the dashboard in a real browser (Debian's Chromium, Playwright) against real
``streamlit run app.py`` processes of each test, on a database of the test's own: the sign-in
page and its cookie, a reload, a server restart, signing out in another tab, a viewer's
read-only Leads page, and the first admin of a fresh workspace.

Screenshots are saved under the test's tmp folder (``screenshots/``)."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.e2e import browser as ui
from tests.e2e.conftest import REPO, Server
from tests.e2e.test_exposure import server_env
from tests.support.devserver import free_port, start_app, stop_app, wait_healthy

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e-browser")]

PASSWORD = "correct horse battery staple"
VIEWER_NAV = ["Home", "Leads", "Import history", "Analytics", "Campaigns"]
ADMIN_NAV = [
    "Home",
    "Leads",
    "Import",
    "Import history",
    "Analytics",
    "Campaigns",
    "API keys",
    "Team",
    "Webhooks",
]


def create_user(env: dict[str, str], email: str, name: str, role: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "leads_core", "create-user", email, "--name", name, "--role", role],
        cwd=REPO,
        env=env,
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.splitlines()[-1]


@pytest.fixture
def serve(tmp_path: Path, empty_db_url: str) -> Iterator[Callable[..., Server]]:
    """``serve()``: a healthy server of this test on a free port, on the test's database
    (each call starts another process on the same database)."""
    started: list[subprocess.Popen[bytes]] = []
    env = server_env(tmp_path, empty_db_url)

    def _serve() -> Server:
        port = free_port()
        log_path = tmp_path / f"server-{port}.log"
        proc = start_app(env, port, log_path)
        started.append(proc)
        server = Server(f"http://127.0.0.1:{port}", empty_db_url, env, log_path, proc, None)
        try:
            wait_healthy(proc, port)
        except RuntimeError as exc:
            pytest.fail(f"{exc}:\n{server.log()}")
        return server

    try:
        yield _serve
    finally:
        for proc in started:
            stop_app(proc)


@pytest.fixture
def env(tmp_path: Path, empty_db_url: str) -> dict[str, str]:
    return server_env(tmp_path, empty_db_url)


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
    try:
        yield tab
    finally:
        tab.context.close()


def shot(page: Page, tmp_path: Path, name: str) -> Path:
    return ui.screenshot(page, tmp_path / "screenshots" / f"{name}.png")


def expect_signed_out(page: Page) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Leads workspace")
    expect(page.get_by_role("link", name="Sign in with email and password")).to_be_visible()
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
    expect(page.get_by_test_id("stDataFrame")).to_have_count(0)
    expect(page.get_by_test_id("stMetric")).to_have_count(0)


def fill_sign_in(page: Page, email: str, password: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_in_from_the_app(page: Page, email: str, password: str = PASSWORD) -> None:
    page.get_by_role("link", name="Sign in with email and password").click()
    expect(page).to_have_url(re.compile(r"/auth/sign-in"))
    fill_sign_in(page, email, password)
    ui.wait_for_app(page)


def nav(page: Page) -> list[str]:
    links = page.get_by_test_id("stSidebarNav").get_by_test_id("stSidebarNavLink")
    expect(links.first).to_be_visible()
    return links.get_by_test_id("stMarkdownContainer").all_inner_texts()


def add_campaign_with_leads(server: Server) -> str:
    key = server.cli("create-api-key", "seed").stdout.splitlines()[-1]
    campaign_id = f"cmp_{uuid.uuid4().hex[:10]}"
    with httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30
    ) as api:
        created = api.post(
            "/v1/campaigns", json={"id": campaign_id, "name": "Sign-in", "criteria": {}}
        )
        assert created.status_code == 201, created.text
        leads = [
            {"firstName": "Ada", "lastName": "Anders", "email": "ada@example.com"},
            {"firstName": "Zoe", "lastName": "Zimmer", "email": "zoe@example.com"},
        ]
        imported = api.post("/v1/leads", json={"campaignId": campaign_id, "leads": leads})
        assert imported.status_code == 200, imported.text
    return campaign_id


def session_cookie(context: BrowserContext) -> dict:
    [cookie] = [c for c in context.cookies() if c["name"] == "leads_session"]
    return dict(cookie)


def test_sign_in_survives_a_reload_and_a_restart_and_sign_out_ends_it_in_another_tab(
    serve: Callable[..., Server], env: dict[str, str], page: Page, tmp_path: Path
) -> None:
    create_user(env, "ada@acme.com", "Ada Admin", "admin")
    server = serve()
    campaign_id = add_campaign_with_leads(server)

    # A deep link opens on the sign-in screen alone, whose link comes back to it.
    ui.open_path(page, server.base_url, f"/leads?campaignId={campaign_id}")
    expect_signed_out(page)
    expect(page.get_by_text("Zimmer")).to_have_count(0)
    shot(page, tmp_path, "1-signed-out")
    page.get_by_role("link", name="Sign in with email and password").click()
    expect(page).to_have_url(
        f"{server.base_url}/auth/sign-in?next=%2Fleads%3FcampaignId%3D{campaign_id}"
    )
    fill_sign_in(page, "ada@acme.com", "not the password")
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    expect(page.get_by_label("Email")).to_have_value("ada@acme.com")
    shot(page, tmp_path, "2-wrong-password")

    fill_sign_in(page, "ada@acme.com", PASSWORD)
    ui.wait_for_app(page)
    expect(page).to_have_url(f"{server.base_url}/leads?campaignId={campaign_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Leads")
    expect(page.get_by_text(re.compile(r"leads? match"))).to_have_text(
        "2 leads match · showing 1-2 · page 1 of 1"
    )
    expect(page.get_by_test_id("stSidebar").get_by_text("Ada Admin")).to_be_visible()
    assert nav(page) == ADMIN_NAV
    cookie = session_cookie(page.context)
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (True, "Lax", "/")
    shot(page, tmp_path, "3-signed-in")

    page.reload()  # the sign-in survives a reload
    ui.wait_for_app(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Leads")
    expect(page.get_by_test_id("stSidebar").get_by_text("Ada Admin")).to_be_visible()

    stop_app(server.proc)  # ... and a restart of the server on the same database
    again = serve()
    ui.open_path(page, again.base_url, f"/leads?campaignId={campaign_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Leads")
    expect(page.get_by_test_id("stSidebar").get_by_text("Ada Admin")).to_be_visible()

    # Another tab of the same browser shares the sign-in; signing out in one ends it in both.
    other = page.context.new_page()
    ui.open_path(other, again.base_url, "/campaigns")
    expect(other.get_by_role("heading", level=1)).to_have_text("Campaigns")
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect_signed_out(page)
    other.get_by_role("navigation").get_by_role("link", name="Leads", exact=True).click()
    expect_signed_out(other)
    shot(other, tmp_path, "4-signed-out-in-the-other-tab")
    assert "Traceback" not in again.log() and PASSWORD not in again.log()


def test_a_viewer_reads_the_leads_without_edit_controls(
    serve: Callable[..., Server], env: dict[str, str], page: Page, tmp_path: Path
) -> None:
    create_user(env, "ada@acme.com", "Ada Admin", "admin")
    create_user(env, "vic@acme.com", "Vic Viewer", "viewer")
    server = serve()
    campaign_id = add_campaign_with_leads(server)

    ui.open_path(page, server.base_url, f"/leads?campaignId={campaign_id}")
    sign_in_from_the_app(page, "vic@acme.com")
    expect(page.get_by_role("heading", level=1)).to_have_text("Leads")
    grid = page.get_by_test_id("stDataFrame")
    expect(ui.grid_cells(grid).filter(has_text=ui.exactly("Zoe"))).to_have_count(1)
    assert nav(page) == VIEWER_NAV
    expect(page.get_by_role("button", name="Set status of selected")).to_have_count(0)
    expect(page.get_by_role("button", name="Delete selected…")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("Export all"))).to_be_visible()
    # Enter on a name cell shows it read-only for a viewer; typing changes nothing.
    row = ui.grid_row_of(grid, "First name", "Zoe")
    grid.get_by_test_id("data-grid-canvas").focus()
    position = ui.grid_headers(grid).index("First name")
    for key in ["ArrowDown"] * row + ["ArrowRight"] * position + ["Enter"]:
        page.keyboard.press(key)
    overlay = page.locator("#portal .gdg-style")
    expect(overlay.locator("textarea")).to_be_disabled()
    shot(page, tmp_path, "viewer-leads")
    page.keyboard.type("Mallory")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    ui.wait_for_app(page)
    expect(ui.grid_cells(grid).filter(has_text=ui.exactly("Zoe"))).to_have_count(1)
    expect(page.get_by_text(re.compile(r"^Saved (?!views)"))).to_have_count(0)

    ui.open_path(page, server.base_url, "/campaigns")
    expect(page.get_by_role("button", name="Create campaign")).to_have_count(0)
    ui.open_path(page, server.base_url, "/team")  # not a page of theirs: Home opens
    expect(page.get_by_role("heading", level=1)).to_have_text("Leads workspace")
    expect(page.get_by_text("Only admins manage the team.")).to_have_count(0)
    shot(page, tmp_path, "viewer-team-url")


def test_a_fresh_workspace_opens_at_once_and_offers_the_first_admin(
    serve: Callable[..., Server], page: Page, tmp_path: Path
) -> None:
    server = serve()
    ui.open_path(page, server.base_url, "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Leads workspace")
    expect(page.get_by_test_id("stMetric")).not_to_have_count(0)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Create the first admin", exact=True)).to_be_visible()
    shot(page, tmp_path, "fresh-first-admin")
    sidebar.get_by_label("Name", exact=True).fill("Ada Admin")
    sidebar.get_by_label("Email", exact=True).fill("ada@acme.com")
    sidebar.get_by_label("Password", exact=True).fill(PASSWORD)
    sidebar.get_by_role("button", name="Create the admin").click()
    expect_signed_out(page)
    sign_in_from_the_app(page, "ada@acme.com")
    expect(page.get_by_test_id("stSidebar").get_by_text("Ada Admin")).to_be_visible()
    assert nav(page) == ADMIN_NAV
    shot(page, tmp_path, "fresh-signed-in")


def test_a_member_opens_on_their_own_leads_and_exports_what_they_see(
    serve: Callable[..., Server], env: dict[str, str], page: Page, tmp_path: Path
) -> None:
    create_user(env, "ada@acme.com", "Ada Admin", "admin")
    member_id = create_user(env, "max@acme.com", "Max Member", "member")
    server = serve()
    campaign_id = add_campaign_with_leads(server)
    key = server.cli("create-api-key", "owner").stdout.splitlines()[-1]
    with httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30
    ) as api:
        zoe = api.get("/v1/leads", params={"q": "zoe"}).json()["leads"][0]["id"]
        assert api.patch(f"/v1/leads/{zoe}", json={"ownerId": member_id}).status_code == 200

    ui.open_path(page, server.base_url, f"/leads?campaignId={campaign_id}")
    sign_in_from_the_app(page, "max@acme.com")
    expect(page.get_by_role("heading", level=1)).to_have_text("Leads")
    grid = page.get_by_test_id("stDataFrame")
    # a member opens on "my leads": Zoe, who is Max's; not Ada, who is nobody's
    expect(ui.grid_cells(grid).filter(has_text=ui.exactly("Zoe"))).to_have_count(1)
    expect(ui.grid_cells(grid).filter(has_text=ui.exactly("Ada"))).to_have_count(0)
    expect(ui.grid_cells(grid).filter(has_text=ui.exactly("Max Member"))).to_have_count(1)
    shot(page, tmp_path, "member-my-leads")
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile("Export all 1 filtered")).click()
    exported = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "zoe@example.com" in exported and "ada@example.com" not in exported
    # "All owners" shows everyone's, and the URL says so
    expect(ui.chosen(page, "Owners")).to_have_text(["Mine"])
    ui.clear_choices(page, "Owners")
    expect(ui.grid_cells(grid).filter(has_text=ui.exactly("Ada"))).to_have_count(1)
    expect(page).to_have_url(re.compile(r"ownerId=(&|$)"))
