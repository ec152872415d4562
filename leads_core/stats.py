"""Aggregates for the dashboard, computed in SQL."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from leads_core.campaigns import count_campaigns
from leads_core.leads import count_leads


@dataclass(frozen=True)
class WorkspaceCounts:
    leads: int
    campaigns: int


def workspace_counts(session: Session) -> WorkspaceCounts:
    return WorkspaceCounts(leads=count_leads(session), campaigns=count_campaigns(session))
