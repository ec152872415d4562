"""An index for free-text search (``q``): LIKE '%word%' on ``lead.search_text``.

SQLite: an FTS5 table with the trigram tokenizer over ``search_text`` (external content:
``lead`` itself), kept in step by triggers. PostgreSQL: a GIN trigram index
(``pg_trgm``), which LIKE uses as it is. ``leads_core.sql.search_word`` writes the
matching condition for each engine. Neither is in the models: autogenerate leaves them
alone (``leads_core.migrations.IGNORED``).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_UP = (
    "CREATE VIRTUAL TABLE lead_search USING fts5("
    "search_text, content='lead', content_rowid='rowid', tokenize='trigram', "
    "detail='none', columnsize=0)",  # LIKE needs neither positions nor sizes: 25% less work
    "CREATE TRIGGER lead_search_insert AFTER INSERT ON lead BEGIN "
    "INSERT INTO lead_search(rowid, search_text) VALUES (new.rowid, new.search_text); END",
    "CREATE TRIGGER lead_search_delete AFTER DELETE ON lead BEGIN "
    "INSERT INTO lead_search(lead_search, rowid, search_text) "
    "VALUES ('delete', old.rowid, old.search_text); END",
    "CREATE TRIGGER lead_search_update AFTER UPDATE OF search_text ON lead BEGIN "
    "INSERT INTO lead_search(lead_search, rowid, search_text) "
    "VALUES ('delete', old.rowid, old.search_text); "
    "INSERT INTO lead_search(rowid, search_text) VALUES (new.rowid, new.search_text); END",
    "INSERT INTO lead_search(lead_search) VALUES ('rebuild')",  # the leads already stored
)
SQLITE_DOWN = (
    "DROP TRIGGER lead_search_update",
    "DROP TRIGGER lead_search_delete",
    "DROP TRIGGER lead_search_insert",
    "DROP TABLE lead_search",
)
POSTGRESQL_UP = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",  # a trusted extension: the owner may create it
    "CREATE INDEX ix_lead_search_trgm ON lead USING gin (search_text gin_trgm_ops)",
)
POSTGRESQL_DOWN = ("DROP INDEX ix_lead_search_trgm",)


def _run(statements: Sequence[str]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    _run(POSTGRESQL_UP if postgresql else SQLITE_UP)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    _run(POSTGRESQL_DOWN if postgresql else SQLITE_DOWN)
