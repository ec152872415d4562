"""Alembic environment: the models' metadata is the target; the connection comes from
``leads_core.db.init_db`` (inside its lock) or, for the ``alembic`` command line, from
``DATABASE_URL``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

from leads_core.storage import (  # noqa: F401  (registers the tables on SQLModel.metadata)
    models,
    webhook_models,
)
from leads_core.storage.migrations import include_name

config = context.config
target_metadata = SQLModel.metadata


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        include_name=include_name,
        # SQLite cannot ALTER most things: later migrations copy-and-move the table.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    from leads_core.config import get_settings
    from leads_core.storage.db import make_engine

    engine = make_engine(get_settings().database_url)
    try:
        with engine.begin() as connection:
            _configure_and_run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations_online()
