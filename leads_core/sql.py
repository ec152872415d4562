"""SQL that differs between SQLite and PostgreSQL, in one place.

Service modules build portable SQLAlchemy expressions; where the engines need different
SQL they ask this module, passing the session."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Integer, cast, func, select
from sqlmodel import Session

_JDN_TO_ORDINAL = 1721425  # Julian day number of 0000-12-31 (Python's ordinal 0)
_MIGRATION_LOCK = 0x6C656164  # 'lead': the advisory lock key held while migrating


def dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def lock_for_migration(connection: Connection) -> None:
    """Make the connection's transaction the only one migrating the database: a second
    process starting at the same moment waits here, then finds the schema up to date."""
    if connection.dialect.name == "postgresql":
        connection.execute(select(func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
    else:  # SQLite: take the write lock now, not at the first DDL statement
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def week_of(session: Session, column: Any) -> Any:
    """An expression naming the week (Monday to Sunday, UTC) of a timestamp column;
    turn its values into the Monday's date with :func:`week_start`."""
    if dialect(session) == "postgresql":
        return func.date_trunc("week", column)
    # SQLite: the Julian day number (days since a Monday) divided by 7 - plain arithmetic,
    # cheaper per row than date(column, 'weekday 0', '-6 days').
    return cast(func.julianday(column) + 0.5, Integer) // 7


def week_start(value: Any) -> date:
    """The Monday that a value of :func:`week_of` stands for."""
    if isinstance(value, datetime):
        return value.date()
    return date.fromordinal(int(value) * 7 - _JDN_TO_ORDINAL)
