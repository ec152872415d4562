"""The tables: a table model per table (SQLModel, snake_case columns). The schema itself
is owned by the migrations (``leads_core.storage.migrations``); the API's data models are in
``leads_core.schemas``."""

from __future__ import annotations

import types
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Column, Index, Integer, UniqueConstraint, text
from sqlalchemy import Text as SqlText
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from leads_core import sizes
from leads_core.clock import utcnow
from leads_core.fields import FIELDS, LONGEST, LeadStatus

JsonColumn = JSON().with_variant(JSONB(), "postgresql")
OrderedJson = JSON()
"""JSON whose keys keep their order on PostgreSQL too (``json``, not ``jsonb``, which sorts
them): a file's columns, in the file's order."""


class Campaign(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=sizes.CAMPAIGN_NAME)
    criteria: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JsonColumn, nullable=False)
    )
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


# ---------------------------------------------------------------- users

USER_VERSION = Column("version", Integer, nullable=False, server_default=text("1"))


class User(SQLModel, table=True):
    """A person who signs in to the dashboard and owns API keys, leads and tasks
    (``leads_core.services.users``). ``app_user``: ``user`` is reserved on PostgreSQL."""

    __tablename__ = "app_user"
    __mapper_args__ = {"version_id_col": USER_VERSION}  # If-Match, as for leads

    id: str = Field(primary_key=True, max_length=64)
    email: str = Field(max_length=320, unique=True)  # lower-cased
    name: str = Field(max_length=200)
    role: str = Field(max_length=20)  # admin | member | viewer (leads_core.access.Role)
    password_hash: str | None = Field(default=None, max_length=300)  # Argon2; None: none set
    disabled_at: datetime | None = None
    # Sign-ins (sessions, SSO identities) from before this moment are no longer accepted.
    signed_out_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    version: int = Field(default=1, sa_column=USER_VERSION)


class UserToken(SQLModel, table=True):
    """A secret handed to one user, stored as its SHA-256: a dashboard sign-in
    (``session``), an invitation or a password reset link (``invite``, ``reset``)."""

    __tablename__ = "user_token"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(foreign_key="app_user.id", max_length=64, ondelete="CASCADE", index=True)
    kind: str = Field(max_length=20)
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    expires_at: datetime
    ended_at: datetime | None = None  # signed out, or the link was used


# ---------------------------------------------------------------- imports


class ImportBatch(SQLModel, table=True):
    """One import request: where leads came from, for the home page and lead history."""

    __tablename__ = "import_batch"

    id: str = Field(primary_key=True, max_length=64)
    campaign_id: str = Field(foreign_key="campaign.id", max_length=64, ondelete="CASCADE")
    origin: str = Field(max_length=40)  # api-json, api-csv, cli, dashboard, seed
    filename: str | None = Field(default=None, max_length=500)
    actor: str | None = Field(default=None, max_length=200)  # who imported
    sheet: str | None = Field(default=None, max_length=200)  # a workbook's sheet
    # How the file's columns were read: header -> lead field, "attribute" or None.
    mapping: dict[str, Any] | None = Field(default=None, sa_column=Column(OrderedJson))
    rows: int = Field(
        default=0, sa_column_kwargs={"server_default": text("0")}
    )  # rows the request held (the file's non-blank data rows)
    imported: int = 0
    updated: int = 0
    skipped: int = 0
    errors: int = 0
    # The rows that did not import, as CSV with a Problem column (to fix and import again).
    problems: str | None = Field(default=None, sa_column=Column(SqlText))
    created_at: datetime = Field(default_factory=utcnow, index=True)
    undone_at: datetime | None = None  # DELETE /v1/imports/{id}
    undo_deleted: int | None = None
    undo_kept: int | None = None


# ---------------------------------------------------------------- leads

SORT_INDEX_COVER = ("id", "campaign_id", "status", "source", "quality_score")
"""What a sort index holds after its key: the tie-break, then the filtered columns."""


def _field_columns() -> dict[str, Any]:
    """The class body of :class:`LeadBase`: a column per field of ``leads_core.fields``."""
    annotations: dict[str, Any] = {}
    body: dict[str, Any] = {"__annotations__": annotations}
    for field in FIELDS:
        if field.kind == "status":  # a lead always has one
            annotations[field.name] = str
            body[field.name] = Field(default=LeadStatus.NEW.value, max_length=field.max_length)
        else:
            annotations[field.name] = str | None
            body[field.name] = Field(default=None, max_length=field.max_length)
    return body


if TYPE_CHECKING:
    from sqlmodel.main import SQLModelMetaclass

    class _LeadColumns(SQLModelMetaclass):
        """What mypy sees of ``Lead.first_name`` and the other columns made from FIELDS."""

        def __getattr__(cls, name: str) -> Any: ...

    class LeadBase(SQLModel, metaclass=_LeadColumns):
        """The lead's fields, as columns (their names and types come from FIELDS)."""

        def __getattr__(self, name: str) -> Any: ...

else:
    LeadBase = types.new_class(
        "LeadBase", (SQLModel,), exec_body=lambda body: body.update(_field_columns())
    )
    LeadBase.__module__ = __name__
    LeadBase.__doc__ = "The lead's fields (``leads_core.fields.FIELDS``), as columns."


# Each write to a lead adds one to it (SQLAlchemy's version counter: an ORM UPDATE or
# DELETE matches the version it read, so two edits racing cannot both land). The API
# sends it as the ETag; ``PATCH``/``DELETE`` with ``If-Match`` answer 412 when it moved on.
LEAD_VERSION = Column("version", Integer, nullable=False, server_default=text("1"))


class Lead(LeadBase, table=True):
    __mapper_args__ = {"version_id_col": LEAD_VERSION}
    __table_args__ = (
        # The duplicate rule, backed by the database: one lead per email and one per
        # LinkedIn profile in a campaign (NULLs do not collide on either engine).
        UniqueConstraint("campaign_id", "email_key", name="uq_lead_campaign_email"),
        UniqueConstraint("campaign_id", "linkedin_key", name="uq_lead_campaign_linkedin"),
        # Each list sort has an index: the sort key, id (the tie-break), then every column
        # a list filters by, so a filtered page is read by walking one index in order,
        # never sorting and never reading a (2 KB) row (queries.list_leads, migration 0003;
        # the name sorts' indexes are on lower(...) and live in the migration only). The
        # campaign, status and source indexes serve those filters with the score sort, and
        # hold every column the dashboard's aggregates group or filter by, so a filtered
        # chart reads one index: 0.5 s instead of 4-5 s for status=new at a million leads.
        Index("ix_lead_campaign_score", "campaign_id", "quality_score", "id", "status", "source"),
        Index(
            "ix_lead_campaign_created",
            *("campaign_id", "created_at", "id", "status", "source", "quality_score"),
        ),
        Index("ix_lead_score", "quality_score", "id", "campaign_id", "status", "source"),
        Index("ix_lead_created", "created_at", *SORT_INDEX_COVER),  # + weekly counts
        Index("ix_lead_updated", "updated_at", *SORT_INDEX_COVER),
        Index(
            "ix_lead_status",
            *("status", "quality_score", "id", "source", "campaign_id", "created_at"),
        ),
        Index(
            "ix_lead_source",
            *("source", "quality_score", "id", "status", "campaign_id", "created_at"),
        ),
        Index("ix_lead_import", "import_id"),
        # + the filters Analytics' "Leads by owner" checks in it (migration 0010)
        Index(
            "ix_lead_owner", *("owner_id", "quality_score", "id", "status", "source", "campaign_id")
        ),
        Index("ix_lead_last_activity", "last_activity_at", "id"),
    )

    id: str = Field(primary_key=True, max_length=64)
    campaign_id: str = Field(foreign_key="campaign.id", max_length=64, ondelete="CASCADE")
    import_id: str | None = Field(
        default=None, foreign_key="import_batch.id", max_length=64, ondelete="SET NULL"
    )
    # No ON DELETE: deleting a user first unassigns their leads, with history
    # (services.users.delete_user); SQLite cannot add a column's ON DELETE in place.
    owner_id: str | None = Field(default=None, foreign_key="app_user.id", max_length=64)
    search_text: str | None = Field(default=None, max_length=4000)  # see assess.search_text
    email_key: str | None = Field(default=None, max_length=320)
    linkedin_key: str | None = Field(default=None, max_length=1000)
    quality_score: int | None = None
    score_breakdown: dict[str, Any] | None = Field(default=None, sa_column=Column(JsonColumn))
    score_reasons: dict[str, Any] | None = Field(default=None, sa_column=Column(JsonColumn))
    enrichment: dict[str, Any] | None = Field(default=None, sa_column=Column(JsonColumn))
    # Columns of the lead's file that match no field: header -> text (``attributes``).
    attributes: dict[str, str] | None = Field(default=None, sa_column=Column(OrderedJson))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # When a person last did something with the lead (created, edited, a note, a call,
    # a task...; not a re-score): ``services.leads.touch``, migration 0008.
    last_activity_at: datetime | None = Field(default_factory=utcnow)
    version: int = Field(default=1, sa_column=LEAD_VERSION)


class LeadCount(SQLModel, table=True):
    """How many leads have each campaign, status, source and score: kept exact by triggers
    on ``lead`` (migration 0013), read for a list's total (``services.lead_counts``). A
    lead without a source counts under ``''``, one without a score under ``-1``."""

    __tablename__ = "lead_count"
    __table_args__ = {"sqlite_with_rowid": False}

    campaign_id: str = Field(primary_key=True, max_length=64)
    status: str = Field(primary_key=True, max_length=20)
    source: str = Field(primary_key=True, max_length=100)
    quality_score: int = Field(primary_key=True)
    leads: int


# ---------------------------------------------------------------- activity


class LeadActivity(SQLModel, table=True):
    """History of one lead: created, field and status changes, notes."""

    __tablename__ = "lead_activity"
    __table_args__ = (Index("ix_activity_lead_created", "lead_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    lead_id: str = Field(foreign_key="lead.id", max_length=64, ondelete="CASCADE")
    # created | field_change | status_change | note | rescored, or an activity a user logs:
    # call | email | meeting (its text in new_value, created_at when it happened)
    kind: str = Field(max_length=20)
    field: str | None = Field(default=None, max_length=40)
    old_value: str | None = Field(default=None, max_length=LONGEST)
    new_value: str | None = Field(default=None, max_length=LONGEST)
    actor: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


# ---------------------------------------------------------------- API keys


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_key"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    prefix: str = Field(max_length=20, index=True)
    key_hash: str = Field(max_length=64)
    # The user the key acts as; None: the workspace's built-in system account (admin).
    user_id: str | None = Field(
        default=None, foreign_key="app_user.id", max_length=64, ondelete="CASCADE", index=True
    )
    scope: str = Field(
        default="write", max_length=10, sa_column_kwargs={"server_default": text("'write'")}
    )  # write | read
    expires_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


# ---------------------------------------------------------------- tasks

TASK_VERSION = Column("version", Integer, nullable=False, server_default=text("1"))


class Task(SQLModel, table=True):
    """A follow-up on a lead: what to do, by when, by whom; done or not."""

    __tablename__ = "task"
    __mapper_args__ = {"version_id_col": TASK_VERSION}
    __table_args__ = (
        Index("ix_task_owner_due", "owner_id", "done_at", "due_at"),
        Index("ix_task_lead", "lead_id", "due_at"),
    )

    id: str = Field(primary_key=True, max_length=64)
    lead_id: str = Field(foreign_key="lead.id", max_length=64, ondelete="CASCADE")
    title: str = Field(max_length=sizes.TASK_TITLE)
    due_at: datetime | None = None
    owner_id: str | None = Field(
        default=None, foreign_key="app_user.id", max_length=64, ondelete="SET NULL"
    )
    done_at: datetime | None = None
    created_by: str | None = Field(default=None, max_length=200)  # the actor's label
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    version: int = Field(default=1, sa_column=TASK_VERSION)


# ---------------------------------------------------------------- saved views


class SavedView(SQLModel, table=True):
    """The Leads page's filters and sort under a name: its owner's, or shared with the team.

    ``query`` is the query string of the filters and sort with the API's parameter names
    (``status=new,contacted&sort=-createdAt``), kept as text: a view opens as the page's URL
    would, whatever the filters' code becomes."""

    __tablename__ = "saved_view"
    __table_args__ = (Index("ix_saved_view_owner", "owner_id", "name"),)

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=sizes.VIEW_NAME)
    query: str = Field(sa_column=Column(SqlText, nullable=False))
    # The user who saved it; None: the local admin of a workspace without users.
    owner_id: str | None = Field(
        default=None, foreign_key="app_user.id", max_length=64, ondelete="CASCADE"
    )
    shared: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


# ---------------------------------------------------------------- idempotent requests


class IdempotentRequest(SQLModel, table=True):
    """The response to an import sent with an ``Idempotency-Key`` header, written in the
    import's own transaction: a retry with the same key gets this response back and
    imports nothing (``leads_core.ingest.idempotency``)."""

    __tablename__ = "idempotent_request"

    api_key_id: str = Field(
        foreign_key="api_key.id", primary_key=True, max_length=64, ondelete="CASCADE"
    )
    key: str = Field(primary_key=True, max_length=255)
    fingerprint: str = Field(max_length=64)  # SHA-256 of the endpoint and the request
    response: str = Field(sa_column=Column(SqlText, nullable=False))  # the JSON body sent
    created_at: datetime = Field(default_factory=utcnow, index=True)
