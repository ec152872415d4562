"""Alembic owns the schema: the migrations and the models agree, on the run's engine."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from alembic import command
from sqlalchemy import NullPool, create_engine, inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from leads_core.schemas import CampaignCreate
from leads_core.services import campaigns, queries
from leads_core.services.queries import LeadFilters
from leads_core.storage import migrations
from leads_core.storage.db import init_db, make_engine
from leads_core.storage.models import Campaign, Lead
from tests.databases import make_pre_migration_database

TABLES = {
    *("alembic_version", "api_key", "campaign", "import_batch", "lead", "lead_activity"),
    *("app_user", "user_token", "task"),
    "saved_view",
    "idempotent_request",
    *("webhook_endpoint", "webhook_event", "webhook_delivery", "webhook_attempt"),
    "lead_count",
}
# SQLite's search index: an FTS5 table and the shadow tables FTS5 keeps for it.
SQLITE_SEARCH = {f"lead_search{s}" for s in ("", "_config", "_data", "_idx")}
# PostgreSQL's shared rate-limit allowances (SQLite keeps them in the app's memory).
POSTGRESQL_ONLY = {"rate_limit"}


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


@pytest.fixture
def empty_engine(empty_db_url: str):
    engine = make_engine(empty_db_url)
    yield engine
    engine.dispose()


def revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return migrations.current(connection)


def test_autogenerate_finds_no_difference_between_the_models_and_the_migrations(
    engine: Engine,
) -> None:
    """``alembic revision --autogenerate`` would write an empty migration: every table,
    column, type, index and constraint of the models is made by the migrations."""
    with engine.connect() as connection:
        assert migrations.current(connection) == migrations.head()
        assert migrations.differences(connection) == []


def test_init_db_upgrades_an_empty_database_to_head_and_is_idempotent(
    empty_engine: Engine,
) -> None:
    assert inspect(empty_engine).get_table_names() == []
    init_db(empty_engine)
    on_postgresql = empty_engine.dialect.name == "postgresql"
    expected = TABLES | (POSTGRESQL_ONLY if on_postgresql else SQLITE_SEARCH)
    assert tables(empty_engine) == expected
    assert revision(empty_engine) == migrations.head()

    with Session(empty_engine) as session:
        campaigns.create_campaign(session, data=CampaignCreate(id="cmp_kept", name="Kept"))
    init_db(empty_engine)  # nothing to do: the data stays
    with Session(empty_engine) as session:
        assert session.exec(select(Campaign.id)).all() == ["cmp_kept"]


def test_every_migration_downgrades_and_upgrades_again(empty_engine: Engine) -> None:
    init_db(empty_engine)
    with empty_engine.begin() as connection:
        command.downgrade(migrations.alembic_config(connection), "base")
    assert tables(empty_engine) == {"alembic_version"}
    assert revision(empty_engine) is None
    init_db(empty_engine)
    with empty_engine.connect() as connection:
        assert migrations.current(connection) == migrations.head()
        assert migrations.differences(connection) == []


def test_a_database_made_by_create_all_before_migrations_is_adopted(empty_engine: Engine) -> None:
    """Databases from builds before Alembic have the tables but no ``alembic_version``:
    they are stamped with the first revision, keeping their data."""
    make_pre_migration_database(empty_engine)
    with empty_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO campaign (id, name, criteria, created_at, updated_at) "
                "VALUES ('cmp_old', 'Old', '{}', '2024-01-01', '2024-01-01')"
            )
        )

    init_db(empty_engine)

    assert revision(empty_engine) == migrations.head()
    with Session(empty_engine) as session:
        assert session.exec(select(Campaign.id)).all() == ["cmp_old"]


def test_a_pre_migration_database_of_another_shape_is_refused_with_the_reason(
    empty_engine: Engine,
) -> None:
    make_pre_migration_database(empty_engine)
    with empty_engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_lead_status"))

    with pytest.raises(
        migrations.SchemaMismatch, match=r"differ from the first migration \(lead\)"
    ):
        init_db(empty_engine)
    assert revision(empty_engine) is None  # nothing was stamped or changed


def test_processes_starting_together_migrate_the_database_once(empty_db_url: str) -> None:
    """Two app processes started at the same moment on a new database: one migrates, the
    other waits for the lock, then finds the schema at head (no "table already exists")."""
    engines = [make_engine(empty_db_url) for _ in range(4)]
    start = threading.Barrier(len(engines))
    failures: list[BaseException] = []

    def migrate(engine: Engine) -> None:
        start.wait()
        try:
            init_db(engine)
        except BaseException as exc:  # reported below, with the others
            failures.append(exc)

    threads = [threading.Thread(target=migrate, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for engine in engines:
        engine.dispose()

    assert failures == []
    check = create_engine(empty_db_url, poolclass=NullPool)
    with check.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).all() == [
            (migrations.head(),)
        ]
    check.dispose()


@pytest.mark.sqlite_only
def test_starting_while_another_process_writes_does_not_wait_for_it(db_url: str) -> None:
    """An up-to-date database needs no lock: a CLI command or a second app process started
    during a long import (which holds SQLite's write lock) goes ahead."""
    writer = make_engine(db_url)
    late = make_engine(db_url, busy_timeout_ms=100)
    with writer.connect() as busy:
        busy.exec_driver_sql("BEGIN IMMEDIATE")  # as an import in progress holds it
        init_db(late)  # would raise "database is locked" if it took the lock
        busy.rollback()
    late.dispose()
    writer.dispose()


@pytest.mark.sqlite_only
def test_0006_gives_imported_dates_the_form_of_every_other_date(empty_engine: Engine) -> None:
    with empty_engine.begin() as connection:
        command.upgrade(migrations.alembic_config(connection), "0005")
        connection.execute(
            text(
                "INSERT INTO campaign (id, name, criteria, created_at, updated_at) "
                "VALUES ('cmp_1', 'A', '{}', '2026-01-02 03:04:05.000006', "
                "'2026-01-02 03:04:05.000006')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO lead (id, campaign_id, status, email, created_at, updated_at) VALUES "
                "('lead_a', 'cmp_1', 'new', 'a@acme.io', '2026-12-03 09:30:28.730803+00:00', "
                "'2026-12-03 09:30:28.730803+00:00'), ('lead_b', 'cmp_1', 'new', 'b@acme.io', "
                "'2026-12-03 09:31:00.000001', '2026-12-04 10:00:00.000002')"
            )
        )
    init_db(empty_engine)

    with empty_engine.connect() as connection:
        dates = connection.execute(
            text("SELECT id, created_at, updated_at FROM lead ORDER BY id")
        ).all()
    assert [tuple(row) for row in dates] == [
        ("lead_a", "2026-12-03 09:30:28.730803", "2026-12-03 09:30:28.730803"),
        ("lead_b", "2026-12-03 09:31:00.000001", "2026-12-04 10:00:00.000002"),
    ]


def test_0008_fills_the_last_activity_and_searches_position_and_notes(
    empty_engine: Engine,
) -> None:
    """Each lead's last activity: its latest history entry but a re-score, else its
    creation; its search text made again with its position and notes."""
    with empty_engine.begin() as connection:
        command.upgrade(migrations.alembic_config(connection), "0007")
        connection.execute(
            text(
                "INSERT INTO campaign (id, name, criteria, created_at, updated_at) "
                "VALUES ('cmp_1', 'A', '{}', '2026-01-02 03:04:05', '2026-01-02 03:04:05')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO lead (id, campaign_id, status, email, position, notes, "
                "search_text, created_at, updated_at) VALUES "
                "('lead_a', 'cmp_1', 'new', 'a@acme.io', 'CEO', 'Met at VivaTech', "
                "'a@acme.io', '2026-01-02 09:00:00', '2026-01-02 09:00:00'), "
                "('lead_b', 'cmp_1', 'new', 'b@acme.io', NULL, NULL, 'b@acme.io', "
                "'2026-01-03 09:00:00', '2026-01-03 09:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO lead_activity (lead_id, kind, created_at) VALUES "
                "('lead_a', 'created', '2026-01-02 09:00:00'), "
                "('lead_a', 'call', '2026-02-01 10:00:00'), "
                "('lead_a', 'rescored', '2026-03-01 10:00:00'), "
                "('lead_b', 'rescored', '2026-03-01 10:00:00')"
            )
        )
    init_db(empty_engine)

    with Session(empty_engine) as session:
        found = {lead.id: lead for lead in session.exec(select(Lead))}
        assert found["lead_a"].search_text == "a@acme.io ceo met at vivatech"
        assert found["lead_b"].search_text == "b@acme.io"
        activity = {k: lead.last_activity_at.replace(tzinfo=None) for k, lead in found.items()}
        assert activity == {
            "lead_a": datetime(2026, 2, 1, 10, 0),
            "lead_b": datetime(2026, 1, 3, 9, 0),
        }
        hits = queries.list_leads(session, filters=LeadFilters(q="vivatech")).leads
        assert [lead.id for lead in hits] == ["lead_a"]
