"""Indexes that answer every list page from one index walk at a million leads.

1. Each sort has an index that starts with the sort key, goes on with ``id`` (the
   tie-break) and then holds every filtered column (campaign, status, source, score).
   ``queries.list_leads`` walks it in order and filters in the index, never reading a
   (2 KB) row and never sorting: ``status=new`` by ``-createdAt`` at page 100 went from
   1.34 s (450,000 rows sorted) to 2 ms. The name sorts ignore case, each engine its own
   way (``leads_core.sql.Folded``: ``COLLATE NOCASE`` on SQLite, ``lower(...)`` on
   PostgreSQL), and so do their indexes; these are not in the models, and autogenerate
   ignores their names (``leads_core.migrations.IGNORED_PREFIXES``).
2. The filter indexes gain ``id`` after their sort column, so a filtered page sorted by
   score needs no sort of ties either.
3. SQLite's search table keeps the position of each trigram (``detail='full'``), so a
   word is matched as a phrase of consecutive trigrams - exactly the substring - by the
   index alone. ``LIKE`` had to re-check every candidate against its lead's text:
   ``martin`` (49,961 leads) took 170 ms at a million leads, the phrase takes 10 ms.
4. An import adds its leads to the search table in one statement before it commits
   (``leads_core.sql.index_imported``), so the insert trigger now skips imported leads.
   Fed a row at a time by the trigger, FTS5 took 12.4 s per 100,000 leads; in one
   statement, 1.4 s.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILTERED = ("campaign_id", "status", "source", "quality_score")
COVER = ("id", *FILTERED)  # after the sort key: the tie-break, then what filters read

# name: (old columns, new columns)
REPLACED = {
    "ix_lead_score": (("quality_score", "id"), ("quality_score", "id", *FILTERED[:3])),
    "ix_lead_created": (("created_at", "id", "quality_score"), ("created_at", *COVER)),
    "ix_lead_updated": (("updated_at", "id"), ("updated_at", *COVER)),
    "ix_lead_campaign_score": (
        ("campaign_id", "quality_score"),
        ("campaign_id", "quality_score", "id", "status", "source"),
    ),
    "ix_lead_campaign_created": (
        ("campaign_id", "created_at"),
        ("campaign_id", "created_at", "id", "status", "source", "quality_score"),
    ),
    "ix_lead_status": (
        ("status", "quality_score", "source", "campaign_id", "created_at"),
        ("status", "quality_score", "id", "source", "campaign_id", "created_at"),
    ),
    "ix_lead_source": (
        ("source", "quality_score", "status", "campaign_id", "created_at"),
        ("source", "quality_score", "id", "status", "campaign_id", "created_at"),
    ),
}
TEXT_SORTS = ("first_name", "last_name", "company", "email")


def text_sort_index(column: str) -> str:
    return f"ix_lead_folded_{column}"


def folded(column: str, dialect: str) -> sa.TextClause:
    """The name sort's key, as ``leads_core.sql.Folded`` writes it for each engine."""
    return sa.text(f"{column} COLLATE NOCASE" if dialect == "sqlite" else f"lower({column})")


def sqlite_search(detail: str, imported: str) -> tuple[str, ...]:
    """Make SQLite's search table again with FTS5's ``detail`` option, and its insert
    trigger for the leads ``imported`` selects (0002's other triggers stay as they are)."""
    return (
        "DROP TABLE lead_search",
        "CREATE VIRTUAL TABLE lead_search USING fts5("
        "search_text, content='lead', content_rowid='rowid', tokenize='trigram', "
        f"detail='{detail}', columnsize=0)",
        "INSERT INTO lead_search(lead_search) VALUES ('rebuild')",
        "DROP TRIGGER lead_search_insert",
        f"CREATE TRIGGER lead_search_insert AFTER INSERT ON lead {imported}BEGIN "
        "INSERT INTO lead_search(rowid, search_text) VALUES (new.rowid, new.search_text); END",
    )


def _replace(name: str, columns: Sequence[str]) -> None:
    op.drop_index(name, table_name="lead")
    op.create_index(name, "lead", list(columns))


def upgrade() -> None:
    for name, (_old, new) in REPLACED.items():
        _replace(name, new)
    dialect = op.get_bind().dialect.name
    for column in TEXT_SORTS:
        op.create_index(text_sort_index(column), "lead", [folded(column, dialect), *COVER])
    if dialect == "sqlite":
        for statement in sqlite_search("full", "WHEN new.import_id IS NULL "):
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in sqlite_search("none", ""):
            op.execute(statement)
    for column in TEXT_SORTS:
        op.drop_index(text_sort_index(column), table_name="lead")
    for name, (old, _new) in REPLACED.items():
        _replace(name, old)
