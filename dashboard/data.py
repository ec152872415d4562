"""Cached reads for the pages.

Aggregates are cached with ``st.cache_data`` for ``TTL_S`` seconds, keyed by the database
URL, the filters and ``leads_core.stats.data_version`` - a cheap indexed read that changes
with any write, from this process or another (an API client, a second app process). So a
cached chart is never older than the data it shows; pages also call :func:`clear` after
their own writes, which frees the memory at once. (Arguments of a cached function whose
names start with ``_`` are not part of its key: none of these do.)"""

from __future__ import annotations

from dataclasses import astuple, dataclass
from datetime import date

import streamlit as st

from leads_core.config import get_settings
from leads_core.services import campaigns, stats
from leads_core.services.queries import LeadFilters
from leads_core.storage.db import session_scope

TTL_S = 300


def _database() -> str:
    return get_settings().database_url


def version() -> tuple[object, ...]:
    with session_scope() as session:
        return stats.data_version(session)


@st.cache_data(ttl=TTL_S, show_spinner=False)
def _campaign_names(database_url: str, data_version: tuple[object, ...]) -> dict[str, str]:
    with session_scope() as session:
        return {c.id: c.name for c in campaigns.list_campaigns(session)}


def campaign_names(data_version: tuple[object, ...]) -> dict[str, str]:
    """Campaign id -> name, oldest campaign first."""
    return _campaign_names(_database(), data_version)


@st.cache_data(ttl=TTL_S, show_spinner=False)
def _workspace(database_url: str, data_version: tuple[object, ...]) -> stats.WorkspaceCounts:
    with session_scope() as session:
        return stats.workspace_counts(session)


def workspace(data_version: tuple[object, ...]) -> stats.WorkspaceCounts:
    return _workspace(_database(), data_version)


@st.cache_data(ttl=TTL_S, show_spinner=False)
def _campaign_overview(
    database_url: str, data_version: tuple[object, ...]
) -> dict[str, stats.CampaignRow]:
    with session_scope() as session:
        rows = stats.campaign_comparison(session, LeadFilters(), include_empty=True)
    return {row.campaign_id: row for row in rows}


def campaign_overview(data_version: tuple[object, ...]) -> dict[str, stats.CampaignRow]:
    """Every campaign's lead count, average score and 85+ count (0 leads included)."""
    return _campaign_overview(_database(), data_version)


@dataclass(frozen=True)
class Analytics:
    scores: stats.ScoreSummary
    sources: list[stats.SourceRow]
    statuses: dict[str, int]
    weeks: list[tuple[date, int]]
    campaigns: list[stats.CampaignRow]


@st.cache_data(ttl=TTL_S, show_spinner="Computing the charts…")
def _analytics(
    database_url: str, data_version: tuple[object, ...], filter_values: tuple[object, ...]
) -> Analytics:
    filters = LeadFilters(*filter_values)
    with session_scope() as session:
        return Analytics(
            scores=stats.score_summary(session, filters),
            sources=stats.leads_by_source(session, filters),
            statuses=stats.status_counts(session, filters),
            weeks=stats.leads_per_week(session, filters),
            campaigns=stats.campaign_comparison(session, filters),
        )


def analytics(data_version: tuple[object, ...], filters: LeadFilters) -> Analytics:
    """Every aggregate of the Analytics page for these filters, in one cached read."""
    return _analytics(_database(), data_version, astuple(filters))


def clear() -> None:
    """Drop every cached read (after a write made by this page)."""
    _campaign_names.clear()
    _campaign_overview.clear()
    _workspace.clear()
    _analytics.clear()
