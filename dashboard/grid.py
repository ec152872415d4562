"""The Leads grid: one page of leads as a DataFrame, its column configuration, and the
cell edits read back as changes per lead.

Two checkbox columns are not lead fields: ✓ ticks a row for the bulk actions, and Open
opens the lead's page in the same tab (a link column would open a new browser tab)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
import streamlit as st

from leads_core import fields
from leads_core.scoring.rules import HIGH_QUALITY
from leads_core.storage.models import Lead

SELECT = "select"
OPEN = "open"
#: What an empty text cell shows (Streamlit's default is a grey "None").
EMPTY = "—"
GOOD_BG = "#d3f2df"
#: The columns a salesperson scans first, right after the score; the other editable fields
#: follow in the registry's order (a field added to ``leads_core.fields`` shows up there).
FIRST = ("first_name", "last_name", "company", "position", "status")
#: Lead fields a user can edit in the grid (the DataFrame columns have these names).
EDITABLE: tuple[str, ...] = (
    *FIRST,
    *(field.name for field in fields.EDITABLE if field.name not in FIRST),
)
OWNER = "owner"  # the owner's name; editing it changes owner_id
READ_ONLY = ("quality_score", "high", "campaign", "created_at", "updated_at")
COLUMN_ORDER = (
    SELECT,
    OPEN,
    "quality_score",
    "high",
    *FIRST,
    OWNER,
    *EDITABLE[len(FIRST) :],
    "campaign",
    "created_at",
    "updated_at",
)
#: A viewer's grid: only the selection (for exports) and Open can be ticked.
ALL_BUT_SELECT = tuple(c for c in COLUMN_ORDER if c not in (SELECT, OPEN))


@dataclass(frozen=True)
class Owners:
    """The owner column: each user's id -> name (every user, so a disabled owner still
    shows), and the names a writer may choose (the enabled users)."""

    names: Mapping[str, str]
    choices: Sequence[str]  # user ids

    def label(self, owner_id: str | None) -> str | None:
        return None if owner_id is None else self.names.get(owner_id, owner_id)

    def user_id(self, label: str | None) -> str | None:
        """The user a chosen name is (None: unassigned)."""
        if label is None:
            return None
        return next((i for i, name in self.names.items() if name == label), label)


def frame(
    leads: Sequence[Lead],
    campaign_names: Mapping[str, str],
    owners: Owners | None = None,
) -> pd.DataFrame:
    """One row per lead, indexed by lead id; nothing ticked (the ticks are the editor's
    edits, gone with a new grid)."""
    owners = owners or Owners({}, ())
    rows = [
        {
            SELECT: False,
            OPEN: False,
            "quality_score": lead.quality_score,
            "high": "★" if (lead.quality_score or 0) >= HIGH_QUALITY else "",
            **{name: getattr(lead, name) for name in EDITABLE},
            OWNER: owners.label(lead.owner_id),
            "campaign": campaign_names.get(lead.campaign_id, lead.campaign_id),
            "created_at": lead.created_at,
            "updated_at": lead.updated_at,
        }
        for lead in leads
    ]
    df = pd.DataFrame(rows, columns=list(COLUMN_ORDER), index=[lead.id for lead in leads])
    df["quality_score"] = df["quality_score"].astype("Int64")
    for name in ("created_at", "updated_at"):
        df[name] = pd.to_datetime(df[name], utc=True)
    for name in (*EDITABLE, OWNER):
        df[name] = df[name].astype("string")
    df[SELECT] = df[SELECT].astype(bool)
    df[OPEN] = df[OPEN].astype(bool)
    return df


def styled(df: pd.DataFrame) -> Any:
    """Colour the score cells by the threshold: green from 85, grey below."""

    def colour(score: Any) -> str:
        if score is None or pd.isna(score):
            return ""
        return f"background-color: {GOOD_BG}" if score >= HIGH_QUALITY else ""

    return df.style.map(colour, subset=["quality_score"])


def column_config(owners: Owners | None = None) -> dict[str, Any]:
    cc = st.column_config
    owners = owners or Owners({}, ())
    return {
        OWNER: cc.SelectboxColumn(
            "Owner",
            options=[owners.names[i] for i in owners.choices],
            help="Who works on the lead; empty: unassigned",
        ),
        SELECT: cc.CheckboxColumn("✓", help="Select for the bulk actions below", width=40),
        OPEN: cc.CheckboxColumn(
            "Open",
            help="Open the lead's page here (Previous / Next there walk this list)",
            width=72,
        ),
        "quality_score": cc.ProgressColumn(
            "Score",
            min_value=0,
            max_value=100,
            format="%d",
            help=f"Quality score 0-100; ★ marks {HIGH_QUALITY}+ (recommended threshold)",
            width="small",
        ),
        "high": cc.TextColumn(f"{HIGH_QUALITY}+", width=40, help=f"★ = score ≥ {HIGH_QUALITY}"),
        **{field.name: _field_column(field) for field in fields.EDITABLE},
        "campaign": cc.TextColumn("Campaign"),
        "created_at": cc.DatetimeColumn("Created", format="YYYY-MM-DD HH:mm", timezone="UTC"),
        "updated_at": cc.DatetimeColumn("Updated", format="YYYY-MM-DD HH:mm", timezone="UTC"),
    }


def _field_column(field: fields.LeadField) -> Any:
    """How the grid shows and edits one lead field, by its kind."""
    cc = st.column_config
    if field.kind == "status":
        return cc.SelectboxColumn(field.label, options=list(fields.LEAD_STATUSES), required=True)
    if field.kind == "url":
        return cc.LinkColumn(field.label, max_chars=field.max_length)
    width: Literal["medium"] | None = "medium" if field.kind == "long" else None
    return cc.TextColumn(field.label, max_chars=field.max_length, width=width)


def _clean(value: Any) -> Any:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return value


@dataclass(frozen=True)
class Shown:
    """The rows a grid showed, in order, and the version of each lead then."""

    lead_ids: list[str]
    versions: dict[str, int]

    @classmethod
    def of(cls, leads: Sequence[Lead]) -> Shown:
        return cls([lead.id for lead in leads], {lead.id: lead.version for lead in leads})


def field_cells(cells: Mapping[str, Any]) -> dict[str, Any]:
    """An edited row's cells without its two checkboxes (✓ and Open)."""
    return {column: value for column, value in cells.items() if column not in (SELECT, OPEN)}


def changes_by_lead(
    edited_rows: Mapping[int | str, Mapping[str, Any]],
    lead_ids: Sequence[str],
    owners: Owners | None = None,
) -> tuple[dict[str, dict[str, Any]], dict[str, bool]]:
    """Split the editor's ``edited_rows`` ({row position: {column: value}}) into field
    changes per lead id (an owner's name as ``owner_id``) and selection changes per lead
    id."""
    changes: dict[str, dict[str, Any]] = {}
    selection: dict[str, bool] = {}
    for position, cells in edited_rows.items():
        lead_id = lead_ids[int(position)]
        for column, value in cells.items():
            if column == SELECT:
                selection[lead_id] = bool(value)
            elif column in EDITABLE:
                changes.setdefault(lead_id, {})[column] = _clean(value)
            elif column == OWNER:
                owner = (owners or Owners({}, ())).user_id(_clean(value))
                changes.setdefault(lead_id, {})["owner_id"] = owner
    return changes, selection
