"""Follow-ups: tasks on leads and the activities logged on them; thin routes over
``leads_core.services.tasks``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from leads_core.api.deps import PrincipalDep, SessionDep
from leads_core.api.leads import ETAG_HEADER, IfMatchHeader, etag, expected_version
from leads_core.schemas import ActivityPublic
from leads_core.services import queries
from leads_core.services import tasks as service
from leads_core.task_schemas import (
    WHEN_HELP,
    ActivityCreate,
    TaskCreate,
    TaskList,
    TaskPublic,
    TaskUpdate,
    UtcInput,
)

router = APIRouter(tags=["tasks"])


@router.get("/leads/{lead_id}/tasks", response_model=list[TaskPublic], summary="A lead's tasks")
def lead_tasks(lead_id: str, session: SessionDep) -> list[TaskPublic]:
    """Every task of the lead, done ones too, soonest due first."""
    return [service.to_public(task) for task in service.list_lead_tasks(session, lead_id)]


@router.post(
    "/leads/{lead_id}/tasks",
    response_model=TaskPublic,
    status_code=201,
    summary="Add a task to a lead",
    responses={201: {"headers": ETAG_HEADER}},
)
def create_task(
    lead_id: str, data: TaskCreate, session: SessionDep, who: PrincipalDep, response: Response
) -> TaskPublic:
    task = service.create_task(session, lead_id, data, actor=who.label, default_owner=who.user_id)
    response.headers["ETag"] = etag(task)
    return service.to_public(task)


@router.get("/tasks", response_model=TaskList, summary="List tasks")
def list_tasks(
    session: SessionDep,
    who: PrincipalDep,
    owner_id: Annotated[
        str | None,
        Query(
            alias="ownerId",
            max_length=64,
            description="A user's id (`usr_...`), `me` (the key's user) or `none` (nobody's)",
        ),
    ] = None,
    done: Annotated[
        bool | None, Query(description="`true`: done tasks only; `false`: open")
    ] = None,
    due_before: Annotated[
        UtcInput | None,
        Query(alias="dueBefore", description=f"Due strictly before this time. {WHEN_HELP}"),
    ] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    limit: Annotated[int, Query(ge=1, le=queries.MAX_LIMIT)] = 50,
) -> TaskList:
    """Tasks across leads, soonest due first (then oldest first)."""
    filters = service.TaskFilters(
        owner_id=service.owner_filter(owner_id, me=who.user_id),
        done=done,
        due_before=due_before,
    )
    found = service.list_tasks(session, filters=filters, page=page, limit=limit)
    return TaskList(
        tasks=[service.to_public(task) for task in found.tasks],
        total=found.total,
        page=found.page,
        total_pages=found.total_pages,
    )


@router.patch(
    "/tasks/{task_id}",
    response_model=TaskPublic,
    summary="Update a task (done, title, due, owner)",
    responses={200: {"headers": ETAG_HEADER}},
)
def update_task(
    task_id: str,
    changes: TaskUpdate,
    session: SessionDep,
    who: PrincipalDep,
    response: Response,
    if_match: IfMatchHeader = None,
) -> TaskPublic:
    task = service.update_task(
        session,
        task_id,
        changes,
        actor=who.label,
        expected_version=expected_version(if_match),
    )
    response.headers["ETag"] = etag(task)
    return service.to_public(task)


@router.post(
    "/leads/{lead_id}/activity",
    response_model=ActivityPublic,
    status_code=201,
    summary="Log a call, email, meeting or note",
)
def log_activity(
    lead_id: str, data: ActivityCreate, session: SessionDep, who: PrincipalDep
) -> ActivityPublic:
    """The entry as `GET /v1/leads/{id}/activity` lists it: `kind` is the type, `newValue`
    the body, `createdAt` when it happened."""
    entry = service.log_activity(session, lead_id, data, actor=who.label)
    return ActivityPublic.model_validate(entry, from_attributes=True)
