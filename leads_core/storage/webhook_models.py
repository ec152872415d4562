"""The webhook tables (migration 0011): the endpoints, the outbox of events, and their
deliveries and attempts (``leads_core.webhooks``, ``leads_core.services.webhooks``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer
from sqlalchemy import Text as SqlText
from sqlmodel import Field, SQLModel

from leads_core import sizes
from leads_core.clock import utcnow
from leads_core.storage.models import JsonColumn

SEQUENCE = BigInteger().with_variant(Integer, "sqlite")  # SQLite: INTEGER PRIMARY KEY = rowid


class WebhookEndpoint(SQLModel, table=True):
    """A subscriber: a URL that gets the chosen events, signed with its secret
    (``leads_core.services.webhooks``). The secret is kept as is, not hashed: every
    delivery is signed with it. After a rotation the previous secret signs too, until
    ``previous_secret_until``."""

    __tablename__ = "webhook_endpoint"

    id: str = Field(primary_key=True, max_length=64)  # whk_...
    url: str = Field(max_length=sizes.WEBHOOK_URL)
    description: str = Field(default="", max_length=sizes.WEBHOOK_DESCRIPTION)
    events: list[str] = Field(default_factory=list, sa_column=Column(JsonColumn, nullable=False))
    enabled: bool = Field(default=True)
    # Why it is disabled: by whom, or failing since when; None while enabled.
    disabled_reason: str | None = Field(default=None, max_length=300)
    # whsec_ + base64 of 24 random bytes; left out of repr() so no log line holds one
    secret: str = Field(max_length=100, repr=False)
    previous_secret: str | None = Field(default=None, max_length=100, repr=False)
    previous_secret_until: datetime | None = None
    # The first failed attempt since the last success: failing for days disables it.
    failing_since: datetime | None = None
    created_by: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class WebhookEvent(SQLModel, table=True):
    """The outbox: one row per event, written in the transaction of the change that caused
    it, and fanned out to the subscribed endpoints' deliveries by the worker.

    ``body`` is the JSON sent (``{"type", "timestamp", "data"}``), fixed when the event is
    written: every attempt sends the same bytes under the same ``webhook-id`` (``id``)."""

    __tablename__ = "webhook_event"
    __table_args__ = (Index("ix_webhook_event_pending", "dispatched_at", "seq"),)

    seq: int | None = Field(
        default=None, sa_column=Column(SEQUENCE, primary_key=True, autoincrement=True)
    )  # the order events were written in
    id: str = Field(max_length=64, unique=True)  # msg_...: the webhook-id header
    type: str = Field(max_length=40)
    lead_id: str | None = Field(default=None, max_length=64)  # no key: the lead may be gone
    # A test event goes to this endpoint alone; None: to every endpoint subscribed to type.
    endpoint_id: str | None = Field(default=None, max_length=64)
    body: str = Field(sa_column=Column(SqlText, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    dispatched_at: datetime | None = None  # fanned out to the deliveries


class WebhookDelivery(SQLModel, table=True):
    """One event to one endpoint: pending until a 2xx answer, retried with growing delays;
    ``failed`` when the retries ran out. A worker holds it by a lease while sending."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        Index("ix_webhook_delivery_due", "state", "next_attempt_at"),
        Index("ix_webhook_delivery_order", "endpoint_id", "lead_id", "seq"),
        Index("ix_webhook_delivery_endpoint", "endpoint_id", "created_at"),
    )

    seq: int | None = Field(
        default=None, sa_column=Column(SEQUENCE, primary_key=True, autoincrement=True)
    )
    endpoint_id: str = Field(foreign_key="webhook_endpoint.id", max_length=64, ondelete="CASCADE")
    event_seq: int = Field(
        sa_column=Column(
            SEQUENCE, ForeignKey("webhook_event.seq", ondelete="CASCADE"), nullable=False
        )
    )
    lead_id: str | None = Field(default=None, max_length=64)  # the event's, for per-lead order
    state: str = Field(default="pending", max_length=20)  # pending | delivered | failed
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    locked_until: datetime | None = None  # the lease of the worker sending it
    locked_by: str | None = Field(default=None, max_length=100)
    last_status: int | None = None  # the last answer's HTTP status; None: no answer
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    delivered_at: datetime | None = None


class WebhookAttempt(SQLModel, table=True):
    """One HTTP request of a delivery, for the endpoint's page: when, what answer, how long."""

    __tablename__ = "webhook_attempt"
    __table_args__ = (Index("ix_webhook_attempt_endpoint", "endpoint_id", "attempted_at"),)

    id: int | None = Field(
        default=None, sa_column=Column(SEQUENCE, primary_key=True, autoincrement=True)
    )
    delivery_seq: int = Field(
        sa_column=Column(
            SEQUENCE,
            ForeignKey("webhook_delivery.seq", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    endpoint_id: str = Field(foreign_key="webhook_endpoint.id", max_length=64, ondelete="CASCADE")
    attempt: int  # 1 for the first try
    attempted_at: datetime = Field(default_factory=utcnow)
    status_code: int | None = None  # None: no answer (timeout, refused, blocked address)
    duration_ms: float = 0.0
    error: str | None = Field(default=None, max_length=500)
    response: str | None = Field(default=None, max_length=1000)  # the answer's first bytes
