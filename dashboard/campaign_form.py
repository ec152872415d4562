"""The Campaigns page's criteria widgets, and the sentences that say how many of a
campaign's leads meet its criteria ("412 of 1,203 leads match the target positions")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from leads_core.fields import BY_NAME, REQUIRABLE
from leads_core.scoring.criteria import snake_name
from leads_core.scoring.rules import SOURCE_RELIABILITY
from leads_core.services.campaigns import CriteriaMatches


def _field_label(api_name: str) -> str:
    return BY_NAME[snake_name(api_name)].label


def criteria_inputs(prefix: str, criteria: Mapping[str, Any]) -> None:
    """The three criteria widgets, keyed ``{prefix}_positions`` / ``_sources`` / ``_required``."""
    st.multiselect(
        "Target positions / titles",
        criteria.get("targetPositions", []),
        default=criteria.get("targetPositions", []),
        accept_new_options=True,
        key=f"{prefix}_positions",
        help="Type a title and press Enter. A lead whose position contains one of them "
        "as whole words earns the position points (case and accents ignored).",
    )
    sources = sorted({*SOURCE_RELIABILITY, *criteria.get("targetSources", [])})
    st.multiselect(
        "Target sources",
        sources,
        default=criteria.get("targetSources", []),
        accept_new_options=True,
        key=f"{prefix}_sources",
    )
    st.multiselect(
        "Required fields",
        list(REQUIRABLE),
        default=criteria.get("requiredFields", []),
        format_func=_field_label,
        key=f"{prefix}_required",
    )


def criteria_values(prefix: str) -> dict[str, list[str]]:
    """What the widgets of :func:`criteria_inputs` hold, as a campaign's JSON criteria."""
    state = st.session_state
    return {
        "targetPositions": [p.strip() for p in state[f"{prefix}_positions"] if p.strip()],
        "targetSources": [s.strip().lower() for s in state[f"{prefix}_sources"] if s.strip()],
        "requiredFields": list(state[f"{prefix}_required"]),
    }


def match_summary(matches: CriteriaMatches) -> str:
    """How many leads meet each criterion the campaign sets, and all of them, in words."""
    total = matches.total
    noun = "lead" if total == 1 else "leads"
    parts = [
        f"{count:,} of {total:,} {noun} {what}"
        for count, what in (
            (matches.positions, "match the target positions"),
            (matches.sources, "come from a target source"),
            (matches.required, "have every required field"),
        )
        if count is not None
    ]
    if not parts:
        return f"The campaign sets no criteria: its {total:,} {noun} all earn the match points."
    if len(parts) > 1:
        parts.append(f"{matches.all:,} meet them all")
    return "; ".join(parts) + "."
