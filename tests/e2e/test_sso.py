"""Single sign-on in a real browser: the whole OpenID Connect redirect flow of ``st.login``
against a throwaway provider this test starts itself (``oidc-provider-mock``, a Flask app on
127.0.0.1), with [auth] in a secrets file of the test's own. Its authorize page asks for a
subject ("sub"); the identity's email is that subject.

An identity with a user's email signs in as that user; an unknown one is refused; "sign out
everywhere" (from another device) ends the SSO sign-in too."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from leads_core.services import users
from leads_core.storage.db import make_engine, session_scope
from tests.e2e import browser as ui
from tests.e2e.test_exposure import server_env
from tests.e2e.test_signin import create_user, shot
from tests.support.devserver import free_port, start_app, stop_app, wait_healthy

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e-browser")]

SSO_BUTTON = "Sign in with single sign-on (127.0.0.1)"


@pytest.fixture
def provider(tmp_path: Path) -> Iterator[str]:
    """The provider's base URL, once its discovery document answers."""
    port = free_port()
    log = (tmp_path / "oidc.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "oidc_provider_mock", "--port", str(port), "--host", "127.0.0.1"],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/.well-known/openid-configuration", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        f"the OIDC provider did not start: {(tmp_path / 'oidc.log').read_text()}"
                    )
                time.sleep(0.2)  # polling, bounded by the deadline
        yield url
    finally:
        stop_app(proc)
        log.close()


@pytest.fixture
def app(tmp_path: Path, empty_db_url: str, provider: str) -> Iterator[tuple[str, dict[str, str]]]:
    """A server whose secrets configure the provider: (base URL, environment)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    (tmp_path / "secrets.toml").write_text(
        "[auth]\n"
        f'redirect_uri = "{base}/oauth2callback"\n'
        'cookie_secret = "a cookie secret of this test only, 32+ chars"\n'
        'client_id = "leads-workspace"\n'
        'client_secret = "a client secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    env = server_env(tmp_path, empty_db_url)
    create_user(env, "ada@acme.com", "Ada Admin", "admin")
    create_user(env, "mel@acme.com", "Mel Member", "member")
    log_path = tmp_path / "server.log"
    proc = start_app(env, port, log_path)
    try:
        try:
            wait_healthy(proc, port)
        except RuntimeError as exc:
            pytest.fail(f"{exc}:\n{log_path.read_text()}")
        yield base, env
    finally:
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


def sso_sign_in(page: Page, base: str, provider: str, email: str) -> None:
    """From the dashboard's sign-in screen through the provider's authorize page, back."""
    ui.open_path(page, base, "/")
    page.get_by_role("button", name=SSO_BUTTON).click()
    page.wait_for_url(f"{provider}/oauth2/authorize*")
    page.get_by_placeholder("sub").fill(email)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{base}/")
    ui.wait_for_app(page)


def test_sso_signs_in_a_known_email_refuses_an_unknown_one_and_ends_everywhere(
    app: tuple[str, dict[str, str]], provider: str, browser: Browser, page: Page, tmp_path: Path
) -> None:
    base, env = app
    ui.open_path(page, base, "/")
    expect(page.get_by_role("button", name=SSO_BUTTON)).to_be_visible()
    shot(page, tmp_path, "sso-sign-in-screen")

    sso_sign_in(page, base, provider, "mel@acme.com")
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Mel Member")).to_be_visible()
    expect(page.get_by_test_id("stMetric")).not_to_have_count(0)
    shot(page, tmp_path, "sso-signed-in")
    page.reload()  # Streamlit's identity cookie survives a reload
    ui.wait_for_app(page)
    expect(sidebar.get_by_text("Mel Member")).to_be_visible()

    # Mel signs out everywhere from another device (a password sign-in): the SSO one ends.
    engine = make_engine(env["DATABASE_URL"])
    try:
        with session_scope(engine) as session:
            mel = users.find_user(session, "mel@acme.com")
            users.sign_out_everywhere(session, mel.id)
    finally:
        engine.dispose()  # else its connection is left for the garbage collector (a warning)
    page.get_by_role("navigation").get_by_role("link", name="Leads", exact=True).click()
    expect(page.get_by_text("Your single sign-on has ended: sign in again.")).to_be_visible()
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
    sso_sign_in(page, base, provider, "mel@acme.com")  # a new sign-in works again
    expect(sidebar.get_by_text("Mel Member")).to_be_visible()

    other = ui.new_page(browser)
    try:
        sso_sign_in(other, base, provider, "eve@elsewhere.com")
        expect(
            # the address drawn as text: a word joiner keeps Markdown from making it a link
            other.get_by_text(
                re.compile(
                    "eve@\u2060?elsewhere\\.com has no account in this workspace\\. "
                    "Ask an admin to invite you\\."
                )
            )
        ).to_be_visible()
        expect(other.get_by_test_id("stSidebarNav")).to_have_count(0)
        shot(other, tmp_path, "sso-unknown-email")
    finally:
        other.context.close()
