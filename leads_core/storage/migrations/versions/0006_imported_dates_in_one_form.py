"""Imported leads' dates in the same text form as every other date (SQLite only).

Bulk imports handed SQLite timezone-aware datetimes, which Python's ``sqlite3`` writes as
``2026-12-03 09:30:28.730803+00:00``; SQLAlchemy writes every other date as
``2026-12-03 09:30:28.730803`` (UTC). Both read back alike, but text comparisons (date
ranges, sorts) mix the two forms. The suffix is dropped from the rows that have it.
PostgreSQL stores ``timestamptz`` values, not text: nothing to do.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (("lead", "created_at"), ("lead", "updated_at"), ("lead_activity", "created_at"))


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, column in COLUMNS:
        op.execute(
            f"UPDATE {table} SET {column} = substr({column}, 1, length({column}) - 6) "
            f"WHERE {column} LIKE '%+00:00'"
        )


def downgrade() -> None:
    """Nothing to undo: the form without the suffix is the one every version reads."""
