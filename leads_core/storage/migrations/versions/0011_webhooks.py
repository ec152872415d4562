"""Webhooks: the endpoints, the outbox of events, and their deliveries and attempts.

``webhook_event`` is written in the transaction of the change that caused the event; the
worker fans each out to ``webhook_delivery`` (one per subscribed endpoint) and records each
HTTP request in ``webhook_attempt`` (``leads_core.services.webhooks``).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)
SEQUENCE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "webhook_endpoint",
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("events", JSON, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.String(length=300), nullable=True),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("previous_secret", sa.String(length=100), nullable=True),
        sa.Column("previous_secret_until", WHEN, nullable=True),
        sa.Column("failing_since", WHEN, nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
    )
    op.create_table(
        "webhook_event",
        sa.Column("seq", SEQUENCE, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(length=64), nullable=False, unique=True),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("lead_id", sa.String(length=64), nullable=True),
        sa.Column("endpoint_id", sa.String(length=64), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("dispatched_at", WHEN, nullable=True),
    )
    op.create_index("ix_webhook_event_pending", "webhook_event", ["dispatched_at", "seq"])
    op.create_table(
        "webhook_delivery",
        sa.Column("seq", SEQUENCE, primary_key=True, autoincrement=True),
        sa.Column(
            "endpoint_id",
            sa.String(length=64),
            sa.ForeignKey("webhook_endpoint.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "event_seq",
            SEQUENCE,
            sa.ForeignKey("webhook_event.seq", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("lead_id", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", WHEN, nullable=False),
        sa.Column("locked_until", WHEN, nullable=True),
        sa.Column("locked_by", sa.String(length=100), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("delivered_at", WHEN, nullable=True),
    )
    op.create_index("ix_webhook_delivery_due", "webhook_delivery", ["state", "next_attempt_at"])
    op.create_index(
        "ix_webhook_delivery_order", "webhook_delivery", ["endpoint_id", "lead_id", "seq"]
    )
    op.create_index(
        "ix_webhook_delivery_endpoint", "webhook_delivery", ["endpoint_id", "created_at"]
    )
    op.create_table(
        "webhook_attempt",
        sa.Column("id", SEQUENCE, primary_key=True, autoincrement=True),
        sa.Column(
            "delivery_seq",
            SEQUENCE,
            sa.ForeignKey("webhook_delivery.seq", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "endpoint_id",
            sa.String(length=64),
            sa.ForeignKey("webhook_endpoint.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("attempted_at", WHEN, nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("response", sa.String(length=1000), nullable=True),
    )
    op.create_index("ix_webhook_attempt_delivery_seq", "webhook_attempt", ["delivery_seq"])
    op.create_index(
        "ix_webhook_attempt_endpoint", "webhook_attempt", ["endpoint_id", "attempted_at"]
    )


def downgrade() -> None:
    op.drop_table("webhook_attempt")
    op.drop_table("webhook_delivery")
    op.drop_table("webhook_event")
    op.drop_table("webhook_endpoint")
