"""leads_core.services.tasks: tasks on leads (create, list, filter, update, done, If-Match)
and typed activities, on a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from leads_core import clock
from leads_core.clock import as_utc
from leads_core.errors import NotFound, PreconditionFailed, ValidationFailed, validated
from leads_core.ingest import importing
from leads_core.ingest.options import ImportOptions
from leads_core.services import leads, tasks, users
from leads_core.services.users import UserChanges
from leads_core.storage.models import LeadActivity, Task, User
from leads_core.task_schemas import ActivityCreate, TaskCreate, TaskUpdate

pytestmark = pytest.mark.usefixtures("campaign")

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # a Wednesday afternoon


@pytest.fixture(autouse=True)
def now(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """The clock: ``now[0] = ...`` moves it."""
    current = [NOW]
    monkeypatch.setattr(clock, "utcnow", lambda: current[0])
    return current


@pytest.fixture
def lead_ids(session: Session) -> list[str]:
    outcome = importing.import_leads(
        session,
        [{"firstName": "Marie", "email": "marie@techcorp.com"}, {"email": "jean@startup.io"}],
        ImportOptions(campaign_id="cmp_123", region="FR", max_rows=10),
        timestamps=[NOW - timedelta(days=30)] * 2,
    )
    return [lead.id for lead in outcome.leads]


@pytest.fixture
def ann(session: Session) -> User:
    return users.create_user(session, email="ann@acme.io", name="Ann Lee", role="member")


@pytest.fixture
def bob(session: Session) -> User:
    return users.create_user(session, email="bob@acme.io", name="Bob Roy", role="member")


def add(session: Session, lead_id: str, title: str, due: datetime, **more) -> Task:
    data = TaskCreate.model_validate({"title": title, "dueAt": due, **more})
    return tasks.create_task(session, lead_id, data, actor="Tester <t@acme.io>")


def history(session: Session, lead_id: str, kind: str) -> list[tuple[str | None, str | None]]:
    entries = leads.lead_activity(session, lead_id)
    return [(e.new_value, e.actor) for e in entries if e.kind == kind]


def titles(page: tasks.TaskPage) -> list[str]:
    return [task.title for task in page.tasks]


# ------------------------------------------------------------------ create


def test_create_task_stores_it_and_writes_the_history(
    session: Session, lead_ids: list[str], ann: User
) -> None:
    due = datetime(2026, 3, 5, 9, 30, tzinfo=UTC)
    task = add(session, lead_ids[0], "  Call back about pricing ", due, ownerId=ann.id)

    assert task.id.startswith("tsk_")
    assert (task.lead_id, task.title, task.owner_id) == (
        lead_ids[0],
        "Call back about pricing",
        ann.id,
    )
    assert (as_utc(task.due_at), task.done_at, task.version) == (due, None, 1)
    assert (task.created_by, as_utc(task.created_at)) == ("Tester <t@acme.io>", NOW)
    assert history(session, lead_ids[0], "task") == [
        (
            "Task added: “Call back about pricing”, due 2026-03-05 09:30 UTC, for Ann Lee",
            "Tester <t@acme.io>",
        )
    ]
    public = tasks.to_public(task).model_dump(by_alias=True, mode="json")
    assert public == {
        "id": task.id,
        "leadId": lead_ids[0],
        "title": "Call back about pricing",
        "dueAt": "2026-03-05T09:30:00Z",
        "ownerId": ann.id,
        "done": False,
        "doneAt": None,
        "createdAt": "2026-03-04T15:00:00Z",
        "updatedAt": "2026-03-04T15:00:00Z",
        "createdBy": "Tester <t@acme.io>",
        "version": 1,
    }


def test_owner_left_out_is_the_default_owner_null_is_nobody(
    session: Session, lead_ids: list[str], ann: User
) -> None:
    due = NOW + timedelta(days=1)
    left_out = TaskCreate(title="a", due_at=due)
    null = TaskCreate.model_validate({"title": "b", "dueAt": due, "ownerId": None})

    assert (
        tasks.create_task(session, lead_ids[0], left_out, default_owner=ann.id).owner_id == ann.id
    )
    assert tasks.create_task(session, lead_ids[0], null, default_owner=ann.id).owner_id is None
    assert tasks.create_task(session, lead_ids[0], left_out).owner_id is None


def test_create_task_due_time_with_an_offset_is_stored_in_utc(
    session: Session, lead_ids: list[str]
) -> None:
    task = add(session, lead_ids[0], "Demo", "2026-03-06T10:00:00+02:00")  # type: ignore[arg-type]
    session.expire_all()
    assert as_utc(session.get(Task, task.id).due_at) == datetime(2026, 3, 6, 8, 0, tzinfo=UTC)


def test_create_task_for_a_missing_or_deleted_lead_is_404(
    session: Session, lead_ids: list[str]
) -> None:
    leads.delete_lead(session, lead_ids[0])
    for lead_id in (lead_ids[0], "lead_never"):
        with pytest.raises(NotFound, match=lead_id):
            add(session, lead_id, "Call", NOW)
    assert session.exec(select(Task)).all() == []


def test_create_task_for_an_unknown_or_disabled_owner_is_422(
    session: Session, lead_ids: list[str], ann: User, bob: User
) -> None:
    users.update_user(session, bob.id, UserChanges(disabled=True))
    with pytest.raises(ValidationFailed, match="'usr_nobody' is no user") as unknown:
        add(session, lead_ids[0], "Call", NOW, ownerId="usr_nobody")
    with pytest.raises(ValidationFailed, match="is a disabled user"):
        add(session, lead_ids[0], "Call", NOW, ownerId=bob.id)
    assert unknown.value.details[0]["field"] == "ownerId"
    assert session.exec(select(Task)).all() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "   ", "dueAt": "2026-03-05"}, "title"),
        ({"title": "x" * 501, "dueAt": "2026-03-05"}, "title"),
        ({"title": "Call"}, "dueAt"),
        ({"title": "Call", "dueAt": "next week"}, "dueAt"),
        ({"title": "Call", "dueAt": "2026-03-05", "colour": "red"}, "colour"),
    ],
)
def test_task_data_is_checked(body: dict, field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        validated(TaskCreate, body)
    assert refused.value.details[0]["field"] == field


# ------------------------------------------------------------------ list


@pytest.fixture
def several(session: Session, lead_ids: list[str], ann: User, bob: User) -> dict[str, Task]:
    """Four tasks: Ann's overdue and next week, Bob's today, nobody's tomorrow (done)."""
    made = {
        "overdue": add(session, lead_ids[0], "Overdue", NOW - timedelta(days=2), ownerId=ann.id),
        "next week": add(
            session, lead_ids[1], "Next week", NOW + timedelta(days=6), ownerId=ann.id
        ),
        "today": add(session, lead_ids[0], "Today", NOW + timedelta(hours=2), ownerId=bob.id),
        "tomorrow": add(session, lead_ids[1], "Tomorrow", NOW + timedelta(days=1), ownerId=None),
    }
    tasks.update_task(session, made["tomorrow"].id, TaskUpdate(done=True))
    return made


def test_list_tasks_orders_by_due_date_then_creation(
    session: Session, lead_ids: list[str], several: dict[str, Task], now: list[datetime]
) -> None:
    now[0] = NOW + timedelta(seconds=1)
    same_due = add(session, lead_ids[1], "Also overdue, made later", NOW - timedelta(days=2))
    page = tasks.list_tasks(session, filters=tasks.TaskFilters())
    assert titles(page) == ["Overdue", same_due.title, "Today", "Tomorrow", "Next week"]
    assert (page.total, page.page, page.total_pages) == (5, 1, 1)


def test_list_tasks_filters_by_owner_done_and_due(
    session: Session, several: dict[str, Task], ann: User, bob: User
) -> None:
    def listed(**filters) -> list[str]:
        return titles(tasks.list_tasks(session, filters=tasks.TaskFilters(**filters)))

    assert listed(owner_id=ann.id) == ["Overdue", "Next week"]
    assert listed(owner_id=bob.id) == ["Today"]
    assert listed(owner_id=tasks.UNASSIGNED) == ["Tomorrow"]
    assert listed(done=True) == ["Tomorrow"]
    assert listed(done=False) == ["Overdue", "Today", "Next week"]
    assert listed(due_before=NOW) == ["Overdue"]
    assert listed(due_before=NOW + timedelta(days=1, seconds=1)) == ["Overdue", "Today", "Tomorrow"]
    assert listed(due_before=datetime(2026, 3, 4, 17, 0)) == ["Overdue"]  # naive: UTC
    assert listed(due_before=datetime(2026, 3, 4, 17, 1)) == ["Overdue", "Today"]
    assert listed(owner_id=ann.id, done=False, due_before=NOW) == ["Overdue"]


def test_list_tasks_pages(session: Session, several: dict[str, Task]) -> None:
    second = tasks.list_tasks(session, filters=tasks.TaskFilters(), page=2, limit=3)
    assert (titles(second), second.total, second.total_pages) == (["Next week"], 4, 2)


def test_owner_filter_reads_me_none_and_ids(session: Session, several: dict[str, Task]) -> None:
    assert tasks.owner_filter("me", me="usr_ann") == "usr_ann"
    assert tasks.owner_filter("none", me="usr_ann") == tasks.UNASSIGNED
    assert tasks.owner_filter("usr_bob", me=None) == "usr_bob"
    assert tasks.owner_filter(None, me="usr_ann") is None
    # the system account owns no task: its "me" matches none, as for leads
    mine = tasks.owner_filter("me", me=None)
    found = tasks.list_tasks(session, filters=tasks.TaskFilters(owner_id=mine), page=1, limit=50)
    assert (found.tasks, found.total) == ([], 0)


def test_list_lead_tasks_and_404(
    session: Session, lead_ids: list[str], several: dict[str, Task]
) -> None:
    assert [t.title for t in tasks.list_lead_tasks(session, lead_ids[1])] == [
        "Tomorrow",
        "Next week",
    ]
    with pytest.raises(NotFound):
        tasks.list_lead_tasks(session, "lead_never")


def test_due_groups_split_open_tasks_into_overdue_today_and_the_week(
    session: Session, lead_ids: list[str], several: dict[str, Task], ann: User
) -> None:
    add(session, lead_ids[0], "In 9 days", NOW + timedelta(days=9), ownerId=ann.id)

    groups = tasks.due_groups(session, owner_id=None)
    assert [(g.name, [t.title for t in g.tasks], g.total) for g in groups] == [
        ("overdue", ["Overdue"], 1),
        ("today", ["Today"], 1),
        ("week", ["Next week"], 1),  # Tomorrow is done, "In 9 days" is later
    ]
    mine = tasks.due_groups(session, owner_id=ann.id, limit=1)
    assert [(g.name, g.total) for g in mine] == [("overdue", 1), ("today", 0), ("week", 1)]
    named = tasks.leads_of(session, mine[0].tasks)
    assert named[lead_ids[0]].first_name == "Marie"


# ------------------------------------------------------------------ update


def test_done_and_reopened_are_in_the_lead_history(session: Session, lead_ids: list[str]) -> None:
    task = add(session, lead_ids[0], "Send the deck", NOW + timedelta(days=1))
    done = tasks.update_task(session, task.id, TaskUpdate(done=True), actor="Ann Lee <ann@acme.io>")
    assert (as_utc(done.done_at), done.version) == (NOW, 2)
    assert tasks.to_public(done).done is True

    again = tasks.update_task(session, task.id, TaskUpdate(done=True), actor="x")
    assert again.version == 2  # nothing changed: nothing written

    reopened = tasks.update_task(session, task.id, TaskUpdate(done=False), actor="Bob")
    assert (reopened.done_at, reopened.version) == (None, 3)
    assert history(session, lead_ids[0], "task")[1:] == [
        ("Task done: “Send the deck”", "Ann Lee <ann@acme.io>"),
        ("Task reopened: “Send the deck”", "Bob"),
    ]


def test_update_title_due_and_owner(session: Session, lead_ids: list[str], ann: User) -> None:
    task = add(session, lead_ids[0], "Call", NOW + timedelta(days=1), ownerId=ann.id)
    due = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
    changes = TaskUpdate.model_validate({"title": "Call Marie", "dueAt": due, "ownerId": None})
    changed = tasks.update_task(session, task.id, changes)
    session.expire_all()
    stored = session.get(Task, task.id)
    assert (stored.title, as_utc(stored.due_at), stored.owner_id) == ("Call Marie", due, None)
    assert (changed.version, as_utc(stored.updated_at)) == (2, NOW)


@pytest.mark.parametrize("field", ["title", "dueAt", "done"])
def test_update_refuses_null_for_what_a_task_always_has(
    session: Session, lead_ids: list[str], field: str
) -> None:
    task = add(session, lead_ids[0], "Call", NOW)
    with pytest.raises(ValidationFailed, match=f"{field}: cannot be null"):
        tasks.update_task(session, task.id, TaskUpdate.model_validate({field: None}))


def test_update_refuses_an_unknown_owner(session: Session, lead_ids: list[str]) -> None:
    task = add(session, lead_ids[0], "Call", NOW)
    with pytest.raises(ValidationFailed, match="ownerId"):
        tasks.update_task(session, task.id, TaskUpdate(owner_id="usr_nobody"))


def test_update_with_a_stale_version_is_412_and_changes_nothing(
    session: Session, lead_ids: list[str]
) -> None:
    task = add(session, lead_ids[0], "Call", NOW)
    tasks.update_task(session, task.id, TaskUpdate(title="Call today"), expected_version=1)

    with pytest.raises(PreconditionFailed, match="you sent version 1, it is now at 2"):
        tasks.update_task(session, task.id, TaskUpdate(done=True), expected_version=1)
    session.expire_all()
    stored = session.get(Task, task.id)
    assert (stored.title, stored.done_at, stored.version) == ("Call today", None, 2)


def test_update_missing_task_is_404_and_a_deleted_lead_takes_its_tasks(
    session: Session, lead_ids: list[str]
) -> None:
    task = add(session, lead_ids[0], "Call", NOW)
    leads.delete_lead(session, lead_ids[0])
    with pytest.raises(NotFound, match=task.id):
        tasks.update_task(session, task.id, TaskUpdate(done=True))
    assert session.exec(select(Task)).all() == []


def test_deleting_the_owner_unassigns_the_task(
    session: Session, lead_ids: list[str], ann: User
) -> None:
    task = add(session, lead_ids[0], "Call", NOW, ownerId=ann.id)
    users.delete_user(session, ann.id)
    session.expire_all()
    assert session.get(Task, task.id).owner_id is None


# ------------------------------------------------------------------ activities


def test_log_activity_at_the_time_it_happened(session: Session, lead_ids: list[str]) -> None:
    at = datetime(2026, 3, 2, 11, 15, tzinfo=UTC)
    call = tasks.log_activity(
        session,
        lead_ids[0],
        ActivityCreate.model_validate({"type": "call", "body": " Left a voicemail ", "at": at}),
        actor="Ann Lee <ann@acme.io>",
    )
    meeting = tasks.log_activity(
        session, lead_ids[0], ActivityCreate(type="meeting", body="Demo"), actor="Ann"
    )
    assert (call.kind, call.new_value, as_utc(call.created_at)) == ("call", "Left a voicemail", at)
    assert (meeting.kind, as_utc(meeting.created_at)) == ("meeting", NOW)
    entries = leads.lead_activity(session, lead_ids[0])
    assert [(e.kind, e.new_value) for e in entries] == [
        ("created", None),
        ("call", "Left a voicemail"),
        ("meeting", "Demo"),
    ]


def test_log_activity_refuses_the_future_beyond_a_minute(
    session: Session, lead_ids: list[str]
) -> None:
    soon = ActivityCreate(type="email", body="Sent", at=NOW + timedelta(seconds=59))
    assert tasks.log_activity(session, lead_ids[0], soon).kind == "email"
    later = ActivityCreate(type="email", body="Sent", at=NOW + timedelta(minutes=2))
    with pytest.raises(ValidationFailed, match="2026-03-04 15:02 UTC is in the future") as refused:
        tasks.log_activity(session, lead_ids[0], later)
    assert refused.value.details == [{"field": "at", "message": "in the future"}]


def test_log_activity_on_a_missing_lead_is_404(session: Session) -> None:
    with pytest.raises(NotFound):
        tasks.log_activity(session, "lead_never", ActivityCreate(type="note", body="x"))
    assert session.exec(select(LeadActivity)).all() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "fax", "body": "x"}, "type"),
        ({"type": "call", "body": " \x00 "}, "body"),
        ({"type": "call", "body": "x" * 20_001}, "body"),
        ({"type": "call", "body": "x", "at": "yesterday"}, "at"),
    ],
)
def test_activity_data_is_checked(body: dict, field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        validated(ActivityCreate, body)
    assert refused.value.details[0]["field"] == field
