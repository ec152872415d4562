"""AppTest fixtures: the real app.py and pages on a temporary SQLite database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit as st
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from leads_core import config
from leads_core.storage import db

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
