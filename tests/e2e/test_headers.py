"""The Content-Security-Policy in a real browser: Chromium, on a real ``streamlit run app.py``
with demo data, shows every page we ship (Plotly charts, data grids, a CSV upload, the API's
Swagger UI and ReDoc) with no policy violation and no script error. The policy is the one
leads_core/web/headers.py sends; if Streamlit or Plotly ever need more, this fails first."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from tests.e2e import browser as ui
from tests.e2e.conftest import Server
from tests.e2e.test_exposure import server_env
from tests.support.devserver import free_port, start_app, stop_app, wait_healthy

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e-browser")]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
#: Streamlit's frontend looks for its server under the page's own path first
#: (/leads/_stcore/health, then /_stcore/health): those 404s are its, and expected.
BASE_PATH_PROBES = ("/_stcore/health", "/_stcore/host-config")
#: ReDoc's "API docs by Redocly" logo is on a CDN: blocked, as every request leaving the server.
REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory, test_databases) -> Iterator[Server]:  # type: ignore[no-untyped-def]
    workdir = tmp_path_factory.mktemp("csp-server")
    database_url = test_databases.new(workdir, migrated=False)
    env = server_env(workdir, database_url)
    port = free_port()
    log_path = workdir / "server.log"
    proc = start_app(env, port, log_path)
    server = Server(f"http://127.0.0.1:{port}", database_url, env, log_path, proc, None)
    try:
        try:
            wait_healthy(proc, port)
        except RuntimeError as exc:
            pytest.fail(f"{exc}:\n{server.log()}")
        server.cli("seed-demo", "--leads", "120", "--campaigns", "3", "--seed", "16")
        server.api_key = server.cli("create-api-key", "csp").stdout.splitlines()[-1]
        yield server
    finally:
        stop_app(proc)
        test_databases.drop(database_url)


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
def watched(browser: Browser) -> Iterator[tuple[Page, Callable[[], list[str]]]]:
    """A page, and a function returning (and forgetting) the console errors and script
    errors since it was last called: CSP violations are console errors in Chromium."""
    page = ui.new_page(browser)
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type not in ("error", "warning"):
            return
        url = message.location.get("url", "")
        if "status of 404" in message.text and url.endswith(BASE_PATH_PROBES):
            return
        problems.append(f"{message.type}: {message.text[:300]} ({url})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))

    def take() -> list[str]:
        taken = list(problems)
        problems.clear()
        return taken

    try:
        yield page, take
    finally:
        page.context.close()


def test_the_dashboard_runs_under_its_policy(
    demo_server: Server, watched: tuple[Page, Callable[[], list[str]]]
) -> None:
    page, problems = watched
    base = demo_server.base_url
    with httpx.Client(base_url=base, timeout=30) as http:
        policy = http.get("/").headers["content-security-policy"]
        lead_id = http.get(
            "/v1/leads",
            params={"limit": 1},
            headers={"Authorization": f"Bearer {demo_server.api_key}"},
        ).json()["leads"][0]["id"]
    assert "'unsafe-eval'" not in policy
    assert "frame-ancestors 'none'" in policy

    ui.open_path(page, base, "/")
    expect(page.get_by_test_id("stMetric")).not_to_have_count(0)
    assert problems() == []

    ui.open_path(page, base, "/leads")
    expect(ui.grid_cells(page.get_by_test_id("stDataFrame").first)).not_to_have_count(0)
    assert problems() == []

    ui.open_path(page, base, "/analytics")
    charts = page.locator(".js-plotly-plot")
    expect(charts).to_have_count(6)
    expect(charts.locator("svg.main-svg").first).to_be_visible()
    charts.first.hover()  # Plotly's hover labels and mode bar
    expect(page.locator(".modebar").first).to_be_attached()
    assert problems() == []

    ui.open_path(page, base, f"/lead?id={lead_id}")
    expect(page.locator(".js-plotly-plot")).to_have_count(1)
    assert problems() == []

    ui.open_path(page, base, "/import")
    uploader = page.get_by_test_id("stFileUploader").locator('input[type="file"]')
    uploader.set_input_files(FIXTURES / "sample_leads.csv")  # PUT /_stcore/upload_file
    expect(page.get_by_role("button", name="Preview", exact=True)).to_be_visible()
    expect(page.get_by_text("what each column becomes")).to_be_visible()  # the file was read
    ui.wait_for_app(page)
    assert problems() == []


def test_the_api_docs_run_under_their_policy(
    demo_server: Server, watched: tuple[Page, Callable[[], list[str]]]
) -> None:
    page, problems = watched
    page.goto(demo_server.base_url + "/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Leads API")
    expect(page.locator(".opblock").first).to_be_visible()  # built by the inline script
    assert problems() == []

    page.goto(demo_server.base_url + "/v1/redoc")
    expect(page.get_by_role("heading", name="Leads API (1.0.0)")).to_be_visible()
    expect(page.get_by_role("menuitem", name="campaigns")).to_be_visible()
    page.wait_for_load_state("networkidle")
    blocked = problems()
    assert len(blocked) == 1 and REDOCLY_LOGO in blocked[0], blocked
