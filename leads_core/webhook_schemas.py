"""The data models of webhook endpoints (beside ``leads_core.schemas``, whose base and
conventions they share: camelCase on the wire, each value checked and cleaned, times
answered as ISO 8601 UTC). The rules beyond shapes (the SSRF guard on ``url``, events
known and at least one) are ``leads_core.services.webhooks``'s, so the dashboard gets
them too."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, ConfigDict, StrictBool, StringConstraints
from pydantic import Field as DataField
from pydantic.alias_generators import to_camel
from pydantic.json_schema import WithJsonSchema

from leads_core import sizes
from leads_core.schemas import VISIBLE, ApiModel, UtcDateTime
from leads_core.text import drop_nul

EventType = Literal[
    "lead.created", "lead.updated", "lead.status_changed", "lead.deleted", "import.completed"
]
"""``leads_core.webhooks.outbox.EVENT_TYPES`` (``tests/services/test_webhooks.py`` checks
they are the same)."""
DEFAULT_OVERLAP_HOURS = 24
MAX_OVERLAP_HOURS = 168  # a week
DEFAULT_DELIVERIES = 50
MAX_DELIVERIES = 200

_Url = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=sizes.WEBHOOK_URL, pattern=VISIBLE),
    BeforeValidator(drop_nul),
    DataField(
        description="Where events are POSTed: an http(s) URL whose host is a public address "
        "(loopback, private and link-local ones are refused unless "
        "`LEADS_WEBHOOKS_ALLOW_PRIVATE=1`; metadata addresses always)",
        examples=["https://hooks.example.com/leads"],
    ),
]
_Events = Annotated[
    list[EventType],
    DataField(
        min_length=1,
        max_length=20,
        description="The event types sent to it (at least one)",
        examples=[["lead.created", "lead.status_changed"]],
    ),
]
_Description = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=sizes.WEBHOOK_DESCRIPTION),
    BeforeValidator(drop_nul),
    DataField(description='What it is for ("Slack #sales")'),
]


def _json_number(value: object) -> object:
    """A JSON number, as JSON Schema's ``integer`` reads it (``24`` and ``24.0``), not
    ``true`` or ``"24"``, which pydantic would read as 1 and 24."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("a whole number")
    return value


_STRICT = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class WebhookCreate(ApiModel):
    model_config = _STRICT

    url: _Url
    events: _Events
    description: _Description = ""


class WebhookUpdate(ApiModel):
    """Partial update: only the fields present change. `enabled: false` disables the
    endpoint (its deliveries wait), `true` enables it again and clears the reason it was
    disabled for."""

    model_config = _STRICT

    # Documented without null: an endpoint always has these (null is refused with 422).
    url: Annotated[
        _Url | None,
        WithJsonSchema({"type": "string", "maxLength": sizes.WEBHOOK_URL, "pattern": VISIBLE}),
    ] = None
    events: Annotated[
        _Events | None,
        WithJsonSchema(
            {
                "type": "array",
                "items": {"enum": list(EventType.__args__)},
                "minItems": 1,
                "maxItems": 20,
            }
        ),
    ] = None
    description: _Description | None = None
    enabled: Annotated[StrictBool | None, WithJsonSchema({"type": "boolean"})] = None


class RotateSecret(ApiModel):
    model_config = _STRICT

    overlap_hours: Annotated[int, BeforeValidator(_json_number)] = DataField(
        default=DEFAULT_OVERLAP_HOURS,
        ge=0,
        le=MAX_OVERLAP_HOURS,
        description="How long the previous secret keeps signing too (a second `v1,` "
        "signature), so receivers can switch; 0: it stops at once",
    )


class WebhookPublic(ApiModel):
    id: str = DataField(description="`whk_...`")
    url: str
    events: list[str]
    description: str
    enabled: bool
    disabled_reason: str | None = DataField(
        description='Why it is disabled: "Disabled by ann@acme.test", or "Failing since ..." '
        "when the deliveries failed for days; null while enabled"
    )
    failing_since: UtcDateTime | None = DataField(
        description="The first failed attempt since the last success; null: not failing"
    )
    previous_secret_until: UtcDateTime | None = DataField(
        description="Until when the secret before the last rotation still signs too"
    )
    created_by: str | None
    created_at: UtcDateTime
    updated_at: UtcDateTime


class WebhookWithSecret(WebhookPublic):
    secret: str = DataField(
        description="`whsec_...`: verifies the `webhook-signature` header. Shown this once: "
        "store it now"
    )


class WebhookList(ApiModel):
    webhooks: list[WebhookPublic]
    total: int


class DeliveryAttempt(ApiModel):
    """One attempt to send an event to the endpoint, or a delivery not tried yet
    (`attempt` null)."""

    delivery_id: int = DataField(description="The delivery: resend it with its id")
    event_id: str = DataField(description="`msg_...`: the `webhook-id` header")
    event_type: str
    state: Literal["pending", "delivered", "failed"] = DataField(
        description="The delivery's: `pending` (waiting for its next attempt), `delivered` "
        "(a 2xx answer), `failed` (its retries ran out)"
    )
    attempt: int | None = DataField(description="1 for the first try; null: not tried yet")
    at: UtcDateTime = DataField(description="When it was tried, or queued if not yet")
    status_code: int | None = DataField(description="The answer's status; null: no answer")
    duration_ms: float | None
    error: str | None
    next_attempt_at: UtcDateTime | None = DataField(
        description="A pending delivery's next try (held while the endpoint is disabled)"
    )


class DeliveryList(ApiModel):
    deliveries: list[DeliveryAttempt]


class Queued(ApiModel):
    """Accepted: the worker sends it shortly (not while the endpoint is disabled)."""

    event_id: str = DataField(description="`msg_...`")
    delivery_id: int | None = DataField(
        description="The new delivery (null for a test event: the worker makes it)"
    )
