"""Test databases on either engine: each test gets a new, migrated database.

``make test`` runs the suite twice: ``--engine sqlite`` (a file per test, copied from a
migrated template file) and ``--engine postgresql`` (a database per test, cloned with
``CREATE DATABASE ... TEMPLATE`` in a throwaway cluster the run starts). The template is
migrated once per pytest process by the product's own ``init_db``.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import NullPool, create_engine, make_url, text
from sqlalchemy.engine import Engine

from leads_core.storage import migrations
from leads_core.storage.db import init_db, make_engine

ENGINES = ("sqlite", "postgresql")


def make_pre_migration_database(engine: Engine) -> None:
    """What ``create_all`` of the last build before migrations made: the first revision's
    tables, without ``alembic_version``."""
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(migrations.alembic_config(connection), migrations.BASELINE)
        connection.execute(text("DROP TABLE alembic_version"))


@dataclass
class TestDatabases:
    engine: str  # "sqlite" or "postgresql"
    workdir: Path
    admin_url: str | None = None  # postgresql: the server's maintenance database
    worker: str = "main"
    _template: str | None = field(default=None, init=False)
    _admin: Engine | None = field(default=None, init=False)

    __test__ = False  # not a test class, whatever its name

    @property
    def is_postgresql(self) -> bool:
        return self.engine == "postgresql"

    def _admin_execute(self, statement: str) -> None:
        if self._admin is None:
            assert self.admin_url, "no PostgreSQL server for --engine postgresql"
            self._admin = create_engine(
                self.admin_url, poolclass=NullPool, isolation_level="AUTOCOMMIT"
            )
        with self._admin.connect() as connection:
            connection.execute(text(statement))

    def _url_of(self, name: str) -> str:
        assert self.admin_url
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def _template_name(self) -> str:
        """The migrated template, made on first use."""
        if self._template is None:
            name = f"tpl_{self.worker}_{uuid.uuid4().hex[:6]}"
            if self.is_postgresql:
                self._admin_execute(f'CREATE DATABASE "{name}"')
                url = self._url_of(name)
            else:
                url = f"sqlite:///{self.workdir / (name + '.db')}"
            engine = make_engine(url)
            init_db(engine)
            engine.dispose()  # a template database must have no connection left
            self._template = name
        return self._template

    def new(self, tmp_path: Path, *, migrated: bool = True) -> str:
        """The URL of a new database: migrated to head, or empty (no tables at all)."""
        if not self.is_postgresql:
            path = tmp_path / ("leads.db" if migrated else "new.db")
            if migrated:
                shutil.copyfile(self.workdir / (self._template_name() + ".db"), path)
            return f"sqlite:///{path}"
        name = f"t_{uuid.uuid4().hex[:12]}"
        template = self._template_name() if migrated else "template0"
        self._admin_execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self._url_of(name)

    def drop(self, url: str) -> None:
        """Drop a PostgreSQL test database (closing whatever still uses it); SQLite files
        go with pytest's tmp_path."""
        if self.is_postgresql:
            self._admin_execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')

    def close(self) -> None:
        if self._template and self.is_postgresql:
            self._admin_execute(f'DROP DATABASE IF EXISTS "{self._template}" WITH (FORCE)')
        if self._admin is not None:
            self._admin.dispose()
