"""Lead attributes and the import history.

1. ``lead.attributes``: the columns of a lead's file that match no lead field (JSON).
2. ``import_batch``: who imported, the sheet, the column mapping, the rows read, the
   problem rows (CSV text), and the undo (when, how many leads deleted and kept).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# json, not jsonb, on PostgreSQL: jsonb sorts an object's keys, and these keep a file's
# column order (the attributes as exported, the mapping as shown).
JSON = sa.JSON()
BATCH_COLUMNS = (
    ("actor", sa.String(length=200)),
    ("sheet", sa.String(length=200)),
    ("mapping", JSON),
    ("problems", sa.Text()),
    ("undone_at", sa.DateTime(timezone=True)),
    ("undo_deleted", sa.Integer()),
    ("undo_kept", sa.Integer()),
)


def upgrade() -> None:
    # Plain ADD COLUMN (no batch mode): on SQLite a table copy would lose the search triggers.
    op.add_column("lead", sa.Column("attributes", JSON, nullable=True))
    for name, type_ in BATCH_COLUMNS:
        op.add_column("import_batch", sa.Column(name, type_, nullable=True))
    op.add_column(
        "import_batch",
        sa.Column("rows", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )


def downgrade() -> None:
    for name in ("rows", *(name for name, _ in reversed(BATCH_COLUMNS))):
        op.execute(f"ALTER TABLE import_batch DROP COLUMN {name}")
    op.execute("ALTER TABLE lead DROP COLUMN attributes")
