"""Follow-ups: tasks on a lead (what to do, by when, by whom; done or not) and the
activities people log on it (a call, an email, a meeting, a note) at the time they happened.

The only module that queries tasks. A task's creation, completion and reopening are written
into its lead's history (kind ``task``) naming who acted; a logged activity is a history
entry of its type, dated when it happened. A change sent with the version the client read
(``If-Match``) is refused (412) once the task has moved on, as for leads."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic.alias_generators import to_camel
from sqlalchemy import false, func
from sqlalchemy.exc import IntegrityError, InvalidRequestError
from sqlmodel import Session, col, select

from leads_core import clock
from leads_core.clock import as_utc
from leads_core.errors import NotFound, ValidationFailed
from leads_core.ids import new_id
from leads_core.services import leads, queries, users, versions
from leads_core.storage.models import Lead, LeadActivity, Task, User
from leads_core.task_schemas import ActivityCreate, TaskCreate, TaskPublic, TaskUpdate

ME = "me"
UNASSIGNED = "none"
FUTURE_SLACK = timedelta(minutes=1)
"""How far in the future a logged activity may be: clocks differ a little, not more."""
TASK_KIND = "task"


@dataclass(frozen=True)
class TaskFilters:
    owner_id: str | None = None  # a user's id, or UNASSIGNED; None: anyone's
    done: bool | None = None
    due_from: datetime | None = None  # inclusive
    due_before: datetime | None = None  # exclusive


@dataclass(frozen=True)
class TaskPage:
    tasks: list[Task]
    total: int
    page: int
    limit: int

    @property
    def total_pages(self) -> int:
        return math.ceil(self.total / self.limit) if self.total else 0


# ------------------------------------------------------------------ reading


def owner_filter(value: str | None, *, me: str | None) -> str | None:
    """The owner a list asks for: ``me`` (the caller's user), ``none`` (unassigned), a
    user's id, or None for anyone's. ``me`` for the system account, which owns no task,
    stays ``ME`` and matches nothing (as ``GET /v1/leads?ownerId=me`` does)."""
    if not value:
        return None
    if value == ME:
        return me or ME
    return value


def _clauses(filters: TaskFilters) -> list[Any]:
    clauses: list[Any] = []
    if filters.owner_id == UNASSIGNED:
        clauses.append(col(Task.owner_id).is_(None))
    elif filters.owner_id == ME:  # the system account's: it owns none
        clauses.append(false())
    elif filters.owner_id is not None:
        clauses.append(col(Task.owner_id) == filters.owner_id)
    if filters.done is not None:
        done_at = col(Task.done_at)
        clauses.append(done_at.is_not(None) if filters.done else done_at.is_(None))
    if filters.due_from is not None:
        clauses.append(col(Task.due_at) >= as_utc(filters.due_from))
    if filters.due_before is not None:
        clauses.append(col(Task.due_at) < as_utc(filters.due_before))
    return clauses


ORDER = (col(Task.due_at).asc().nulls_last(), col(Task.created_at), col(Task.id))
"""Soonest due first, then oldest; ids break ties, so pages never overlap."""


def list_tasks(
    session: Session, *, filters: TaskFilters, page: int = 1, limit: int = 50
) -> TaskPage:
    """A page of the tasks matching ``filters``, soonest due first."""
    clauses = _clauses(filters)
    total = session.exec(select(func.count()).select_from(Task).where(*clauses)).one()
    rows = session.exec(
        select(Task).where(*clauses).order_by(*ORDER).offset((page - 1) * limit).limit(limit)
    ).all()
    return TaskPage(tasks=list(rows), total=total, page=page, limit=limit)


def list_lead_tasks(session: Session, lead_id: str) -> list[Task]:
    """Every task of the lead (done ones too), soonest due first; 404 for no such lead."""
    leads.get_lead(session, lead_id)
    return list(session.exec(select(Task).where(Task.lead_id == lead_id).order_by(*ORDER)))


def get_task(session: Session, task_id: str, *, expected_version: int | None = None) -> Task:
    task = session.get(Task, task_id, populate_existing=True)  # as stored now
    if task is None:
        raise NotFound(f"task {task_id!r} not found")
    versions.check_version("task", task_id, expected_version, task.version)
    return task


@dataclass(frozen=True)
class DueGroup:
    """Open tasks due in one span of time: the first ``limit`` and how many in all."""

    name: str  # overdue | today | week
    tasks: list[Task]
    total: int


def due_groups(session: Session, *, owner_id: str | None, limit: int = 20) -> list[DueGroup]:
    """The open tasks of ``owner_id`` (None: everyone's) that are overdue (due before now),
    due later today, and due in the 7 days after today (UTC, as the app shows times)."""
    now = clock.utcnow()
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    tomorrow = today + timedelta(days=1)
    spans = (
        ("overdue", None, now),
        ("today", now, tomorrow),
        ("week", tomorrow, tomorrow + timedelta(days=7)),
    )
    groups = []
    for name, start, end in spans:
        filters = TaskFilters(owner_id=owner_id, done=False, due_from=start, due_before=end)
        found = list_tasks(session, filters=filters, limit=limit)
        groups.append(DueGroup(name=name, tasks=found.tasks, total=found.total))
    return groups


NAMING_COLUMNS = (Lead.first_name, Lead.last_name, Lead.email, Lead.linkedin_url)


def leads_of(session: Session, tasks: Sequence[Task]) -> dict[str, Lead]:
    """The tasks' leads by id, with what names them only (names, email, LinkedIn)."""
    ids = list(dict.fromkeys(task.lead_id for task in tasks))
    found = queries.leads_by_ids(session, ids, columns=NAMING_COLUMNS) if ids else []
    return {lead.id: lead for lead in found}


def to_public(task: Task) -> TaskPublic:
    return TaskPublic(
        id=task.id,
        lead_id=task.lead_id,
        title=task.title,
        due_at=task.due_at,
        owner_id=task.owner_id,
        done=task.done_at is not None,
        done_at=task.done_at,
        created_at=task.created_at,
        updated_at=task.updated_at,
        created_by=task.created_by,
        version=task.version,
    )


# ------------------------------------------------------------------ writing


def _when(value: datetime) -> str:
    return f"{as_utc(value):%Y-%m-%d %H:%M} UTC"


def _history(task: Task, text: str, actor: str | None, now: datetime) -> LeadActivity:
    return LeadActivity(
        lead_id=task.lead_id, kind=TASK_KIND, new_value=text, actor=actor, created_at=now
    )


def _owner_name(session: Session, owner_id: str | None) -> str | None:
    user = session.get(User, owner_id) if owner_id else None
    return user.name if user else None


def create_task(
    session: Session,
    lead_id: str,
    data: TaskCreate,
    *,
    actor: str | None = None,
    default_owner: str | None = None,
) -> Task:
    """A new open task on the lead (404 for no such lead), owned by ``data.owner_id`` or,
    when the client left it out, ``default_owner`` (422 for an unknown or disabled user)."""
    lead = leads.get_lead(session, lead_id)
    owner_id = data.owner_id if "owner_id" in data.model_fields_set else default_owner
    users.check_owner(session, owner_id)
    now = clock.utcnow()
    task = Task(
        id=new_id("tsk"),
        lead_id=lead.id,
        title=data.title,
        due_at=data.due_at,
        owner_id=owner_id,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    owner = _owner_name(session, owner_id)
    text = f"Task added: “{task.title}”, due {_when(data.due_at)}"
    session.add(task)
    session.add(_history(task, text + (f", for {owner}" if owner else ""), actor, now))
    leads.touch(session, lead.id, now)
    try:
        session.commit()
    except IntegrityError:  # the lead was deleted between our read and our commit
        session.rollback()
        raise NotFound(f"lead {lead_id!r} was deleted by someone else just now") from None
    return _reread(session, task)


def update_task(
    session: Session,
    task_id: str,
    changes: TaskUpdate,
    *,
    actor: str | None = None,
    expected_version: int | None = None,
) -> Task:
    """Apply the fields present in ``changes``. ``done`` true marks the task done now,
    false opens it again; both are written in the lead's history. With
    ``expected_version``, refuse (412) when the task has been changed since."""
    return _write_again_if_raced(
        session, lambda: _update_once(session, task_id, changes, actor, expected_version)
    )


def _write_again_if_raced(session: Session, write: Callable[[], versions.T]) -> versions.T:
    return versions.write_again_if_raced(session, "task", write)


REQUIRED = ("title", "due_at", "done")  # a task always has these: null is refused


def _update_once(
    session: Session,
    task_id: str,
    changes: TaskUpdate,
    actor: str | None,
    expected_version: int | None,
) -> Task:
    task = get_task(session, task_id, expected_version=expected_version)
    values = changes.model_dump(exclude_unset=True)
    for name in REQUIRED:
        if name in values and values[name] is None:
            field = to_camel(name)
            raise ValidationFailed(f"{field}: cannot be null", details=[{"field": field}])
    if "owner_id" in values:
        users.check_owner(session, values["owner_id"])
    now = clock.utcnow()
    changed = False
    for name in ("title", "due_at", "owner_id"):
        if name in values and _stored(getattr(task, name)) != _stored(values[name]):
            setattr(task, name, values[name])
            changed = True
    done = values.get("done")
    turned = done is not None and done != (task.done_at is not None)  # done or reopened
    if turned:
        task.done_at = now if done else None
        verb = "Task done" if done else "Task reopened"
        session.add(_history(task, f"{verb}: “{task.title}”", actor, now))
        changed = True
    if not changed:
        return task
    task.updated_at = now
    session.add(task)
    if turned:
        leads.touch(session, task.lead_id, now)  # last: it flushes the task's changes
    try:
        session.commit()
    except IntegrityError:  # its lead was deleted between our read and our commit
        session.rollback()
        raise NotFound(f"task {task_id!r} was deleted with its lead just now") from None
    return _reread(session, task)


def _stored(value: Any) -> Any:
    return as_utc(value) if isinstance(value, datetime) else value


def _reread(session: Session, task: Task) -> Task:
    """The task as committed; 404 when its lead was deleted right after our commit."""
    task_id = session.identity_key(instance=task)[1][0]
    try:
        session.refresh(task)
    except InvalidRequestError:
        raise NotFound(f"task {task_id!r} was deleted with its lead just now") from None
    return task


def log_activity(
    session: Session, lead_id: str, data: ActivityCreate, *, actor: str | None = None
) -> LeadActivity:
    """Record a call, email, meeting or note in the lead's history at ``data.at`` (default
    now; 422 when more than a minute in the future); 404 for no such lead."""
    lead = leads.get_lead(session, lead_id)
    now = clock.utcnow()
    at = data.at or now
    if at > now + FUTURE_SLACK:
        raise ValidationFailed(
            f"at: {_when(at)} is in the future; log what has happened (it is {_when(now)})",
            details=[{"field": "at", "message": "in the future"}],
        )
    entry = LeadActivity(
        lead_id=lead.id, kind=data.type, new_value=data.body, actor=actor, created_at=at
    )
    session.add(entry)
    leads.touch(session, lead.id, at)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise NotFound(f"lead {lead_id!r} was deleted by someone else just now") from None
    session.refresh(entry)
    return entry
