"""The engine and session factory. SQLite gets WAL, a busy timeout and foreign keys on
every connection."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.engine.interfaces import DBAPICursor, ExecutionContext
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, create_engine

from leads_core.config import Settings, get_settings
from leads_core.errors import ValidationFailed
from leads_core.storage import (
    migrations,
    models,  # noqa: F401  (registers the tables on SQLModel.metadata)
    webhook_models,  # noqa: F401
)


def _use_wal(cursor: sqlite3.Cursor, busy_timeout_ms: int) -> None:
    """WAL mode, which the file keeps once set. Switching a new file to it takes an
    exclusive lock that SQLite does not wait for: processes opening a new database at the
    same moment got "database is locked" at once. So: check first, retry briefly."""
    deadline = time.monotonic() + busy_timeout_ms / 1000
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)  # another connection is switching it: bounded by the deadline


#: The database holds leads, password and key hashes: only the account that runs the app may
#: read it. Modes set with chmod, so they do not depend on the process's umask.
PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def make_private_sqlite_file(path: Path) -> None:
    """Create the SQLite file ``path`` and its missing folders private (0700 folders, a 0600
    file; SQLite gives its -wal and -shm files the database file's mode).

    An existing folder keeps its mode: it may be shared (a volume, /srv) and is its owner's
    business. An existing database file (and its -wal/-shm) that this process's user owns
    loses its group and others' permissions: installations from before this rule get it too."""
    missing = [folder for folder in (path.parent, *path.parent.parents) if not folder.exists()]
    path.parent.mkdir(parents=True, exist_ok=True)
    for folder in missing:
        folder.chmod(PRIVATE_FOLDER)
    try:
        created = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        pass
    else:
        os.fchmod(created, PRIVATE_FILE)  # the umask may have taken more than group and others
        os.close(created)
    for file in (path, *(path.with_name(path.name + end) for end in SQLITE_COMPANIONS)):
        try:
            stat = file.stat()
        except FileNotFoundError:
            continue
        if stat.st_uid == os.geteuid() and stat.st_mode & 0o077:
            file.chmod(stat.st_mode & 0o700)


def _sqlite_pragmas(
    busy_timeout_ms: int,
) -> Callable[[sqlite3.Connection, ConnectionPoolEntry], None]:
    # Listens on SQLite engines only, whose driver (pysqlite) connects with sqlite3.
    def on_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        _use_wal(cursor, busy_timeout_ms)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB: index pages stay in memory
        cursor.close()

    return on_connect


def _refuse_nul(
    _conn: Connection,
    _cursor: DBAPICursor,
    _statement: str,
    parameters: Mapping[str, Any] | Sequence[Any],
    _context: ExecutionContext | None,
    executemany: bool,
) -> None:
    """A NUL character in a query value (an id or a filter from a URL) gets the same 422 on
    both engines: SQLite would look it up, PostgreSQL cannot take it as text at all.
    Stored text never has one (the data models drop them); bulk inserts are skipped."""
    if executemany or not parameters:
        return
    values = parameters.values() if isinstance(parameters, dict) else parameters
    if any(isinstance(v, str) and "\x00" in v for v in values):
        raise ValidationFailed("text cannot contain NUL characters (\\x00, %00 in a URL)")


def make_engine(
    database_url: str, *, busy_timeout_ms: int = 60000, pool_size: int = 5, max_overflow: int = 10
) -> Engine:
    url = make_url(database_url)
    pool = {"pool_size": pool_size, "max_overflow": max_overflow}
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            make_private_sqlite_file(Path(url.database))
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
            **(pool if url.database and url.database != ":memory:" else {}),
        )
        event.listen(engine, "connect", _sqlite_pragmas(busy_timeout_ms))
    else:
        # pre_ping: a connection the server closed (restart, failover, idle timeout) is
        # replaced before use instead of failing a request.
        # timezone=UTC: date_trunc('week', ...) and timestamptz text are UTC whatever the
        # server's or the database's own time zone (added to the URL's own ?options=).
        options = " ".join(filter(None, (str(url.query.get("options", "")), "-c timezone=UTC")))
        engine = create_engine(
            url.difference_update_query(["options"]),
            pool_pre_ping=True,
            connect_args={
                "options": options,
                # No server-side prepared statements: psycopg prepares a query after 5 runs
                # and PostgreSQL may then reuse a generic plan made when the table was
                # small - the import's duplicate lookup went from 15 ms to 1.4 s that way,
                # 100,000 rows took 162 s. Also what PgBouncer's transaction mode needs.
                "prepare_threshold": None,
            },
            **pool,
        )
    event.listen(engine, "before_cursor_execute", _refuse_nul)
    return engine


def init_db(engine: Engine) -> None:
    """Bring the schema to the newest migration (``alembic upgrade head``); idempotent.

    Runs inside one transaction holding a database-wide lock, so processes starting
    together on the same database migrate it once (see :func:`migrations.upgrade`)."""
    migrations.upgrade(engine)


@lru_cache(maxsize=1)
def get_engine(settings: Settings | None = None) -> Engine:
    """The process's engine, from ``DATABASE_URL``; creates the schema on first use."""
    settings = settings or get_settings()
    engine = make_engine(
        settings.database_url,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
    )
    init_db(engine)
    return engine


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        yield session
