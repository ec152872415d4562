"""AppTest fixtures: the real app.py and pages on a temporary database, opened by nobody
(no user yet: the local admin) or signed in as a user of each role (``browser``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from sqlmodel import Session
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module

from dashboard import auth
from leads_core import config
from leads_core.access import Role
from leads_core.services import users
from leads_core.storage import db
from leads_core.storage.models import User

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture
def ui_db(monkeypatch: pytest.MonkeyPatch, db_url: str) -> Iterator[str]:
    """Point the app (get_settings / get_engine, cached per process) at this test's DB."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    config.get_settings.cache_clear()
    db.get_engine.cache_clear()
    st.cache_data.clear()
    yield db_url
    db.get_engine().dispose()
    config.get_settings.cache_clear()
    db.get_engine.cache_clear()
    st.cache_data.clear()


@pytest.fixture
def ui_session(ui_db: str) -> Iterator[Session]:
    with db.session_scope() as session:
        yield session


@pytest.fixture
def open_page(ui_db: str) -> Callable[..., AppTest]:
    """``open_page("leads", minScore="85")``: the app run on that page with those URL
    parameters, as a browser opening ``/leads?minScore=85``."""

    def _open(page: str = "home", /, **params: str) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=30)
        at.run()
        if page != "home":
            at.switch_page(f"pages/{page}.py")
        at.query_params.update(params)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return _open


# ------------------------------------------------------------------ signed in

PASSWORD = "correct horse battery staple"
OpenUrl = Callable[..., AppTest]


class _AppPagesManager(PagesManager):
    """AppTest's pages manager, made to run app.py for every page as the server does."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        PagesManager.uses_pages_directory = False


@dataclass
class Browser:
    """The cookie the browser holds (None: none)."""

    cookie: str | None = None

    def sign_in(self, session: Session, user: User) -> str:
        self.cookie = users.start_session(session, user)
        return self.cookie


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Browser:
    held = Browser()
    monkeypatch.setattr(auth, "session_cookie", lambda: held.cookie)
    return held


@pytest.fixture
def open_url(ui_db: str, monkeypatch: pytest.MonkeyPatch, browser: Browser) -> OpenUrl:
    """``open_url("leads", minScore="85")``: a new browser session opening
    ``/leads?minScore=85``, app.py run as the server runs it; ``secrets=`` and ``user=``
    give it Streamlit secrets and an SSO identity (``st.user``)."""
    monkeypatch.setattr(PagesManager, "uses_pages_directory", PagesManager.uses_pages_directory)
    monkeypatch.setattr(app_test_module, "PagesManager", _AppPagesManager)

    def _open(
        page: str = "home",
        /,
        *,
        secrets: dict[str, Any] | None = None,
        user: dict[str, Any] | None = None,
        **params: str,
    ) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=30)
        at.secrets.update(secrets or {})  # Streamlit secrets of the session ([auth] for SSO)
        if user is not None:
            at.user = user  # the identity st.login gave (st.user)
        at.run()  # registers st.navigation's pages, so switch_page finds them by url_path
        if page != "home":
            at.switch_page(f"pages/{page}.py")
        at.query_params.update(params)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return _open


def _user(session: Session, email: str, role: Role, name: str | None = None) -> User:
    return users.create_user(
        session, email=email, name=name or email.split("@")[0].title(), role=role, password=PASSWORD
    )


@pytest.fixture
def admin(ui_session: Session) -> User:
    return _user(ui_session, "ada@acme.com", Role.ADMIN, "Ada Admin")


@pytest.fixture
def member(ui_session: Session, admin: User) -> User:
    return _user(ui_session, "mel@acme.com", Role.MEMBER, "Mel Member")


@pytest.fixture
def viewer(ui_session: Session, admin: User) -> User:
    return _user(ui_session, "vic@acme.com", Role.VIEWER, "Vic Viewer")
