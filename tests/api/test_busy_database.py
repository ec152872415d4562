"""SQLite has one writer: while a long import holds the write lock, other requests wait
for it (``LEADS_SQLITE_BUSY_TIMEOUT_MS``), reads and key checks never do, and a write that
waited longer than the timeout gets 503 with ``Retry-After``, never a 500."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import make_url
from sqlmodel import Session, select
from starlette.applications import Starlette

from leads_core.api import create_api
from leads_core.api.serving import mount_api
from leads_core.config import load_settings
from leads_core.services import apikeys
from leads_core.storage.db import make_engine
from leads_core.storage.models import ApiKey

pytestmark = [pytest.mark.sqlite_only, pytest.mark.usefixtures("campaign")]


@contextmanager
def write_lock_held(db_url: str) -> Iterator[None]:
    """Another process's long write: SQLite's write lock taken and kept."""
    holder = sqlite3.connect(make_url(db_url).database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@contextmanager
def api_waiting(db_url: str, api_key: str, busy_timeout_ms: int) -> Iterator[TestClient]:
    settings = load_settings(
        {"DATABASE_URL": db_url, "LEADS_SQLITE_BUSY_TIMEOUT_MS": str(busy_timeout_ms)}
    )
    engine = make_engine(db_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    app = Starlette(routes=[mount_api("/v1", create_api(engine, settings))])
    with TestClient(app, headers={"Authorization": f"Bearer {api_key}"}) as client:
        yield client
    engine.dispose()


@pytest.fixture
def impatient(db_url: str, api_key: str) -> Iterator[TestClient]:
    """The API with a 200 ms busy timeout."""
    with api_waiting(db_url, api_key, 200) as client:
        yield client


def test_a_write_that_waited_past_the_timeout_is_503_with_retry_after(
    impatient: TestClient, db_url: str
) -> None:
    impatient.get("/v1/leads")  # the key's first use is recorded before the lock is taken
    with write_lock_held(db_url):
        response = impatient.post(
            "/v1/leads", json={"campaignId": "cmp_123", "leads": [{"email": "a@b.io"}]}
        )

    assert response.status_code == 503
    assert response.headers["retry-after"] == "10"
    assert response.json()["error"]["code"] == "database_busy"
    assert impatient.get("/v1/leads").json()["total"] == 0  # nothing was written


def test_reads_and_key_checks_do_not_wait_for_the_lock(
    db_url: str, api_key: str, session: Session
) -> None:
    """A key's first use would write last_used_at: skipped while the lock is held, so a
    list answers at once rather than after the busy timeout."""
    with api_waiting(db_url, api_key, 10_000) as client, write_lock_held(db_url):
        began = time.monotonic()
        response = client.get("/v1/leads")
        waited = time.monotonic() - began

    assert response.status_code == 200
    assert waited < 5  # a list takes milliseconds; waiting for the lock would take 10 s
    assert session.exec(select(ApiKey)).one().last_used_at is None  # recorded next time
    with api_waiting(db_url, api_key, 10_000) as client:
        client.get("/v1/leads")
    session.expire_all()
    assert session.exec(select(ApiKey)).one().last_used_at is not None


def test_by_default_writers_wait_longer_than_an_import_holds_the_lock() -> None:
    assert load_settings({}).sqlite_busy_timeout_ms == 60_000
    assert apikeys.LAST_USED_RESOLUTION.total_seconds() == 60
