"""The ``rate_limit`` table: each API key's allowance, shared by every app process on a
PostgreSQL database (``leads_core.storage.rate_limits.PostgresStore``). One row per key: its
GCRA "theoretical arrival time" in microseconds since the epoch.

PostgreSQL only. UNLOGGED: it writes no WAL, so the update each request makes costs no log
flush at commit; after a crash the table comes back empty, which only gives each key its
whole allowance again. A low fillfactor leaves room on each page for the row's next
version, so the updates stay HOT (no index entry to write). SQLite keeps the allowances in
the app process's memory (one process; a write per request would queue behind imports for
the database's write lock), so it gets no table.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE UNLOGGED TABLE rate_limit ("
        " key TEXT PRIMARY KEY,"
        " tat BIGINT NOT NULL"
        ") WITH (fillfactor = 50)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_table("rate_limit")
