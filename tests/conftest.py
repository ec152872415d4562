"""Shared fixtures: every test gets its own new database, on the engine the run is for.

``pytest --engine sqlite`` (the default) or ``pytest --engine postgresql``. For PostgreSQL
the run starts a throwaway cluster (``tests.support.pgcluster``) in the main pytest process
and stops it at the end; xdist workers find it through ``TEST_POSTGRES_URL``, which may
also name an existing server to use instead. A missing server is an error, never a skip.

Engine-specific tests carry ``@pytest.mark.sqlite_only`` or
``@pytest.mark.postgresql_only``; on the other engine they are reported as skipped with
the reason, so both passes of ``make test`` show what ran where."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Nothing in the suite may touch the developer's data/leads.db.
os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='leads-test-')}/never.db"

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session  # noqa: E402
from starlette.applications import Starlette  # noqa: E402

from leads_core.api import create_api  # noqa: E402
from leads_core.api.serving import mount_api  # noqa: E402
from leads_core.config import Settings, load_settings  # noqa: E402
from leads_core.schemas import CampaignCreate, CampaignCriteria  # noqa: E402
from leads_core.services import apikeys, campaigns  # noqa: E402
from leads_core.storage.db import make_engine  # noqa: E402
from tests.databases import ENGINES, TestDatabases  # noqa: E402
from tests.support import loopback  # noqa: E402
from tests.support.pgcluster import PgCluster, PostgresUnavailable, start_cluster  # noqa: E402

loopback.install()  # no test traffic leaves 127.0.0.0/8 and ::1, and no DNS query is sent

FIXTURES = Path(__file__).parent / "fixtures"
PG_URL_ENV = "TEST_POSTGRES_URL"
ENGINE_MARKERS = {"sqlite_only": "sqlite", "postgresql_only": "postgresql"}
_CLUSTER = pytest.StashKey[PgCluster]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--engine",
        choices=ENGINES,
        default="sqlite",
        help="database engine the suite runs on (postgresql starts a throwaway server)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: checks SQLite-specific behaviour")
    config.addinivalue_line("markers", "postgresql_only: checks PostgreSQL-specific behaviour")
    config.addinivalue_line(
        "markers",
        "browser_only: what a browser draws and does, the same on every engine (the services "
        "it calls are tested on both): runs once, in the SQLite pass",
    )
    is_worker = hasattr(config, "workerinput")
    wants_server = config.getoption("--engine") == "postgresql" and not is_worker
    if wants_server and not os.environ.get(PG_URL_ENV):
        try:
            cluster = start_cluster()
        except PostgresUnavailable as exc:  # an error that stops the run, never a skip
            raise pytest.UsageError(f"--engine postgresql: {exc}") from exc
        config.stash[_CLUSTER] = cluster
        os.environ[PG_URL_ENV] = cluster.url()


def pytest_unconfigure(config: pytest.Config) -> None:
    cluster = config.stash.get(_CLUSTER, None)
    if cluster is not None:
        cluster.stop()
        os.environ.pop(PG_URL_ENV, None)


def pytest_report_header(config: pytest.Config) -> str:
    engine = config.getoption("--engine")
    return f"database engine: {engine}" + (
        f" ({os.environ.get(PG_URL_ENV)})" if engine == "postgresql" else ""
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    engine = config.getoption("--engine")
    for item in items:
        for marker, only in ENGINE_MARKERS.items():
            if item.get_closest_marker(marker) and only != engine:
                item.add_marker(
                    pytest.mark.skip(reason=f"{only}-specific; runs with --engine {only}")
                )
        if item.get_closest_marker("browser_only") and engine != "sqlite":
            item.add_marker(pytest.mark.skip(reason="browser behaviour: runs in the SQLite pass"))


@pytest.fixture(scope="session")
def engine_name(request: pytest.FixtureRequest) -> str:
    return request.config.getoption("--engine")


@pytest.fixture(scope="session")
def test_databases(
    engine_name: str, tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> Iterator[TestDatabases]:
    admin_url = os.environ.get(PG_URL_ENV) if engine_name == "postgresql" else None
    if engine_name == "postgresql" and not admin_url:
        pytest.fail(f"--engine postgresql: no server ({PG_URL_ENV} is not set)", pytrace=False)
    databases = TestDatabases(
        engine=engine_name,
        workdir=tmp_path_factory.mktemp("templates"),
        admin_url=admin_url,
        worker=worker_id,
    )
    yield databases
    databases.close()


@pytest.fixture
def db_url(test_databases: TestDatabases, tmp_path: Path) -> Iterator[str]:
    """A new database migrated to the newest revision."""
    url = test_databases.new(tmp_path)
    yield url
    test_databases.drop(url)


@pytest.fixture
def empty_db_url(test_databases: TestDatabases, tmp_path: Path) -> Iterator[str]:
    """A new database with no tables (an SQLite file that does not exist yet)."""
    url = test_databases.new(tmp_path, migrated=False)
    yield url
    test_databases.drop(url)


@pytest.fixture
def settings(db_url: str) -> Settings:
    return load_settings({"DATABASE_URL": db_url})


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url)  # already migrated (db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def query_plans(engine: Engine) -> Iterator[Callable[[str], list[str]]]:
    """``query_plans(prefix)``: SQLite's EXPLAIN QUERY PLAN (steps joined by " / ") of each
    statement beginning with ``prefix`` that the engine ran since this fixture started."""
    ran: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, params: Any, *_args: Any) -> None:
        ran.append((statement, params))

    def plans(prefix: str) -> list[str]:
        with engine.connect() as connection:
            return [
                " / ".join(
                    row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {s}", p)
                )
                for s, p in ran
                if s.startswith(prefix)
            ]

    event.listen(engine, "before_cursor_execute", record)
    yield plans
    event.remove(engine, "before_cursor_execute", record)


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
    app = Starlette(routes=[mount_api("/v1", create_api(engine, settings))])
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {api_key}"
        yield client
