"""Saved views: the Leads page's filters and sort under a name, personal or shared.

``saved_view``: a name, the query string of the filters and sort (the API's parameter
names, as text), the user who saved it (none: the local admin of a workspace without
users; deleted with the user), shared with the team or not.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "saved_view",
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column(
            "owner_id",
            sa.String(length=64),
            sa.ForeignKey("app_user.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
    )
    op.create_index("ix_saved_view_owner", "saved_view", ["owner_id", "name"])


def downgrade() -> None:
    op.drop_index("ix_saved_view_owner", table_name="saved_view")
    op.drop_table("saved_view")
