"""SQL that differs between SQLite and PostgreSQL, in one place.

Service modules build portable SQLAlchemy expressions; where the engines need different
SQL they ask this module, passing the session."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

import psycopg
from psycopg import sql as psql
from sqlalchemy import (
    Boolean,
    Connection,
    Integer,
    Table,
    bindparam,
    cast,
    func,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import BindParameter, ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlmodel import Session, SQLModel

_JDN_TO_ORDINAL = 1721425  # Julian day number of 0000-12-31 (Python's ordinal 0)
_RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock, serialization
_ESCAPE = " ESCAPE '\\'"
_MIGRATION_LOCK = 0x6C656164  # 'lead': the advisory lock key held while migrating


class SearchWord(ColumnElement[bool]):
    """``lead.search_text`` contains each of the (folded) words, read from the search index
    of migrations 0002-0003: on SQLite an FTS5 trigram table queried with each word as a
    phrase of consecutive trigrams, all in one query (exactly the substrings, from the
    index alone; a word shorter than a trigram is a LIKE on each lead), on PostgreSQL
    ``LIKE '%word%'`` per word, which reads its GIN trigram index.

    One query for all the words: ``james smith`` is the few leads holding both, where a
    subquery per word made SQLite look up each lead holding ``james`` (50,000)."""

    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True  # a condition as it is, not "(condition) = 1"
    _traverse_internals = [  # the statement cache keys on these; the values are parameters
        ("patterns", InternalTraversal.dp_clauseelement_list),
        ("short", InternalTraversal.dp_clauseelement_list),
        ("phrase", InternalTraversal.dp_clauseelement),
        ("escapes", InternalTraversal.dp_string_list),
        ("short_escapes", InternalTraversal.dp_string_list),
        ("indexed", InternalTraversal.dp_boolean),
    ]

    def __init__(self, words: Sequence[str], *, indexed: bool = True) -> None:
        liked = [_like_pattern(word) for word in words]
        self.patterns: list[BindParameter[str]] = [
            bindparam("search_word", p, unique=True) for p, _ in liked
        ]
        self.escapes = [_ESCAPE if escaped else "" for _, escaped in liked]
        long = [word for word in words if len(word) >= TRIGRAM]
        shorter = [_like_pattern(word) for word in words if len(word) < TRIGRAM]
        self.short: list[BindParameter[str]] = [
            bindparam("search_word", p, unique=True) for p, _ in shorter
        ]
        self.short_escapes = [_ESCAPE if escaped else "" for _, escaped in shorter]
        query = " AND ".join(fts_phrase(word) for word in long)
        self.phrase: BindParameter[str] | None = (
            bindparam("search_phrase", query, unique=True) if long else None
        )
        self.indexed = indexed  # False: SQLite checks each row against the matches


def _likes(patterns: list[Any], escapes: list[str], compiler: Any, **kw: Any) -> list[str]:
    return [
        f"lead.search_text LIKE {compiler.process(pattern, **kw)}{escape}"
        for pattern, escape in zip(patterns, escapes, strict=True)
    ]


TRIGRAM = 3


def fts_phrase(word: str) -> str:
    """An FTS5 string literal: the word as one phrase, every character taken as it is."""
    return '"' + word.replace('"', '""') + '"'


def _like_pattern(word: str) -> tuple[str, bool]:
    """``%word%`` with LIKE's own characters escaped, and whether any were."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%", escaped != word


@compiles(SearchWord)
def _search_word(element: SearchWord, compiler: Any, **kw: Any) -> str:
    return _all_of(_likes(element.patterns, element.escapes, compiler, **kw))


@compiles(SearchWord, "sqlite")
def _search_word_sqlite(element: SearchWord, compiler: Any, **kw: Any) -> str:
    terms = _likes(element.short, element.short_escapes, compiler, **kw)
    if element.phrase is not None:
        rowid = "lead.rowid" if element.indexed else "+lead.rowid"
        phrase = compiler.process(element.phrase, **kw)
        matched = f"{rowid} IN (SELECT rowid FROM lead_search WHERE lead_search MATCH {phrase})"
        terms.insert(0, matched)
    return _all_of(terms)


def _all_of(terms: list[str]) -> str:
    return terms[0] if len(terms) == 1 else "(" + " AND ".join(terms) + ")"


def count_search(session: Session, words: list[str]) -> int | None:
    """SQLite: how many leads contain every word, counted in the search index alone (no
    lead row read: 10-25 ms for 50,000-60,000 matches at a million leads). None on
    PostgreSQL, or when a word is shorter than a trigram."""
    if dialect(session) != "sqlite" or any(len(word) < TRIGRAM for word in words):
        return None
    query = " AND ".join(fts_phrase(word) for word in words)
    statement = text("SELECT count(*) FROM lead_search WHERE lead_search MATCH :query")
    return int(session.execute(statement, {"query": query}).scalar_one())


class _ColumnAs(ColumnElement[Any]):
    """A column written one way on PostgreSQL (``template``) and another on SQLite."""

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]
    template = "{}"
    sqlite_template = "{}"

    def __init__(self, column: Any) -> None:
        self.column = column
        self.type = column.type


@compiles(_ColumnAs)
def _column_as(element: _ColumnAs, compiler: Any, **kw: Any) -> str:
    return element.template.format(compiler.process(element.column, **kw))


@compiles(_ColumnAs, "sqlite")
def _column_as_sqlite(element: _ColumnAs, compiler: Any, **kw: Any) -> str:
    return element.sqlite_template.format(compiler.process(element.column, **kw))


class Folded(_ColumnAs):
    """A text column as the list sorts it, ignoring case: ``lower(column)`` on PostgreSQL,
    ``column COLLATE NOCASE`` on SQLite - the same order there (both fold ASCII letters
    only), and an index on it holds the column itself, so a walk of the name sort's index
    needs no lead row (migration 0003)."""

    inherit_cache = True
    template = "lower({})"
    sqlite_template = "{} COLLATE NOCASE"


class Unindexed(_ColumnAs):
    """A column SQLite must not look up by index (``+column``): the list walks the index
    of its sort instead and checks the condition in that index (``queries.list_leads``).
    PostgreSQL plans from its statistics and gets the plain column."""

    inherit_cache = True
    sqlite_template = "+{}"


def table_of(model: type[SQLModel]) -> Table:
    """The ``Table`` of a table model (``table=True``), e.g. for :func:`insert_rows`."""
    # SQLModel sets __table__ on every table model but does not declare it for type checkers.
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


def dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def insert_rows(
    session: Session,
    table: Table,
    names: Sequence[str],
    rows: Iterable[tuple[Any, ...]],
    ids: Collection[str],
) -> set[str]:
    """Bulk-insert rows - tuples of driver-ready values in ``names`` order, their ``ids``
    first - and return the ids stored. ``rows`` is read once, as the driver goes. The
    caller has converted each value as the driver takes it: JSON as text
    (``ingest.prepare``), datetimes through :func:`driver_value`.

    PostgreSQL: ``INSERT ... ON CONFLICT DO NOTHING RETURNING id``, in identity order so
    concurrent imports wait on each other's rows in one order rather than each holding
    what the other needs. Another transaction may store the same email or LinkedIn
    profile between our duplicate check and our insert (two app processes importing one
    file); the unique constraint decides, our insert waits for theirs to commit, and the
    row it loses is left out here - the import counts it as skipped. SQLite has one
    writer at a time and the import holds the write lock from its first statement, so
    what it checked is what it inserts into."""
    if not ids:
        return set()
    if dialect(session) == "postgresql":
        return _pg_insert_rows(session, table, names, rows)
    quote = session.get_bind().dialect.identifier_preparer.quote
    statement = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(table.name), ", ".join(map(quote, names)), ", ".join("?" * len(names))
    )
    driver = session.connection().connection.driver_connection  # in the session's transaction
    if not isinstance(driver, sqlite3.Connection):  # None: invalidated since checked out
        raise RuntimeError(f"not an open sqlite3 connection: {driver!r}")
    try:
        driver.executemany(statement, rows)  # SQLAlchemy's would want the rows in a list
    except sqlite3.Error as exc:  # raised as SQLAlchemy would (e.g. the database is busy)
        raise DBAPIError.instance(statement, None, exc, sqlite3.Error) from exc
    return set(ids)


def driver_value(session: Session, column: Any) -> Callable[[Any], Any]:
    """How ``column``'s values are handed to this session's driver (SQLAlchemy's own bind
    processor for its type, e.g. a datetime as text on SQLite)."""
    dialect = session.get_bind().dialect
    # The dialect's own type (SQLite's DATETIME writes text), not the generic DateTime,
    # whose values sqlite3 would write itself - with a "+00:00" no other date has.
    convert = column.type.dialect_impl(dialect).bind_processor(dialect)
    return convert if convert is not None else lambda value: value


def _pg_insert_rows(
    session: Session, table: Table, names: Sequence[str], rows: Iterable[tuple[Any, ...]]
) -> set[str]:
    """``COPY`` the rows into a temporary table, then one ``INSERT ... SELECT ... ON
    CONFLICT DO NOTHING RETURNING id`` in their order, in the session's transaction.

    Row-by-row ``INSERT ... RETURNING`` in psycopg's pipeline took 4.6 s for 20,000 rows,
    a third more than a plain ``executemany``; ``COPY`` hands the rows over in one stream
    and the server inserts them in one statement. JSON cells arrive as text, which the
    temporary table's own json / jsonb columns parse (json keeps its key order)."""
    columns = psql.SQL(", ").join(map(psql.Identifier, names))
    staged = psql.Identifier(f"{table.name}_import")
    driver = session.connection().connection.driver_connection
    if not isinstance(driver, psycopg.Connection):  # None: invalidated since checked out
        raise RuntimeError(f"not an open psycopg connection: {driver!r}")
    statements = (
        psql.SQL(
            "CREATE TEMPORARY TABLE {staged} ON COMMIT DROP AS "
            "SELECT {columns} FROM {table} WITH NO DATA"
        ),
        psql.SQL("COPY {staged} ({columns}) FROM STDIN"),
        psql.SQL(
            "INSERT INTO {table} ({columns}) SELECT {columns} FROM {staged} ORDER BY "
            "email_key, linkedin_key ON CONFLICT DO NOTHING RETURNING id"
        ),
    )
    create, copy, insert = (
        s.format(staged=staged, columns=columns, table=psql.Identifier(table.name))
        for s in statements
    )
    try:
        with driver.cursor() as cursor:
            cursor.execute(create)
            with cursor.copy(copy) as stream:
                for row in rows:
                    stream.write_row(row)
            cursor.execute(insert)
            written = {lead_id for (lead_id,) in cursor.fetchall()}
            cursor.execute(psql.SQL("DROP TABLE {staged}").format(staged=staged))
    except psycopg.Error as exc:  # raised as SQLAlchemy would (e.g. a deadlock to retry)
        raise DBAPIError.instance(insert.as_string(driver), None, exc, psycopg.Error) from exc
    return written


def index_imported(session: Session, batch_id: str) -> None:
    """SQLite: add the leads an import inserted to the search table, in one statement
    (its insert trigger leaves imported leads to this - migration 0003). PostgreSQL
    keeps its trigram index itself."""
    if dialect(session) == "sqlite":
        session.execute(
            text(
                "INSERT INTO lead_search(rowid, search_text) "
                "SELECT rowid, search_text FROM lead WHERE import_id = :batch"
            ),
            {"batch": batch_id},
        )


ANALYZE_AFTER_ROWS = 10_000


def analyze_after_import(session: Session, inserted: int) -> None:
    """PostgreSQL: refresh the lead table's statistics after a large import, outside its
    transaction. Until autovacuum gets to it, the planner still thinks the table as small
    as before: the next import's duplicate lookups scanned the whole table (36,000 keys
    looked up after 63,000 rows went in: 4.1 s, not 0.4). SQLite plans without statistics,
    and the list's query plans count on that (``queries``): nothing is done there."""
    if dialect(session) == "postgresql" and inserted >= ANALYZE_AFTER_ROWS:
        session.execute(text("ANALYZE lead"))
        session.commit()


def shrink_memory(session: Session) -> None:
    """SQLite: free the page cache of the session's connection (up to 64 MiB each, kept
    for the life of the pooled connection) after a large piece of work such as an
    import, outside any transaction. PostgreSQL keeps its cache in the server."""
    if dialect(session) == "sqlite" and not session.in_transaction():
        session.execute(text("PRAGMA shrink_memory"))
        session.commit()


def is_transient(exc: DBAPIError) -> bool:
    """A PostgreSQL deadlock or serialization failure: the transaction was rolled back and
    running it again can succeed."""
    return getattr(exc.orig, "sqlstate", None) in _RETRYABLE_SQLSTATES


@contextmanager
def without_waiting(session: Session) -> Iterator[None]:
    """Writes in the block fail at once (``OperationalError``) instead of waiting for
    SQLite's write lock, held by a long import: for writes that may be skipped."""
    if dialect(session) != "sqlite":
        yield
        return
    raw = session.connection().connection.dbapi_connection
    if raw is None:  # invalidated since session.connection() checked it out
        raise RuntimeError("the session's database connection is closed")
    waits = raw.execute("PRAGMA busy_timeout").fetchone()[0]
    raw.execute("PRAGMA busy_timeout=0")
    try:
        yield
    finally:  # the session still holds this connection: its transaction is open
        raw.execute(f"PRAGMA busy_timeout={int(waits)}")


def begin_write(session: Session) -> None:
    """Start the session's transaction as a writer. SQLite: ``BEGIN IMMEDIATE``, so the
    write lock is taken now (waiting up to the busy timeout) and what the transaction reads
    next cannot change before it writes; the session must not be in a transaction yet.
    PostgreSQL: nothing to do (its rows are locked with ``FOR UPDATE``)."""
    if dialect(session) == "sqlite":
        session.connection().exec_driver_sql("BEGIN IMMEDIATE")


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
