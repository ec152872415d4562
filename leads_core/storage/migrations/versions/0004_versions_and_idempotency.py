"""Lead versions (ETag / If-Match) and stored responses of idempotent imports.

1. ``lead.version``: each write to a lead adds one (SQLAlchemy's version counter). A
   constant default: both engines add the column without rewriting the table.
2. ``idempotent_request``: the response to an import sent with an ``Idempotency-Key``,
   written in the import's transaction; kept 24 hours (``leads_core.ingest.idempotency``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "lead", sa.Column("version", sa.Integer(), nullable=False, server_default=sa.text("1"))
    )
    op.create_table(
        "idempotent_request",
        sa.Column("api_key_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["api_key_id"], ["api_key.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("api_key_id", "key"),
    )
    op.create_index("ix_idempotent_request_created_at", "idempotent_request", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_idempotent_request_created_at", table_name="idempotent_request")
    op.drop_table("idempotent_request")
    # Not batch mode: on SQLite that copies the table and loses its search triggers.
    op.execute("ALTER TABLE lead DROP COLUMN version")
