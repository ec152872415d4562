"""Who may reach the server (dashboard/exposure.py, dashboard/auth.py), on real
``streamlit run app.py`` processes: with no user yet it refuses to listen beyond this
machine; once a user exists it serves every interface, and a browser must sign in. The
retired dashboard password stops the start with the way to upgrade.

Each server reads secrets from a file of the test's own (STREAMLIT_SECRETS_FILES), never
a .streamlit/secrets.toml that happens to be on the machine. Servers are stopped by
process group."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from leads_core.config import PROJECT_ROOT
from tests.dashboard.test_exposure import REFUSAL
from tests.e2e import browser as ui
from tests.e2e.conftest import Server
from tests.support.devserver import free_port, start_app, stop_app, wait_healthy

PASSWORD = "correct horse battery staple"
NAV = ["Home", "Leads", "Import", "Import history", "Analytics", "Campaigns", "API keys"]
NAV += ["Webhooks"]  # the local admin manages them too


# ------------------------------------------------------------------ real servers


def listening(port: int) -> list[str]:
    """The local addresses a socket LISTENs on for TCP ``port`` (Linux /proc/net)."""
    found = []
    for table, family in (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6)):
        path = Path("/proc/net") / table
        for line in path.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.rsplit(":", 1)
            if state != "0A" or int(port_hex, 16) != port:  # 0A: LISTEN
                continue
            raw = bytes.fromhex(address)  # 32-bit words in host (little-endian) order
            words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
            found.append(socket.inet_ntop(family, words))
    return found


def server_env(tmp_path: Path, database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "LEADS_DASHBOARD_PASSWORD"}
    return {
        **env,
        "DATABASE_URL": database_url,
        "STREAMLIT_SECRETS_FILES": str(tmp_path / "secrets.toml"),
        "PYTHONUNBUFFERED": "1",
        "PYTHONIOENCODING": "utf-8",
        **extra,
    }


@pytest.fixture
def serve(tmp_path: Path, empty_db_url: str) -> Iterator[Callable[..., Server]]:
    """``serve(address=...)``: a healthy server of this test on a free port (more
    environment variables as keywords)."""
    started: list[subprocess.Popen[bytes]] = []

    def _serve(address: str | None = None, **extra: str) -> Server:
        port = free_port()
        env = server_env(tmp_path, empty_db_url, **extra)
        log_path = tmp_path / f"server-{port}.log"
        proc = start_app(env, port, log_path, address=address)
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


def port_of(server: Server) -> int:
    return int(server.base_url.rsplit(":", 1)[1])


def expect_sign_in_screen_only(page: Page) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Leads workspace")
    expect(page.get_by_role("link", name="Sign in with email and password")).to_be_visible()
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
    expect(page.get_by_test_id("stSidebarNavLink")).to_have_count(0)
    expect(page.get_by_test_id("stDataFrame")).to_have_count(0)
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def create_admin(env: dict[str, str]) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "leads_core",
            "create-user",
            "ada@acme.com",
            "--name",
            "Ada",
            "--role",
            "admin",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def refused_start(tmp_path: Path, env: dict[str, str], address: str | None) -> tuple[int, str]:
    """Start a server that must refuse: its exit status and its output."""
    port = free_port()
    log_path = tmp_path / f"refused-{port}.log"
    proc = start_app(env, port, log_path, address=address)
    try:
        returncode = proc.wait(timeout=60)
    finally:
        stop_app(proc)  # only if it did not exit
    assert listening(port) == []
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    with pytest.raises(ProcessLookupError):  # nothing of the app's process group is left
        os.killpg(proc.pid, 0)
    return returncode, log_path.read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("address", ["0.0.0.0", "::"])
def test_without_a_user_it_refuses_to_listen_beyond_this_machine(
    tmp_path: Path, empty_db_url: str, address: str
) -> None:
    returncode, log = refused_start(tmp_path, server_env(tmp_path, empty_db_url), address)
    assert returncode == 1, log
    assert [line.format(address=address) in log for line in REFUSAL] == [True] * 4, log
    assert "Traceback" not in log


@pytest.mark.slow
def test_the_retired_dashboard_password_stops_the_start(tmp_path: Path, empty_db_url: str) -> None:
    env = server_env(tmp_path, empty_db_url, LEADS_DASHBOARD_PASSWORD="hunter2 hunter2")
    returncode, log = refused_start(tmp_path, env, None)
    assert returncode == 1, log
    assert "Not starting: LEADS_DASHBOARD_PASSWORD is retired: create users with" in log
    assert "'Upgrading: from the dashboard password to users'" in log
    assert "hunter2" not in log and "Traceback" not in log

    (tmp_path / "secrets.toml").write_text('dashboard_password = "hunter2 hunter2"\n')
    returncode, log = refused_start(tmp_path, server_env(tmp_path, empty_db_url), None)
    assert returncode == 1, log
    assert "Not starting: dashboard_password in .streamlit/secrets.toml is retired" in log
    assert "hunter2" not in log and "Traceback" not in log


@pytest.mark.slow
@pytest.mark.xdist_group("e2e-browser")
def test_with_a_user_it_listens_everywhere_and_the_browser_must_sign_in(
    serve: Callable[..., Server], page: Page, tmp_path: Path, empty_db_url: str
) -> None:
    create_admin(server_env(tmp_path, empty_db_url))
    server = serve("0.0.0.0")
    assert listening(port_of(server)) == ["0.0.0.0"]

    # The API is protected by its keys, not by the dashboard's sign-in.
    key = server.cli("create-api-key", "exposure").stdout.splitlines()[-1]
    with httpx.Client(base_url=server.base_url, timeout=30) as anonymous:
        assert anonymous.get("/v1/leads").status_code == 401
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as api:
        campaign_id = f"cmp_{uuid.uuid4().hex[:10]}"
        created = api.post(
            "/v1/campaigns", json={"id": campaign_id, "name": "Exposure", "criteria": {}}
        )
        assert created.status_code == 201, created.text
        leads = [{"firstName": "Ada", "lastName": "Anders", "email": "ada@example.com"}]
        imported = api.post("/v1/leads", json={"campaignId": campaign_id, "leads": leads})
        assert imported.status_code == 200, imported.text

    # A deep link opens on the sign-in screen alone; so does any page of another session.
    ui.open_path(page, server.base_url, f"/leads?campaignId={campaign_id}")
    expect_sign_in_screen_only(page)
    expect(page.get_by_text("Anders")).to_have_count(0)
    page.get_by_role("link", name="Sign in with email and password").click()
    page.get_by_label("Email").fill("ada@acme.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    ui.wait_for_app(page)
    expect(page).to_have_url(re.compile(rf"/leads\?campaignId={campaign_id}$"))
    expect(page.get_by_text(re.compile(r"leads? match"))).to_have_text(
        "1 lead matches · showing 1-1 · page 1 of 1"
    )
    links = page.get_by_test_id("stSidebarNav").get_by_test_id("stSidebarNavLink")
    expect(links).to_have_count(len(NAV) + 1)  # and the Team page
    other = ui.new_page(page.context.browser)
    try:
        ui.open_path(other, server.base_url, "/api-keys")
        expect_sign_in_screen_only(other)
    finally:
        other.context.close()
    assert "Traceback" not in server.log()
    assert PASSWORD not in server.log()


@pytest.mark.slow
@pytest.mark.xdist_group("e2e-browser")
def test_by_default_it_listens_on_127_0_0_1_with_no_sign_in(
    serve: Callable[..., Server], page: Page
) -> None:
    server = serve()  # .streamlit/config.toml, as `make run`; no user yet
    assert listening(port_of(server)) == ["127.0.0.1"]
    ui.open_path(page, server.base_url, "/leads")
    expect(page.get_by_role("heading", level=1)).to_have_text("Leads")
    expect(page.get_by_test_id("stSidebarNavLink")).to_have_count(len(NAV))
    expect(page.get_by_role("button", name="Create the admin")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
