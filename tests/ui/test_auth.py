"""The dashboard's password gate (dashboard/auth.py), run by AppTest through app.py.

AppTest on its own runs ``pages/<name>.py`` alone when a test switches to it (it takes our
pages/ folder for an old-style multipage app); the real server runs app.py for every URL
(app.py sets ``PagesManager.uses_pages_directory = False``). The ``open_url`` fixture does
the same, so a deep link goes through the gate as in a browser."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import Session, func, select
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module

from dashboard import auth
from leads_core import config
from leads_core.ingest import importing
from leads_core.ingest.options import ImportOptions
from leads_core.storage.models import Campaign, Lead
from tests.conftest import FIXTURES
from tests.ui.conftest import APP

PASSWORD = "correct horse battery staple"
#: Everything a locked session is shown, on any URL: the form and nothing else.
LOCKED = {"main": ["title", "caption", "form", "text_input", "button"], "sidebar": []}

OpenUrl = Callable[..., AppTest]


class _AppPagesManager(PagesManager):
    """AppTest's pages manager, made to run app.py for every page as the server does."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        PagesManager.uses_pages_directory = False


@pytest.fixture
def open_url(ui_db: str, monkeypatch: pytest.MonkeyPatch) -> OpenUrl:
    """``open_url("leads", minScore="85")``: a new browser session opening
    ``/leads?minScore=85``, app.py run as the server runs it. ``secrets=`` gives
    Streamlit secrets to the session."""
    monkeypatch.setattr(PagesManager, "uses_pages_directory", PagesManager.uses_pages_directory)
    monkeypatch.setattr(app_test_module, "PagesManager", _AppPagesManager)

    def _open(page: str = "home", /, *, secrets: dict[str, str] | None = None, **params: str):
        at = AppTest.from_file(APP, default_timeout=30)
        at.secrets.update(secrets or {})
        at.run()  # registers st.navigation's pages, so switch_page finds them by url_path
        if page != "home":
            at.switch_page(f"pages/{page}.py")
        at.query_params.update(params)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return _open


def _set_password(monkeypatch: pytest.MonkeyPatch, password: str | None) -> None:
    if password is None:
        monkeypatch.delenv("LEADS_DASHBOARD_PASSWORD", raising=False)
    else:
        monkeypatch.setenv("LEADS_DASHBOARD_PASSWORD", password)
    config.get_settings.cache_clear()


@pytest.fixture
def locked(ui_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """LEADS_DASHBOARD_PASSWORD is PASSWORD for this test."""
    _set_password(monkeypatch, PASSWORD)


@pytest.fixture
def sample(ui_session: Session, campaign: Campaign) -> Campaign:
    """The 34 leads of sample_leads.csv in ``cmp_123``: data a locked session must not see."""
    outcome = importing.import_file(
        ui_session,
        (FIXTURES / "sample_leads.csv").read_bytes(),
        ImportOptions(
            campaign_id=campaign.id,
            region="FR",
            max_rows=1000,
            max_bytes=10_000_000,
            filename="sample_leads.csv",
        ),
    )
    assert outcome.imported == 34
    return campaign


def _types(block: Any) -> list[str]:
    """The element types drawn in a block, depth first (a form, then what it holds)."""
    found: list[str] = []
    for child in block.children.values():
        found.append(child.type)
        if getattr(child, "children", None):
            found.extend(_types(child))
    return found


def _shown(at: AppTest) -> dict[str, list[str]]:
    return {"main": _types(at.main), "sidebar": _types(at.sidebar)}


def _sign_in(at: AppTest, password: str) -> AppTest:
    at.text_input(key="auth_password").input(password)
    next(b for b in at.button if b.label == "Sign in").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _sign_out_buttons(at: AppTest) -> list[Any]:
    return [b for b in at.sidebar.button if b.label == "Sign out"]


def _lead_id(session: Session, email: str) -> str:
    return session.exec(select(Lead.id).where(Lead.email == email)).one()


def _high(session: Session) -> int:
    return session.exec(select(func.count()).where(Lead.quality_score >= 85)).one()


# ------------------------------------------------------------------ locked


@pytest.mark.parametrize(
    ("page", "params"),
    [
        ("home", {}),
        ("leads", {"minScore": "85"}),
        ("lead", {"id": "LEAD"}),
        ("analytics", {}),
        ("campaigns", {}),
        ("api_keys", {}),
    ],
)
def test_a_locked_session_sees_only_the_sign_in_form_on_every_url(
    open_url: OpenUrl,
    locked: None,
    sample: Campaign,
    ui_session: Session,
    page: str,
    params: dict[str, str],
) -> None:
    if params.get("id") == "LEAD":
        params = {"id": _lead_id(ui_session, "camille.martin@nexora.io")}
    at = open_url(page, **params)
    assert _shown(at) == LOCKED
    assert at.title[0].value == "Leads workspace"
    field = at.text_input(key="auth_password")
    assert (field.label, field.proto.type) == ("Password", field.proto.PASSWORD)
    assert [b.label for b in at.button] == ["Sign in"]
    assert at.query_params == params  # the link is kept for after signing in


def test_a_wrong_password_is_refused_after_a_delay_and_stays_locked(
    open_url: OpenUrl, locked: None, sample: Campaign
) -> None:
    at = open_url("leads")
    started = time.monotonic()
    _sign_in(at, "correct horse battery")
    assert time.monotonic() - started >= auth.WRONG_PASSWORD_DELAY_S
    assert [e.value for e in at.error] == ["Wrong password. Try again."]
    assert _shown(at) == {"main": [*LOCKED["main"], "error"], "sidebar": []}
    assert PASSWORD not in repr(at.session_state)

    _sign_in(at, "")  # an empty submit is a wrong password too
    assert [e.value for e in at.error] == ["Wrong password. Try again."]
    assert not at.caption or "leads match" not in at.caption[-1].value


def test_the_right_password_opens_the_deep_link_and_sign_out_locks_again(
    open_url: OpenUrl, locked: None, sample: Campaign, ui_session: Session
) -> None:
    at = open_url("leads", minScore="85")
    assert _shown(at) == LOCKED
    _sign_in(at, PASSWORD)
    assert not at.error
    assert f"**{_high(ui_session)}** leads match" in at.caption[0].value
    assert all(at.data_editor[0].value["quality_score"] >= 85)
    assert at.query_params == {"minScore": "85"}
    assert len(_sign_out_buttons(at)) == 1
    assert PASSWORD not in repr(at.session_state)

    at.switch_page("pages/campaigns.py").run()  # signed in once per session
    assert at.title[0].value == "Campaigns"
    assert len(_sign_out_buttons(at)) == 1

    _sign_out_buttons(at)[0].click().run()
    assert _shown(at) == LOCKED
    at.switch_page("pages/leads.py").run()
    assert _shown(at) == LOCKED


def test_the_right_password_opens_a_lead(
    open_url: OpenUrl, locked: None, sample: Campaign, ui_session: Session
) -> None:
    at = open_url("lead", id=_lead_id(ui_session, "camille.martin@nexora.io"))
    _sign_in(at, PASSWORD)
    assert at.title[0].value == "Camille Martin"


def test_a_new_password_signs_sessions_out(
    open_url: OpenUrl, locked: None, sample: Campaign, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _sign_in(open_url("home"), PASSWORD)
    assert at.metric[0].value == "34"
    _set_password(monkeypatch, "a new password")
    at.run()
    assert _shown(at) == LOCKED


# ------------------------------------------------------------------ where the password comes from


def test_the_password_may_come_from_streamlit_secrets(
    open_url: OpenUrl, ui_db: str, sample: Campaign, monkeypatch: pytest.MonkeyPatch
) -> None:
    _set_password(monkeypatch, None)
    at = open_url("home", secrets={"dashboard_password": "from secrets.toml"})
    assert _shown(at) == LOCKED
    _sign_in(at, "from secrets.toml")
    assert at.metric[0].value == "34"


def test_the_environment_wins_over_secrets(
    open_url: OpenUrl, locked: None, sample: Campaign
) -> None:
    at = open_url("home", secrets={"dashboard_password": "from secrets.toml"})
    _sign_in(at, "from secrets.toml")
    assert at.error[0].value == "Wrong password. Try again."
    _sign_in(at, PASSWORD)
    assert at.metric[0].value == "34"


@pytest.mark.parametrize(("page", "title"), [("home", "Leads workspace"), ("leads", "Leads")])
def test_without_a_password_the_pages_render_as_before(
    open_url: OpenUrl,
    ui_db: str,
    sample: Campaign,
    monkeypatch: pytest.MonkeyPatch,
    page: str,
    title: str,
) -> None:
    _set_password(monkeypatch, None)
    at = open_url(page)
    assert at.title[0].value == title
    assert not at.text_input or "auth_password" not in [t.key for t in at.text_input]
    assert not _sign_out_buttons(at)
    if page == "home":
        assert at.metric[0].value == "34"
    else:
        assert "**34** leads match" in at.caption[0].value
