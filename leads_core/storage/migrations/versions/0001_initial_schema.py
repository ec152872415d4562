"""Initial schema: campaigns, imports, leads with their history, API keys.

The tables and indexes ``create_all`` made before migrations existed, written with plain
SQLAlchemy types so this file keeps meaning the same whatever the models become.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _id() -> sa.Column[str]:
    return sa.Column("id", sa.String(length=64), primary_key=True)


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "api_key",
        _id(),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=20), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        _timestamp("created_at"),
        _timestamp("last_used_at", nullable=True),
        _timestamp("revoked_at", nullable=True),
    )
    op.create_index("ix_api_key_prefix", "api_key", ["prefix"])

    op.create_table(
        "campaign",
        _id(),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("criteria", JSON, nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
    )

    op.create_table(
        "import_batch",
        _id(),
        sa.Column(
            "campaign_id",
            sa.String(length=64),
            sa.ForeignKey("campaign.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("origin", sa.String(length=40), nullable=False),
        sa.Column("filename", sa.String(length=500), nullable=True),
        sa.Column("imported", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        _timestamp("created_at"),
    )
    op.create_index("ix_import_batch_created_at", "import_batch", ["created_at"])

    text = {
        "first_name": 1000,
        "last_name": 1000,
        "email": 320,
        "company": 1000,
        "position": 1000,
        "source": 100,
        "linkedin_url": 1000,
        "phone": 100,
        "website": 1000,
    }
    op.create_table(
        "lead",
        *(sa.Column(name, sa.String(length=n), nullable=True) for name, n in text.items()),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("notes", sa.String(length=20000), nullable=True),
        _id(),
        sa.Column(
            "campaign_id",
            sa.String(length=64),
            sa.ForeignKey("campaign.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "import_id",
            sa.String(length=64),
            sa.ForeignKey("import_batch.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("search_text", sa.String(length=4000), nullable=True),
        sa.Column("email_key", sa.String(length=320), nullable=True),
        sa.Column("linkedin_key", sa.String(length=1000), nullable=True),
        sa.Column("quality_score", sa.Integer(), nullable=True),
        sa.Column("score_breakdown", JSON, nullable=True),
        sa.Column("score_reasons", JSON, nullable=True),
        sa.Column("enrichment", JSON, nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.UniqueConstraint("campaign_id", "email_key", name="uq_lead_campaign_email"),
        sa.UniqueConstraint("campaign_id", "linkedin_key", name="uq_lead_campaign_linkedin"),
    )
    for name, columns in {
        "ix_lead_campaign_score": ["campaign_id", "quality_score"],
        "ix_lead_campaign_created": ["campaign_id", "created_at"],
        "ix_lead_score": ["quality_score", "id"],
        "ix_lead_created": ["created_at", "id", "quality_score"],
        "ix_lead_updated": ["updated_at", "id"],
        "ix_lead_status": ["status", "quality_score", "source", "campaign_id", "created_at"],
        "ix_lead_source": ["source", "quality_score", "status", "campaign_id", "created_at"],
        "ix_lead_import": ["import_id"],
    }.items():
        op.create_index(name, "lead", columns)

    op.create_table(
        "lead_activity",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "lead_id",
            sa.String(length=64),
            sa.ForeignKey("lead.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=True),
        sa.Column("old_value", sa.String(length=20000), nullable=True),
        sa.Column("new_value", sa.String(length=20000), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=True),
        _timestamp("created_at"),
    )
    op.create_index("ix_activity_lead_created", "lead_activity", ["lead_id", "created_at"])


def downgrade() -> None:
    for table in ("lead_activity", "lead", "import_batch", "campaign", "api_key"):
        op.drop_table(table)
