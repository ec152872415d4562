"""The Leads grid: one page of leads as a DataFrame, its column configuration, and the
cell edits read back as changes per lead."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from leads_core.fields import LEAD_STATUSES
from leads_core.services.stats import HIGH_QUALITY
from leads_core.storage.models import Lead

SELECT = "select"
GOOD_BG = "#d3f2df"
#: Lead fields a user can edit in the grid (the DataFrame columns have these names).
EDITABLE = (
    "first_name",
    "last_name",
    "email",
    "company",
    "position",
    "source",
    "status",
    "notes",
    "phone",
    "linkedin_url",
    "website",
)
READ_ONLY = ("open", "quality_score", "high", "campaign", "created_at", "updated_at")
COLUMN_ORDER = (
    SELECT,
    "open",
    "quality_score",
    "high",
    "first_name",
    "last_name",
    "company",
    "position",
    "status",
    "email",
    "source",
    "notes",
    "phone",
    "linkedin_url",
    "website",
    "campaign",
    "created_at",
    "updated_at",
)


def frame(
    leads: Sequence[Lead], campaign_names: Mapping[str, str], selected: set[str]
) -> pd.DataFrame:
    """One row per lead, indexed by lead id."""
    rows = [
        {
            SELECT: lead.id in selected,
            "open": f"/lead?id={lead.id}",
            "quality_score": lead.quality_score,
            "high": "★" if (lead.quality_score or 0) >= HIGH_QUALITY else "",
            **{name: getattr(lead, name) for name in EDITABLE},
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
    for name in EDITABLE:
        df[name] = df[name].astype("string")
    df[SELECT] = df[SELECT].astype(bool)
    return df


def styled(df: pd.DataFrame) -> Any:
    """Colour the score cells by the threshold: green from 85, grey below."""

    def colour(score: Any) -> str:
        if score is None or pd.isna(score):
            return ""
        return f"background-color: {GOOD_BG}" if score >= HIGH_QUALITY else ""

    return df.style.map(colour, subset=["quality_score"])


def column_config() -> dict[str, Any]:
    cc = st.column_config
    return {
        SELECT: cc.CheckboxColumn("✓", help="Select for the bulk actions below", width=40),
        "open": cc.LinkColumn("Lead", display_text="Open", help="Open the lead's page", width=60),
        "quality_score": cc.ProgressColumn(
            "Score",
            min_value=0,
            max_value=100,
            format="%d",
            help=f"Quality score 0-100; ★ marks {HIGH_QUALITY}+ (recommended threshold)",
            width="small",
        ),
        "high": cc.TextColumn(f"{HIGH_QUALITY}+", width=40, help=f"★ = score ≥ {HIGH_QUALITY}"),
        "first_name": cc.TextColumn("First name", max_chars=1000),
        "last_name": cc.TextColumn("Last name", max_chars=1000),
        "email": cc.TextColumn("Email", max_chars=320),
        "company": cc.TextColumn("Company", max_chars=1000),
        "position": cc.TextColumn("Position", max_chars=1000),
        "source": cc.TextColumn("Source", max_chars=100),
        "status": cc.SelectboxColumn("Status", options=list(LEAD_STATUSES), required=True),
        "notes": cc.TextColumn("Notes", max_chars=20000, width="medium"),
        "phone": cc.TextColumn("Phone", max_chars=100),
        "linkedin_url": cc.LinkColumn("LinkedIn", max_chars=1000),
        "website": cc.LinkColumn("Website", max_chars=1000),
        "campaign": cc.TextColumn("Campaign"),
        "created_at": cc.DatetimeColumn("Created", format="YYYY-MM-DD HH:mm", timezone="UTC"),
        "updated_at": cc.DatetimeColumn("Updated", format="YYYY-MM-DD HH:mm", timezone="UTC"),
    }


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


def changes_by_lead(
    edited_rows: Mapping[int | str, Mapping[str, Any]], lead_ids: Sequence[str]
) -> tuple[dict[str, dict[str, Any]], dict[str, bool]]:
    """Split the editor's ``edited_rows`` ({row position: {column: value}}) into field
    changes per lead id and selection changes per lead id."""
    changes: dict[str, dict[str, Any]] = {}
    selection: dict[str, bool] = {}
    for position, cells in edited_rows.items():
        lead_id = lead_ids[int(position)]
        for column, value in cells.items():
            if column == SELECT:
                selection[lead_id] = bool(value)
            elif column in EDITABLE:
                changes.setdefault(lead_id, {})[column] = _clean(value)
    return changes, selection
