"""Alembic owns the schema: the revisions in ``versions/`` create and change it, and
:func:`upgrade` runs them (``alembic upgrade head``) when the app or the CLI starts.

A database made by ``create_all`` before migrations existed has the tables but no
``alembic_version``: when its schema matches the first revision exactly it is stamped
with it and upgraded from there; otherwise :func:`upgrade` stops with the differences
rather than guess.
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine, inspect
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from leads_core.config import ConfigError
from leads_core.storage import sql

HERE = Path(__file__).resolve().parent
BASELINE = "0001"  # the schema create_all made before migrations
# Made by migrations but not declared in the models - the engine-specific search index
# (versions/0002), the name sorts' indexes, which differ by engine (versions/0003), and the
# PostgreSQL-only, UNLOGGED rate_limit table (versions/0012, read by plain SQL in
# storage/rate_limits.py): autogenerate must neither drop them nor report them.
IGNORED_PREFIXES = ("lead_search", "ix_lead_search", "ix_lead_folded_", "rate_limit")
# SQLAlchemy cannot reflect an SQLite index with COLLATE (the name sorts'), and says so.
UNREFLECTED_WARNING = "Skipped unsupported reflection of expression-based index ix_lead_folded_"


def include_name(name: str | None, type_: str, _parent_names: object) -> bool:
    """Alembic's filter for what autogenerate compares."""
    return not (type_ in ("table", "index") and name and name.startswith(IGNORED_PREFIXES))


class SchemaMismatch(ConfigError):
    """The database has tables that no migration made, in a shape the models disagree with
    (``DATABASE_URL`` names a database this version cannot adopt)."""


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def head() -> str:
    """The newest revision (read once: the scripts do not change while a process runs)."""
    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if revision is None:  # an installation without the revision scripts
        raise RuntimeError(f"no migration found in {HERE / 'versions'}")
    return revision


def current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def differences(connection: Connection) -> list[object]:
    """What autogenerate would write to make the database match the models ([] = none)."""
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_name": include_name}
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", UNREFLECTED_WARNING)
        # Alembic annotates the result as Any; it is a list of diffs (tuples or lists).
        diffs: list[object] = compare_metadata(context, SQLModel.metadata)
        return diffs


def upgrade(engine: Engine) -> None:
    with engine.connect() as connection:  # the usual case: nothing to do, and no lock
        # taken, so a process starting during a long SQLite import does not wait for it
        if current(connection) == head():
            return
    with engine.begin() as connection:
        sql.lock_for_migration(connection)
        revision = current(connection)  # again: another process may have just done it
        if revision == head():
            return
        if revision is None and inspect(connection).has_table("lead"):
            _adopt(connection)
        command.upgrade(alembic_config(connection), "head")


def _shape(connection: Connection) -> dict[str, tuple[frozenset[str], ...]]:
    """Each table's column, index and unique-constraint names."""
    found = inspect(connection)
    shape: dict[str, tuple[frozenset[str], ...]] = {}
    for table in found.get_table_names():
        if table == "alembic_version" or not include_name(table, "table", None):
            continue
        uniques = frozenset(str(u["name"]) for u in found.get_unique_constraints(table))
        indexes = frozenset(str(i["name"]) for i in found.get_indexes(table)) - uniques
        columns = frozenset(c["name"] for c in found.get_columns(table))
        shape[table] = (columns, indexes, uniques)  # PostgreSQL lists uniques as indexes too
    return shape


def _baseline_shape() -> dict[str, tuple[frozenset[str], ...]]:
    engine = create_engine("sqlite://")
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), BASELINE)
            return _shape(connection)
    finally:
        engine.dispose()


def _adopt(connection: Connection) -> None:
    """Stamp a database made by ``create_all`` (before migrations) with the baseline
    revision when it has exactly the baseline's tables, columns and indexes."""
    expected, found = _baseline_shape(), _shape(connection)
    if found != expected:
        differing = sorted(set(expected) ^ set(found)) or sorted(
            t for t in expected if expected[t] != found[t]
        )
        raise SchemaMismatch(
            "this database was created before migrations, by a build whose tables differ "
            f"from the first migration ({', '.join(differing)}); export its leads as CSV and "
            "import them into a new database"
        )
    command.stamp(alembic_config(connection), BASELINE)
