"""Shared fixtures: every test gets its own temporary SQLite database."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# Nothing in the suite may touch the developer's data/leads.db.
os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='leads-test-')}/never.db"

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.routing import Mount  # noqa: E402

from leads_core import apikeys, campaigns  # noqa: E402
from leads_core.api import create_api  # noqa: E402
from leads_core.config import Settings, load_settings  # noqa: E402
from leads_core.db import init_db, make_engine  # noqa: E402
from leads_core.models import CampaignCreate, CampaignCriteria  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'leads.db'}"


@pytest.fixture
def settings(db_url: str) -> Settings:
    return load_settings({"DATABASE_URL": db_url})


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url)
    init_db(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def campaign(session: Session):
    """``cmp_123`` targeting CTOs and VPs from LinkedIn or referrals."""
    return campaigns.create_campaign(
        session,
        data=CampaignCreate(
            id="cmp_123",
            name="Q1 CTO outreach",
            criteria=CampaignCriteria(
                target_positions=["CTO", "VP Engineering"], target_sources=["linkedin", "referral"]
            ),
        ),
    )


@pytest.fixture
def api_key(session: Session) -> str:
    _key, plain = apikeys.create_api_key(session, name="tests")
    return plain


@pytest.fixture
def client(engine: Engine, settings: Settings, api_key: str) -> Iterator[TestClient]:
    # Mounted exactly as app.py mounts it, so tests use the documented /v1/... paths.
    app = Starlette(routes=[Mount("/v1", app=create_api(engine, settings))])
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {api_key}"
        yield client
