"""Reads for the pages, each in a session of its own.

Aggregates are cached with ``st.cache_data`` for ``TTL_S`` seconds, keyed by the database
URL, the filters and ``leads_core.services.stats.data_version`` - a cheap indexed read that changes
with any write, from this process or another (an API client, a second app process). So a
cached chart is never older than the data it shows; pages also call :func:`clear` after
their own writes, which frees the memory at once. (Arguments of a cached function whose
names start with ``_`` are not part of its key: none of these do.)

One lead, one campaign, the API keys, the team, the last imports and a page of the lead list are
read fresh on every run (small indexed reads, and not all of them move ``data_version``:
a note, a key's last use); so are exports, streamed from the database into the file."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import astuple, dataclass
from datetime import date, datetime
from typing import Any

import streamlit as st

from leads_core.access import Principal
from leads_core.config import get_settings
from leads_core.files import export
from leads_core.schemas import CampaignPublic
from leads_core.scoring import criteria as scoring_criteria
from leads_core.services import (
    apikeys,
    campaigns,
    imports,
    leads,
    queries,
    stats,
    tasks,
    users,
    views,
)
from leads_core.services.queries import LeadFilters
from leads_core.storage.db import session_scope
from leads_core.storage.models import (
    ApiKey,
    Campaign,
    ImportBatch,
    Lead,
    LeadActivity,
    SavedView,
    Task,
    User,
)

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


USERS_TTL_S = 30  # users are not in data_version: a rename shows within this


@dataclass(frozen=True)
class People:
    """Who can own leads, as the pages show them: every user's id -> name (a name two
    users share gets their email too), and the enabled ones, who can be given leads."""

    names: dict[str, str]
    enabled: tuple[str, ...]  # ids, by name

    def name(self, user_id: str | None, *, unassigned: str = "Unassigned") -> str:
        if user_id is None:
            return unassigned
        return self.names.get(user_id, "a deleted user")


@st.cache_data(ttl=USERS_TTL_S, show_spinner=False)
def _people(database_url: str) -> People:
    with session_scope() as session:
        found = users.list_users(session)  # by name
    shared = {name for name, count in Counter(u.name for u in found).items() if count > 1}
    return People(
        names={u.id: f"{u.name} ({u.email})" if u.name in shared else u.name for u in found},
        enabled=tuple(u.id for u in found if u.disabled_at is None),
    )


def people() -> People:
    """The workspace's users, for owner names and choices (cached ``USERS_TTL_S``)."""
    return _people(_database())


@dataclass(frozen=True)
class Analytics:
    scores: stats.ScoreSummary
    sources: list[stats.SourceRow]
    statuses: dict[str, int]
    weeks: list[tuple[date, int]]
    campaigns: list[stats.CampaignRow]
    owners: list[stats.OwnerRow]


@st.cache_data(ttl=TTL_S, show_spinner="Computing the charts…")
def _analytics(
    database_url: str, data_version: tuple[object, ...], filter_values: tuple[Any, ...]
) -> Analytics:
    filters = LeadFilters(*filter_values)  # filter_values: astuple(LeadFilters(...))
    with session_scope() as session:
        return Analytics(
            scores=stats.score_summary(session, filters),
            sources=stats.leads_by_source(session, filters),
            statuses=stats.status_counts(session, filters),
            weeks=stats.leads_per_week(session, filters),
            campaigns=stats.campaign_comparison(session, filters),
            owners=stats.leads_by_owner(session, filters),
        )


def analytics(data_version: tuple[object, ...], filters: LeadFilters) -> Analytics:
    """Every aggregate of the Analytics page for these filters, in one cached read."""
    return _analytics(_database(), data_version, astuple(filters))


@dataclass(frozen=True)
class LeadRecord:
    lead: Lead
    campaign: Campaign
    history: list[LeadActivity]


def lead_record(lead_id: str) -> LeadRecord:
    """The lead, its campaign and its history, oldest first (``NotFound`` if no such lead)."""
    with session_scope() as session:
        lead = leads.get_lead(session, lead_id)
        return LeadRecord(
            lead=lead,
            campaign=campaigns.get_campaign(session, lead.campaign_id),
            history=leads.lead_activity(session, lead_id),
        )


def campaign(campaign_id: str) -> CampaignPublic:
    with session_scope() as session:
        return campaigns.to_public(campaigns.get_campaign(session, campaign_id))


def criteria_matches(
    campaign_id: str, criteria: scoring_criteria.CampaignCriteria
) -> campaigns.CriteriaMatches:
    """How many of the campaign's leads meet each of ``criteria`` (read fresh)."""
    with session_scope() as session:
        return campaigns.criteria_matches(session, campaign_id, criteria)


def lead_page(filters: LeadFilters, *, page: int, limit: int, sort: str) -> queries.LeadPageResult:
    """A page of the lead list; its last page when ``page`` is past the end (the filters
    shrank the list): the result's ``page`` says which was read."""
    with session_scope() as session:
        result = queries.list_leads(session, filters=filters, page=page, limit=limit, sort=sort)
        if result.total and page > result.total_pages:
            result = queries.list_leads(
                session, filters=filters, page=result.total_pages, limit=limit, sort=sort
            )
    return result


def imports_page(*, page: int = 1, limit: int = 5) -> imports.ImportPage:
    """A page of the import history, newest first, with each import's campaign name."""
    with session_scope() as session:
        return imports.list_imports(session, page=page, limit=limit)


@dataclass(frozen=True)
class ImportRecord:
    batch: ImportBatch
    campaign_name: str
    remaining: int  # leads of the import still there
    changed: int  # of which someone changed since


def import_record(import_id: str) -> ImportRecord:
    """One import, its campaign's name and how many of its leads remain (``NotFound``)."""
    with session_scope() as session:
        batch = imports.get_import(session, import_id)
        remaining, changed = imports.remaining_leads(session, import_id)
        name = campaigns.get_campaign(session, batch.campaign_id).name
        return ImportRecord(batch, name, remaining, changed)


def api_keys(user_id: str | None = None) -> list[ApiKey]:
    """Every API key (only ``user_id``'s when given), newest first, revoked ones included
    (hashes only: no key can be read back)."""
    with session_scope() as session:
        return apikeys.list_api_keys(session, user_id=user_id)


@dataclass(frozen=True)
class Member:
    user: User
    state: str  # active, invited, disabled
    last_sign_in: datetime | None


def team() -> list[Member]:
    """Every user, by name, with their state and latest password sign-in."""
    with session_scope() as session:
        last = users.last_sign_ins(session)
        return [
            Member(user, users.state(user), last.get(user.id)) for user in users.list_users(session)
        ]


def leads_csv(lead_ids: Sequence[str]) -> bytes:
    """These leads as a CSV file, in the order of ``lead_ids``."""
    with session_scope() as session:
        return export.leads_csv_bytes(
            queries.leads_by_ids(session, lead_ids), campaign_names=campaigns.names(session)
        )


def filtered_leads_csv(filters: LeadFilters, sort: str) -> bytes:
    """Every lead matching ``filters`` as a CSV file, in ``sort`` order."""
    with session_scope() as session:
        return export.leads_csv_bytes(
            queries.iter_leads(session, filters=filters, sort=sort),
            campaign_names=campaigns.names(session),
        )


# ------------------------------------------------------------------ saved views
# Read fresh: one small indexed read, and a view saved in another browser shows at once.


def saved_views(who: Principal) -> list[SavedView]:
    """``who``'s own views and the shared ones, by name."""
    with session_scope() as session:
        return views.list_views(session, by=who)


def saved_view(view_id: str, who: Principal) -> SavedView:
    """The view if ``who`` may open it, else ``NotFound``."""
    with session_scope() as session:
        return views.get_view(session, view_id, by=who)


# ------------------------------------------------------------------ follow-ups
# Tasks are read fresh, as a lead is (small indexed reads that data_version does not see).


def lead_tasks(lead_id: str) -> list[Task]:
    """The lead's tasks, done ones too, soonest due first."""
    with session_scope() as session:
        return tasks.list_lead_tasks(session, lead_id)


@dataclass(frozen=True)
class DueTasks:
    groups: list[tasks.DueGroup]  # overdue, today, week
    leads: dict[str, Lead]  # the tasks' leads, with their names only


def due_tasks(owner_id: str | None) -> DueTasks:
    """Open tasks of ``owner_id`` (None: everyone's) overdue, due today and this week."""
    with session_scope() as session:
        groups = tasks.due_groups(session, owner_id=owner_id)
        listed = [task for group in groups for task in group.tasks]
        return DueTasks(groups=groups, leads=tasks.leads_of(session, listed))


def clear() -> None:
    """Drop every cached read (after a write made by this page)."""
    _campaign_names.clear()
    _campaign_overview.clear()
    _workspace.clear()
    _analytics.clear()
    _people.clear()
