"""Users, their sign-ins and keys; lead owners; tasks.

1. ``app_user``: email, name, role, Argon2 password hash, disabled, signed out (a version
   for If-Match). ``user_token``: sign-in sessions, invitation and reset links (hashes).
2. ``api_key``: the user it acts as (none: the system account), its scope, its expiry.
3. ``lead.owner_id`` (a user, or none), indexed with the score sort.
4. ``task``: follow-ups on a lead, with a due date, an owner and done.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)


def _version() -> sa.Column[int]:
    return sa.Column("version", sa.Integer(), nullable=False, server_default=sa.text("1"))


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column("email", sa.String(length=320), nullable=False, unique=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=True),
        sa.Column("disabled_at", WHEN, nullable=True),
        sa.Column("signed_out_at", WHEN, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        _version(),
    )
    op.create_table(
        "user_token",
        sa.Column("token_hash", sa.String(length=64), primary_key=True),
        sa.Column(
            "user_id",
            sa.String(length=64),
            sa.ForeignKey("app_user.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("last_used_at", WHEN, nullable=True),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("ended_at", WHEN, nullable=True),
    )
    op.create_index("ix_user_token_user_id", "user_token", ["user_id"])
    with op.batch_alter_table("api_key") as batch:
        batch.add_column(sa.Column("user_id", sa.String(length=64), nullable=True))
        batch.add_column(
            sa.Column(
                "scope", sa.String(length=10), nullable=False, server_default=sa.text("'write'")
            )
        )
        batch.add_column(sa.Column("expires_at", WHEN, nullable=True))
        batch.create_foreign_key(
            "fk_api_key_user_id_app_user", "app_user", ["user_id"], ["id"], ondelete="CASCADE"
        )
        batch.create_index("ix_api_key_user_id", ["user_id"])
    _add_lead_owner()
    op.create_table(
        "task",
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column(
            "lead_id",
            sa.String(length=64),
            sa.ForeignKey("lead.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("due_at", WHEN, nullable=True),
        sa.Column(
            "owner_id",
            sa.String(length=64),
            sa.ForeignKey("app_user.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("done_at", WHEN, nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        _version(),
    )
    op.create_index("ix_task_owner_due", "task", ["owner_id", "done_at", "due_at"])
    op.create_index("ix_task_lead", "task", ["lead_id", "due_at"])


def _add_lead_owner() -> None:
    """``lead.owner_id``. SQLite adds a column with its REFERENCES clause in place (a
    batch would copy a million leads and drop the search triggers), and SQLAlchemy reads no
    ON DELETE back from such a clause: there is none, deleting a user unassigns first."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE lead ADD COLUMN owner_id VARCHAR(64) REFERENCES app_user (id)")
    else:
        op.add_column("lead", sa.Column("owner_id", sa.String(length=64), nullable=True))
        op.create_foreign_key("lead_owner_id_fkey", "lead", "app_user", ["owner_id"], ["id"])
    op.create_index("ix_lead_owner", "lead", ["owner_id", "quality_score", "id"])


def downgrade() -> None:
    op.drop_table("task")
    op.drop_index("ix_lead_owner", table_name="lead")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE lead DROP COLUMN owner_id")  # no batch: keeps the triggers
    else:
        op.drop_constraint("lead_owner_id_fkey", "lead", type_="foreignkey")
        op.drop_column("lead", "owner_id")
    with op.batch_alter_table("api_key") as batch:
        batch.drop_index("ix_api_key_user_id")
        batch.drop_constraint("fk_api_key_user_id_app_user", type_="foreignkey")
        for name in ("expires_at", "scope", "user_id"):
            batch.drop_column(name)
    op.drop_table("user_token")
    op.drop_table("app_user")
