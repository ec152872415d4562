"""The dashboard in a real browser (Debian's Chromium, driven by Playwright), against the
real ``streamlit run app.py`` of the ``server`` fixture: what a user clicks, what they see,
and what the API then returns.

Every test makes its own campaign (the server is shared) and its own browser context (its
own Streamlit session). When a test fails, a screenshot of the whole page is saved and its
path printed in the failure report ("on failure")."""

from __future__ import annotations

import csv
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from leads_core.services.stats import FUNNEL
from tests.e2e import browser as ui
from tests.e2e.conftest import ON_FAILURE, Server
from tests.support.devserver import free_port, start_app, stop_app, wait_healthy

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e-browser")]

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "sample_leads.csv"
NAV = ["Home", "Leads", "Import", "Import history", "Analytics", "Campaigns", "API keys"]
NAV += ["Webhooks"]  # the local admin manages them too
NAV_PATHS = ["/", "/leads", "/import", "/imports", "/analytics", "/campaigns", "/api-keys"]
NAV_PATHS += ["/webhooks"]
CHART_TITLES = [
    "Score distribution",
    "Leads by source",
    "Pipeline: leads that reached each stage (rejected aside: 1)",
    "New leads per week",
    "Campaigns compared",
    "Leads by owner",
]


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
        path = ui.screenshot(tab, folder / f"{request.node.name}.png")
        return f"screenshot of {tab.url}: {path}"

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


def new_campaign(api: httpx.Client, label: str) -> tuple[str, str]:
    """A campaign of this test alone: (id, name)."""
    suffix = uuid.uuid4().hex[:10]
    campaign_id, name = f"cmp_ui_{suffix}", f"{label} {suffix}"
    response = api.post("/v1/campaigns", json={"id": campaign_id, "name": name, "criteria": {}})
    assert response.status_code == 201, response.text
    return campaign_id, name


def add_leads(api: httpx.Client, campaign_id: str, leads: list[dict[str, str]]) -> list[str]:
    response = api.post("/v1/leads", json={"campaignId": campaign_id, "leads": leads})
    assert response.status_code == 200, response.text
    assert response.json()["imported"] == len(leads), response.text
    return [lead["id"] for lead in response.json()["leads"]]


@pytest.fixture
def fresh_server(tmp_path: Path, empty_db_url: str) -> Iterator[Server]:
    """A server of its own, that no browser session has opened yet."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": empty_db_url,
        "PYTHONUNBUFFERED": "1",
        "PYTHONIOENCODING": "utf-8",
    }
    log_path = tmp_path / "fresh-server.log"
    proc = start_app(env, port, log_path)
    try:
        wait_healthy(proc, port)
        yield Server(
            base_url=f"http://127.0.0.1:{port}",
            database_url=empty_db_url,
            env=env,
            log_path=log_path,
            proc=proc,
            default_db_before=None,
        )
    finally:
        stop_app(proc)


def test_a_fresh_server_opened_at_leads_shows_the_apps_navigation(
    fresh_server: Server, page: Page
) -> None:
    """Regression (app.py, ``PagesManager.uses_pages_directory = False``): the FIRST page
    a new server ever serves is /leads. Streamlit used to run pages/leads.py alone then,
    as an old-style multipage app, with the file names in pages/ as the menu ("app",
    "import csv", "lead", …) - for every session of that server."""
    ui.open_path(page, fresh_server.base_url, "/leads")

    links = page.get_by_test_id("stSidebarNav").get_by_test_id("stSidebarNavLink")
    expect(links.first).to_be_visible()  # drawn at once, with the page's first run
    labels = links.get_by_test_id("stMarkdownContainer").all_inner_texts()
    hrefs = links.evaluate_all("links => links.map(link => link.href)")
    assert labels == NAV
    assert [urlsplit(href).path for href in hrefs] == NAV_PATHS
    leads_link = page.get_by_role("navigation").get_by_role("link", name="Leads", exact=True)
    expect(leads_link).to_have_attribute("aria-current", "page")
    # The page is the app's Leads page, on an empty database.
    expect(page.get_by_role("heading", level=1)).to_have_text("Leads")
    expect(page.get_by_text("No leads yet.")).to_be_visible()
    assert "Traceback" not in fresh_server.log()


def test_import_the_sample_csv_then_see_its_leads(
    page: Page, server: Server, api: httpx.Client
) -> None:
    campaign_id, name = new_campaign(api, "Browser import")
    ui.open_path(page, server.base_url, "/import")

    uploader = page.get_by_test_id("stFileUploader")
    expect(uploader).to_contain_text("Drop a CSV or Excel file here (max 10 MB)")
    uploader.locator('input[type="file"]').set_input_files(SAMPLE)
    expect(
        page.get_by_text(
            "sample_leads.csv - 6 KB, read as utf-8-sig, delimiter semicolon, header on row 1, "
            "40 rows, 11 columns."
        )
    ).to_be_visible()
    preview = page.get_by_role("button", name="Preview", exact=True)
    go = page.get_by_role("button", name="Import", exact=True)
    campaign = page.get_by_role("combobox", name="Campaign", exact=True)
    expect(campaign).to_have_value("")  # no default: the user chooses
    expect(preview).to_be_disabled()
    expect(go).to_be_disabled()
    ui.choose(page, "Campaign", name)
    ui.wait_for_app(page)
    expect(go).to_be_disabled()  # not before a preview
    preview.click()

    expect(page.get_by_text("Preview - nothing is written yet")).to_be_visible()
    labels = page.get_by_test_id("stMetricLabel")
    expect(labels).to_have_count(5)
    ui.wait_for_app(page)
    assert ui.metrics(page) == {
        "New leads": "34",
        "Repeats inside the file": "3",
        "Already in the campaign (skipped)": "0",
        "Rows with errors": "3",
        "Rows in the file": "40",
    }
    # The rows that will not import: 16, 24 and 33 have neither an email nor a LinkedIn URL.
    errors = page.get_by_test_id("stDataFrame").filter(
        has=page.locator('th[role="columnheader"]', has_text=ui.exactly("What to fix"))
    )
    expect(ui.grid_cells(errors)).to_have_count(9)
    assert [row[:2] for row in ui.grid_rows(errors)] == [
        ["16", "Email"],
        ["24", "Email"],
        ["33", "Email"],
    ]
    assert api.get("/v1/leads", params={"campaignId": campaign_id}).json()["total"] == 0
    expect(go).to_be_enabled()
    go.click()

    expect(page.get_by_text("Imported sample_leads.csv.")).to_be_visible()
    expect(labels.first).to_have_text("Imported")
    ui.wait_for_app(page)
    assert ui.metrics(page) == {
        "Imported": "34",
        "Repeats inside the file": "3",
        "Already in the campaign (skipped)": "0",
        "Rows with errors": "3",
        "Rows in the file": "40",
    }
    leads_link = page.get_by_role("link", name="See the leads of this campaign")
    leads_url = leads_link.evaluate("link => link.href")
    assert re.search(rf"/leads\?campaignId={campaign_id}&sort=-createdAt$", leads_url), leads_url

    # The problem rows are kept with the import, in the history.
    page.get_by_role("link", name="See this import in the history").click()
    expect(page).to_have_url(re.compile(r"/imports\?id=imp_\w+$"))
    ui.wait_for_app(page)
    expect(page.get_by_role("heading", name="sample_leads.csv")).to_be_visible()
    assert ui.metrics(page)["Rows with errors"] == "3"
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the 3 problem rows as CSV").click()
    assert download.value.suggested_filename == "sample_leads-problems.csv"
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    problems = list(csv.reader(text.splitlines(), delimiter=";"))
    assert problems[0][-1] == "Problem"
    assert [row[:2] for row in problems[1:]] == [
        ["Nathan", "Petit"],
        ["Marie", "Dubois"],
        ["Jérôme", "Chevalier"],
    ]

    page.goto(leads_url)
    expect(page).to_have_url(re.compile(rf"/leads\?campaignId={campaign_id}&sort=-createdAt$"))
    ui.wait_for_app(page)
    caption = page.get_by_text(re.compile(r"leads? match"))
    expect(caption).to_have_text("34 leads match · showing 1-34 · page 1 of 1")
    grid = page.get_by_test_id("stDataFrame")
    expect(ui.grid_cells(grid).filter(has_text="@")).not_to_have_count(0)
    headers = ui.grid_headers(grid)
    rows = ui.grid_rows(grid)
    emails = {row[headers.index("Email")] for row in rows}
    with SAMPLE.open(encoding="utf-8-sig", newline="") as file:
        in_file = {r["E-mail Address"].strip().lower() for r in csv.DictReader(file, delimiter=";")}
    assert len(rows) >= 15, rows  # all the grid's height shows
    assert emails <= in_file, emails - in_file

    # A user looks for one person: the search box narrows the grid to her.
    search = page.get_by_role("textbox", name="Search")
    search.fill("camille")
    search.press("Enter")
    expect(caption).to_have_text("1 lead matches · showing 1-1 · page 1 of 1")
    expect(page).to_have_url(re.compile(r"[?&]q=camille(&|$)"))
    expect(ui.grid_row_elements(grid)).to_have_count(1)  # the grid of the new run
    [row] = ui.grid_rows(grid)
    assert [row[headers.index(c)] for c in ("First name", "Last name", "Company", "Status")] == [
        "Camille",
        "Martin",
        "Nexora",
        "new",
    ]


def test_status_edited_in_the_grid_is_saved(page: Page, server: Server, api: httpx.Client) -> None:
    campaign_id, _ = new_campaign(api, "Browser grid edit")
    suffix = campaign_id.removeprefix("cmp_ui_")
    kept_id, edited_id = add_leads(
        api,
        campaign_id,
        [
            {"firstName": "Ada", "lastName": "Anders", "email": f"ada.{suffix}@example.com"},
            {"firstName": "Zoe", "lastName": "Zimmer", "email": f"zoe.{suffix}@example.com"},
        ],
    )
    ui.open_path(page, server.base_url, f"/leads?campaignId={campaign_id}&sort=lastName")
    expect(page.get_by_text(re.compile(r"leads? match"))).to_contain_text("2 leads match")
    grid = page.get_by_test_id("stDataFrame")
    expect(ui.grid_cells(grid).filter(has_text=ui.exactly("Zoe"))).to_have_count(1)
    row = ui.grid_row_of(grid, "First name", "Zoe")
    assert row == 1  # sorted by last name: Anders, Zimmer
    statuses = ui.grid_column(grid, "Status")
    expect(statuses).to_have_text(["new", "new"])

    ui.choose_in_cell(page, grid, row, "Status", "contacted")

    expect(page.get_by_test_id("stToast")).to_contain_text("Saved Zoe Zimmer (status; score")
    response = api.get(f"/v1/leads/{edited_id}")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "contacted"
    assert api.get(f"/v1/leads/{kept_id}").json()["status"] == "new"
    # After the rerun (the grid is drawn again from the database) the new value shows.
    ui.wait_for_app(page)
    expect(statuses).to_have_text(["new", "contacted"])


def test_lead_page_form_saves_status_and_company(
    page: Page, server: Server, api: httpx.Client
) -> None:
    """The other way to edit a lead: its page's form (selectbox + text input, one save)."""
    campaign_id, _ = new_campaign(api, "Browser lead form")
    suffix = campaign_id.removeprefix("cmp_ui_")
    [lead_id] = add_leads(
        api,
        campaign_id,
        [{"firstName": "Lina", "lastName": "Form", "email": f"lina.{suffix}@example.com"}],
    )
    ui.open_path(page, server.base_url, f"/lead?id={lead_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Lina Form")
    status = page.get_by_test_id("stMetric").filter(has_text="Status")
    expect(status.get_by_test_id("stMetricValue")).to_have_text("new")

    page.get_by_role("textbox", name="Company", exact=True).fill("Formworks")
    ui.choose(page, "Status", "qualified")
    page.get_by_role("button", name="Save changes").click()

    expect(page.get_by_test_id("stToast")).to_contain_text("Saved: company, status")
    expect(status.get_by_test_id("stMetricValue")).to_have_text("qualified")
    lead = api.get(f"/v1/leads/{lead_id}").json()
    assert (lead["status"], lead["company"]) == ("qualified", "Formworks")


def test_analytics_draws_six_plotly_charts(page: Page, server: Server, api: httpx.Client) -> None:
    campaign_id, name = new_campaign(api, "Browser analytics")
    suffix = campaign_id.removeprefix("cmp_ui_")
    sources = ["linkedin"] * 3 + ["referral"] * 2 + ["event"]
    ids = add_leads(
        api,
        campaign_id,
        [
            {"firstName": f"P{i}", "email": f"p{i}.{suffix}@example.com", "source": source}
            for i, source in enumerate(sources)
        ],
    )
    for lead_id, status in zip(ids, ["contacted", "rejected"], strict=False):
        response = api.patch(f"/v1/leads/{lead_id}", json={"status": status})
        assert response.status_code == 200, response.text

    ui.open_path(page, server.base_url, f"/analytics?campaignId={campaign_id}")
    charts = page.get_by_test_id("stPlotlyChart")
    expect(charts).to_have_count(6)
    plots = page.locator('[data-testid="stPlotlyChart"] .js-plotly-plot')
    expect(plots).to_have_count(6)
    for chart in charts.all():
        expect(chart.locator(".js-plotly-plot svg.main-svg").first).to_be_visible()
        expect(chart.locator(".trace.bars .point path").first).to_be_attached()
    titles = [chart.locator(".gtitle").text_content() or "" for chart in charts.all()]
    assert [re.sub(r" - \d+% at 85\+$", "", t) for t in titles] == CHART_TITLES, titles
    assert ui.metrics(page)["Leads"] == "6"

    by_source = charts.nth(1)
    assert by_source.locator(".xtick text").all_text_contents() == ["linkedin", "referral", "event"]
    assert by_source.locator(".trace.bars .point path").count() == 3
    funnel = charts.nth(2)
    assert sorted(funnel.locator(".ytick text").all_text_contents()) == sorted(FUNNEL)
    campaigns = charts.nth(4)
    assert campaigns.locator(".ytick text").all_text_contents() == [name]
    owners = charts.nth(5)  # nobody owns these leads yet
    assert owners.locator(".xtick text, .ytick text").all_text_contents().count("Unassigned") == 1
