"""``lead.last_activity_at`` (indexed), and the search text rebuilt with position and notes.

1. ``last_activity_at``: when a person last did something with the lead - created it,
   edited a field, its status or owner, wrote a note, logged a call, email or meeting,
   added or finished a task (``services.leads`` / ``services.tasks`` set it); a re-score
   does not count. Filled from the lead's history: its latest entry other than a re-score,
   or its creation. Nullable: on SQLite a NOT NULL column means copying the table (a
   million leads, and the search triggers lost); every write sets it.
2. Free-text search (``q``) now looks in the position and the notes as well
   (``scoring.assess.search_text``): each lead's ``search_text`` is made again. On SQLite the
   search table's update trigger is set aside meanwhile and the table rebuilt once after
   (one pass, not a delete and an insert per lead).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from leads_core.scoring.assess import search_text

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000
READ = sa.text(
    "SELECT id, first_name, last_name, email, company, position, notes, attributes, "
    "search_text FROM lead WHERE id > :after ORDER BY id LIMIT :batch"
)
WRITE = sa.text("UPDATE lead SET search_text = :text WHERE id = :id")
UPDATE_TRIGGER = (
    "CREATE TRIGGER lead_search_update AFTER UPDATE OF search_text ON lead BEGIN "
    "INSERT INTO lead_search(lead_search, rowid, search_text) "
    "VALUES ('delete', old.rowid, old.search_text); "
    "INSERT INTO lead_search(rowid, search_text) VALUES (new.rowid, new.search_text); END"
)
BACKFILL = (
    "UPDATE lead SET last_activity_at = COALESCE(("
    "SELECT max(a.created_at) FROM lead_activity a "
    "WHERE a.lead_id = lead.id AND a.kind <> 'rescored'), created_at)"
)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.add_column("lead", sa.Column("last_activity_at", sa.DateTime(timezone=True)))
    op.execute(BACKFILL)
    op.create_index("ix_lead_last_activity", "lead", ["last_activity_at", "id"])
    if sqlite:
        op.execute("DROP TRIGGER lead_search_update")
    _rebuild_search_text()
    if sqlite:
        op.execute(UPDATE_TRIGGER)
        op.execute("INSERT INTO lead_search(lead_search) VALUES ('rebuild')")


def _rebuild_search_text() -> None:
    """Each lead's search text made again, in batches of :data:`BATCH` by id."""
    connection = op.get_bind()
    after = ""
    while True:
        rows = connection.execute(READ, {"after": after, "batch": BATCH}).mappings().all()
        if not rows:
            return
        changed = []
        for row in rows:
            values = dict(row)
            raw = values["attributes"]
            values["attributes"] = json.loads(raw) if isinstance(raw, str) else raw
            text = search_text(values)
            if text != row["search_text"]:
                changed.append({"id": row["id"], "text": text})
        if changed:
            connection.execute(WRITE, changed)
        after = rows[-1]["id"]


def downgrade() -> None:
    """The column and its index go; the search text keeps position and notes (harmless:
    the previous version searches it as it is)."""
    op.drop_index("ix_lead_last_activity", table_name="lead")
    op.drop_column("lead", "last_activity_at")  # SQLite: in place, keeps the triggers
