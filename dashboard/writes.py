"""Writes the pages make, each in a session of its own: take plain values (ids, validated
data models, a progress callback), call ``leads_core``, return what it returned.

The rules live in ``leads_core``; these only open the session and add what the dashboard
always passes: who acts (``auth.acting``: the signed-in user, checked again now, whose role
must allow the write, else ``Forbidden``; their label names them in the history), the
origin of imports, and the phone region and import limits from the settings.
``LeadsError`` goes through to the page that shows it; clearing cached reads and telling
the user are the page's business."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from dashboard.auth import acting
from leads_core.access import Action, Role, Scope
from leads_core.config import get_settings
from leads_core.ingest import demo, importing
from leads_core.ingest.options import (
    NEW_CAMPAIGN,
    ImportOptions,
    ImportOutcome,
    OnDuplicate,
    Progress,
)
from leads_core.schemas import CampaignCreate, CampaignUpdate, LeadUpdate
from leads_core.services import (
    apikeys,
    bulk,
    campaigns,
    imports,
    leads,
    rescoring,
    tasks,
    users,
    views,
)
from leads_core.services.queries import LeadFilters
from leads_core.storage.db import session_scope
from leads_core.storage.models import (
    ApiKey,
    Campaign,
    Lead,
    LeadActivity,
    SavedView,
    Task,
    User,
)
from leads_core.task_schemas import ActivityCreate, TaskCreate, TaskUpdate

# ------------------------------------------------------------------ leads


def update_lead(lead_id: str, changes: LeadUpdate, *, expected_version: int) -> Lead:
    """Save the fields set in ``changes`` (re-scored if needed), unless the lead is no
    longer at ``expected_version`` (``PreconditionFailed``)."""
    who = acting(Action.WRITE)
    with session_scope() as session:
        return leads.update_lead(
            session,
            lead_id,
            changes,
            region=get_settings().phone_region,
            actor=who.label,
            expected_version=expected_version,
        )


def add_note(lead_id: str, text: str) -> Lead:
    who = acting(Action.WRITE)
    with session_scope() as session:
        return leads.add_note(session, lead_id, text, actor=who.label)


def delete_lead(lead_id: str, *, expected_version: int) -> None:
    acting(Action.WRITE)
    with session_scope() as session:
        leads.delete_lead(session, lead_id, expected_version=expected_version)


def set_status(lead_ids: Sequence[str], status: str) -> int:
    """How many of the leads changed status."""
    who = acting(Action.WRITE)
    with session_scope() as session:
        return leads.set_status(session, lead_ids, status, actor=who.label)


def set_owner(lead_ids: Sequence[str], owner_id: str | None) -> int:
    """How many of the leads changed owner (``owner_id`` None: unassigned)."""
    who = acting(Action.WRITE)
    with session_scope() as session:
        return leads.set_owner(session, lead_ids, owner_id, actor=who.label)


def delete_leads(lead_ids: Sequence[str]) -> int:
    """How many of the leads existed, and are deleted with their history."""
    acting(Action.WRITE)
    with session_scope() as session:
        return leads.delete_leads(session, lead_ids)


def set_status_matching(filters: LeadFilters, status: str) -> int:
    """Move every lead matching ``filters`` to ``status``; how many changed."""
    who = acting(Action.WRITE)
    with session_scope() as session:
        return bulk.set_status_matching(session, filters, status, actor=who.label)


def set_owner_matching(filters: LeadFilters, owner_id: str | None) -> int:
    """Give every lead matching ``filters`` to ``owner_id``; how many changed."""
    who = acting(Action.WRITE)
    with session_scope() as session:
        return bulk.set_owner_matching(session, filters, owner_id, actor=who.label)


def delete_matching(filters: LeadFilters) -> int:
    """Delete every lead matching ``filters`` with its history; how many."""
    acting(Action.WRITE)
    with session_scope() as session:
        return bulk.delete_matching(session, filters)


# ------------------------------------------------------------------ follow-ups


def add_task(lead_id: str, data: TaskCreate) -> Task:
    who = acting(Action.WRITE)
    with session_scope() as session:
        return tasks.create_task(session, lead_id, data, actor=who.label)


def update_task(task_id: str, changes: TaskUpdate, *, expected_version: int) -> Task:
    """Change the task (done, title, due, owner), unless it is no longer at
    ``expected_version`` (``PreconditionFailed``)."""
    who = acting(Action.WRITE)
    with session_scope() as session:
        return tasks.update_task(
            session, task_id, changes, actor=who.label, expected_version=expected_version
        )


def log_activity(lead_id: str, data: ActivityCreate) -> LeadActivity:
    who = acting(Action.WRITE)
    with session_scope() as session:
        return tasks.log_activity(session, lead_id, data, actor=who.label)


# ------------------------------------------------------------------ campaigns


def create_campaign(body: CampaignCreate) -> Campaign:
    acting(Action.WRITE)
    with session_scope() as session:
        return campaigns.create_campaign(session, data=body)


def update_campaign(campaign_id: str, changes: CampaignUpdate) -> Campaign:
    acting(Action.WRITE)
    with session_scope() as session:
        return campaigns.update_campaign(session, campaign_id, changes)


def delete_campaign(campaign_id: str) -> None:
    """Delete the campaign with its leads."""
    acting(Action.DELETE_CAMPAIGN)
    with session_scope() as session:
        campaigns.delete_campaign(session, campaign_id, delete_leads=True)


def rescore_campaign(campaign_id: str, *, progress: Callable[[int, int], object]) -> int:
    """Score the campaign's leads again against its criteria; how many scores changed."""
    acting(Action.WRITE)
    with session_scope() as session:
        return rescoring.rescore_campaign(
            session, campaign_id, region=get_settings().phone_region, progress=progress
        )


# ------------------------------------------------------------------ saved views


def save_view(name: str, params: Mapping[str, str], *, shared: bool) -> SavedView:
    """Save the page's filters and sort (its query parameters) as a view of one's own,
    shared with the team or not (sharing needs the right to write)."""
    who = acting(Action.READ)
    with session_scope() as session:
        return views.create_view(session, name=name, params=dict(params), shared=shared, by=who)


def delete_view(view_id: str) -> None:
    """Delete one's own view, or a shared one for an admin."""
    who = acting(Action.READ)
    with session_scope() as session:
        views.delete_view(session, view_id, by=who)


# ------------------------------------------------------------------ imports


def import_file(
    data: bytes,
    *,
    campaign: str | CampaignCreate,
    mapping: Mapping[str, str | None],
    sheet: str | None,
    auto_score: bool,
    on_duplicate: OnDuplicate,
    filename: str,
    progress: Progress | None = None,
    dry_run: bool = False,
    owners: Sequence[str] = (),
) -> tuple[str, ImportOutcome]:
    """Import a CSV file or a workbook into the campaign with id ``campaign``, or into a
    new campaign created first, its new leads given to ``owners`` in turn; returns that
    campaign's id and the outcome. A dry run writes nothing, not even the new campaign."""
    who = acting(Action.WRITE)
    settings = get_settings()
    with session_scope() as session:
        if isinstance(campaign, CampaignCreate):
            campaign = (
                NEW_CAMPAIGN if dry_run else campaigns.create_campaign(session, data=campaign).id
            )
        outcome = importing.import_file(
            session,
            data,
            ImportOptions.from_settings(
                settings,
                campaign_id=campaign,
                mapping=mapping,
                sheet=sheet,
                auto_score=auto_score,
                on_duplicate=on_duplicate,
                dry_run=dry_run,
                origin="dashboard",
                filename=filename,
                actor=who.label,
                owners=tuple(owners),
                progress=progress,
            ),
        )
    return campaign, outcome


def undo_import(import_id: str) -> tuple[int, int]:
    """Delete the leads the import created that nobody changed since: (deleted, kept)."""
    acting(Action.WRITE)
    with session_scope() as session:
        return imports.undo_import(session, import_id)


def load_demo(leads_count: int) -> demo.DemoResult:
    """Five demo campaigns holding ``leads_count`` realistic leads."""
    acting(Action.WRITE)
    with session_scope() as session:
        return demo.seed_demo(session, leads=leads_count, region=get_settings().phone_region)


# ------------------------------------------------------------------ API keys


def create_api_key(
    name: str,
    *,
    user_id: str | None,
    scope: Scope = Scope.WRITE,
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """A key acting as ``user_id`` (one's own, or anyone's for an admin): the stored key
    and its plain text, which is not stored: show it once."""
    who = acting(Action.OWN_KEYS)
    if user_id != who.user_id:
        who.require(Action.MANAGE)
    with session_scope() as session:
        return apikeys.create_api_key(
            session, name=name, user_id=user_id, scope=scope, expires_at=expires_at
        )


def revoke_api_key(key_id: str) -> ApiKey:
    """Revoke one's own key, or any key for an admin (another's is ``NotFound``)."""
    who = acting(Action.OWN_KEYS)
    with session_scope() as session:
        return apikeys.revoke_api_key(session, key_id, by=who)


# ------------------------------------------------------------------ users (admins)


def invite_user(email: str, name: str, role: Role | str) -> tuple[User, str]:
    """A user without a password and their one-time invitation token (show it once)."""
    acting(Action.MANAGE)
    with session_scope() as session:
        user = users.create_user(session, email=email, name=name, role=role)
        return user, users.issue_link(session, user.id, "invite")


def reset_link(user_id: str) -> str:
    """A one-time link to choose a new password (earlier ones stop working)."""
    acting(Action.MANAGE)
    with session_scope() as session:
        return users.issue_link(session, user_id, "reset")


def set_password(user_id: str, password: str) -> User:
    acting(Action.MANAGE)
    with session_scope() as session:
        return users.set_password(session, user_id, password)


def update_user(user_id: str, changes: users.UserChanges, *, expected_version: int) -> User:
    """Rename, change the role, disable or enable, unless someone else changed the user
    since the page showed it (``PreconditionFailed``); never the last enabled admin."""
    acting(Action.MANAGE)
    with session_scope() as session:
        return users.update_user(session, user_id, changes, expected_version=expected_version)


def delete_user(user_id: str, *, expected_version: int) -> int:
    """Delete a user, their leads left unassigned; how many leads that was."""
    who = acting(Action.MANAGE)
    with session_scope() as session:
        return users.delete_user(
            session, user_id, actor=who.label, expected_version=expected_version
        )
