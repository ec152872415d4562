"""The data models of follow-ups: tasks on a lead and the activities logged on it (beside
``leads_core.schemas``, whose base and conventions they share: camelCase on the wire, each
value checked and cleaned, times answered as ISO 8601 UTC)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, BeforeValidator, ConfigDict, StrictBool, StringConstraints
from pydantic import Field as DataField
from pydantic.alias_generators import to_camel
from pydantic.json_schema import WithJsonSchema

from leads_core import sizes
from leads_core.clock import as_utc
from leads_core.fields import BY_NAME
from leads_core.schemas import VERSION_HELP, VISIBLE, ApiModel, UtcDateTime
from leads_core.text import drop_nul

WHEN_HELP = (
    "ISO 8601 date and time (`2026-05-04T14:30:00Z`); without an offset it is UTC; a date "
    "alone is its midnight UTC"
)


_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")


def _not_a_number(value: object) -> object:
    """pydantic would read a number (or its text: a query's value) as Unix seconds; the API
    documents ISO 8601 text."""
    if isinstance(value, (int, float)) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise ValueError("an ISO 8601 date and time, not a number")
    return value


def _utc(value: datetime) -> datetime:
    try:
        return as_utc(value)
    except OverflowError:  # 0001-01-01T00:00+01:00 is no time Python holds in UTC
        raise ValueError("out of range once read as UTC") from None


UtcInput = Annotated[
    datetime,
    BeforeValidator(_not_a_number),
    AfterValidator(_utc),
    DataField(description=WHEN_HELP),
]
_TaskTitle = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=sizes.TASK_TITLE, pattern=VISIBLE),
    BeforeValidator(drop_nul),
]
_OwnerId = Annotated[
    str | None,
    StringConstraints(max_length=64),
    DataField(description="A user's id (`usr_...`), enabled; null: nobody's"),
]
ActivityType = Literal["call", "email", "meeting", "note"]
ACTIVITY_TYPES: tuple[str, ...] = get_args(ActivityType)
ACTIVITY_BODY = BY_NAME["notes"].max_length
"""The longest text of a logged activity: as long as a lead's notes."""


class TaskCreate(ApiModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    title: _TaskTitle
    due_at: UtcInput
    owner_id: _OwnerId = DataField(
        default=None,
        description="Who does it (an enabled user's `usr_...`); left out: the key's user, "
        "null: nobody's",
    )


class TaskUpdate(ApiModel):
    """Partial update: only the fields present change. `done: true` marks it done (now),
    `false` opens it again; `ownerId: null` unassigns it."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    # Documented without null: a task always has these (null is refused with 422).
    title: Annotated[
        _TaskTitle | None,
        WithJsonSchema({"type": "string", "maxLength": sizes.TASK_TITLE, "pattern": VISIBLE}),
    ] = None
    due_at: Annotated[
        UtcInput | None, WithJsonSchema({"type": "string", "format": "date-time"})
    ] = None
    done: Annotated[StrictBool | None, WithJsonSchema({"type": "boolean"})] = None
    owner_id: _OwnerId = None


class TaskPublic(ApiModel):
    id: str
    lead_id: str
    title: str
    due_at: UtcDateTime | None
    owner_id: str | None
    done: bool
    done_at: UtcDateTime | None
    created_at: UtcDateTime
    updated_at: UtcDateTime
    created_by: str | None = DataField(description="Who created it, as the history names them")
    version: int = DataField(description=VERSION_HELP.replace("PATCH or DELETE", "PATCH"))


class TaskList(ApiModel):
    tasks: list[TaskPublic]
    total: int
    page: int
    total_pages: int


class ActivityCreate(ApiModel):
    """Something done with the lead, logged in its history at the time it happened."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    type: ActivityType
    body: Annotated[
        str,
        StringConstraints(strip_whitespace=True, max_length=ACTIVITY_BODY, pattern=VISIBLE),
        BeforeValidator(drop_nul),
        DataField(description="What was said or done"),
    ]
    at: UtcInput | None = DataField(
        default=None,
        description=f"When it happened (default: now; not in the future). {WHEN_HELP}",
    )
