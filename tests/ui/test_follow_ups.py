"""Follow-ups in the dashboard (AppTest, fixed clock): the Lead page's tasks and activity
forms, what a viewer sees there, and the Home page's tasks overdue / today / this week."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from leads_core import clock
from leads_core.clock import as_utc
from leads_core.ingest import importing
from leads_core.ingest.options import ImportOptions
from leads_core.services import tasks, users
from leads_core.storage.models import Campaign, LeadActivity, Task, User
from leads_core.task_schemas import TaskCreate
from tests.ui.conftest import APP, Browser
from tests.ui.escaping import shown

Open = Callable[..., AppTest]
NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # a Wednesday afternoon


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "utcnow", lambda: NOW)


@pytest.fixture
def lead_ids(ui_session: Session, campaign: Campaign) -> list[str]:
    outcome = importing.import_leads(
        ui_session,
        [
            {"firstName": "Marie", "lastName": "Dubois", "email": "marie@techcorp.com"},
            {"firstName": "Jean", "lastName": "Martin", "email": "jean@startup.io"},
        ],
        ImportOptions(campaign_id=campaign.id, region="FR", max_rows=10),
        timestamps=[NOW - timedelta(days=30)] * 2,
    )
    return [lead.id for lead in outcome.leads]


@pytest.fixture
def ann(ui_session: Session) -> User:
    return users.create_user(ui_session, email="ann@acme.io", name="Ann Lee", role="member")


@pytest.fixture
def open_as(ui_session: Session, browser: Browser) -> Callable[..., AppTest]:
    """``open_as(user, page, **params)``: ``page`` opened by a browser signed in as ``user``."""

    def _open(user: User, page: str, **params: str) -> AppTest:
        browser.sign_in(ui_session, user)
        at = AppTest.from_file(APP, default_timeout=30)
        at.run()
        if page != "home":
            at.switch_page(f"pages/{page}.py")
            at.query_params.update(params)
            at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return _open


def stored_tasks(session: Session) -> list[Task]:
    session.expire_all()
    return list(session.exec(select(Task).order_by(Task.created_at)))


def history(at: AppTest) -> list[dict]:
    table = next(d.value for d in at.dataframe if "What" in d.value.columns)
    return table[["When", "What", "To", "By"]].to_dict("records")


def add(session: Session, lead_id: str, title: str, due: datetime, owner: str | None) -> Task:
    data = TaskCreate(title=title, due_at=due, owner_id=owner)
    return tasks.create_task(session, lead_id, data, actor="Ann Lee <ann@acme.io>")


# ------------------------------------------------------------------ Lead page


def test_lead_page_adds_a_task_for_an_owner_and_ticks_it_done(
    lead_ids: list[str], ann: User, ui_session: Session, open_as: Callable[..., AppTest]
) -> None:
    at = open_as(ann, "lead", id=lead_ids[0])
    assert "No tasks yet." in [c.value for c in at.caption]
    assert at.selectbox(key="task_owner").value == ann.id  # the signed-in user first
    assert at.date_input(key="task_due_date").value == date(2026, 3, 5)  # tomorrow

    at.text_input(key="task_title").set_value("Send the pricing deck")
    at.date_input(key="task_due_date").set_value(date(2026, 3, 6))
    at.time_input(key="task_due_time").set_value(time(14, 30))
    next(b for b in at.button if b.label == "Add task").click().run()

    [task] = stored_tasks(ui_session)
    assert (task.lead_id, task.title, task.owner_id) == (
        lead_ids[0],
        "Send the pricing deck",
        ann.id,
    )
    assert as_utc(task.due_at) == datetime(2026, 3, 6, 14, 30, tzinfo=UTC)
    assert task.created_by == "Ann Lee <ann@acme.io>"
    assert at.text_input(key="task_title").value == ""  # the form is ready for the next one
    box = at.checkbox(key=f"task_done_{task.id}_1")
    assert (box.label, box.value, box.disabled) == ("Send the pricing deck", False, False)
    captions = [c.value for c in at.caption]
    assert "2026-03-06 14:30 UTC" in captions and "Ann Lee" in captions

    box.check().run()
    [done] = stored_tasks(ui_session)
    assert as_utc(done.done_at) == NOW
    assert at.checkbox(key=f"task_done_{task.id}_2").value is True
    assert [(row["What"], row["To"]) for row in history(at)][:2] == [
        ("✅ Task", "Task done: “Send the pricing deck”"),
        ("✅ Task", "Task added: “Send the pricing deck”, due 2026-03-06 14:30 UTC, for Ann Lee"),
    ]


def test_lead_page_task_without_a_title_is_refused(
    open_page: Open, lead_ids: list[str], ui_session: Session
) -> None:
    at = open_page("lead", id=lead_ids[0])
    assert at.selectbox(key="task_owner").value == ""  # nobody signed in: nobody's

    next(b for b in at.button if b.label == "Add task").click().run()

    assert shown(at.error[0].value).startswith("Could not add the task: title:")
    assert stored_tasks(ui_session) == []


def test_lead_page_overdue_task_is_red_and_a_stale_tick_is_refused(
    open_page: Open, lead_ids: list[str], ui_session: Session
) -> None:
    task = add(ui_session, lead_ids[0], "Call back", NOW - timedelta(hours=3), None)
    at = open_page("lead", id=lead_ids[0])
    assert ":red[2026-03-04 12:00 UTC]" in [c.value for c in at.caption]
    tasks.update_task(ui_session, task.id, tasks.TaskUpdate(title="Call back today"))

    at.checkbox(key=f"task_done_{task.id}_1").check().run()

    assert "Someone else changed this task" in at.error[0].value
    assert stored_tasks(ui_session)[0].done_at is None
    assert at.checkbox(key=f"task_done_{task.id}_2").label == "Call back today"


def test_lead_page_logs_a_call_at_the_time_it_happened(
    open_page: Open, lead_ids: list[str], ui_session: Session
) -> None:
    at = open_page("lead", id=lead_ids[0])
    assert at.date_input(key="activity_date").value == date(2026, 3, 4)
    assert at.time_input(key="activity_time").value == time(15, 0)  # now, by default

    at.selectbox(key="activity_type").set_value("call")
    at.text_area(key="activity_body").set_value("Left a voicemail")
    at.time_input(key="activity_time").set_value(time(9, 45))
    next(b for b in at.button if b.label == "Log activity").click().run()

    ui_session.expire_all()
    call = ui_session.exec(select(LeadActivity).where(LeadActivity.kind == "call")).one()
    assert (call.new_value, call.actor) == ("Left a voicemail", "dashboard")
    assert as_utc(call.created_at) == datetime(2026, 3, 4, 9, 45, tzinfo=UTC)
    assert history(at)[0] == {
        "When": "2026-03-04 09:45:00 UTC",
        "What": "📞 Call",
        "To": "Left a voicemail",
        "By": "dashboard",
    }
    assert at.text_area(key="activity_body").value == ""


def test_lead_page_refuses_an_activity_in_the_future(
    open_page: Open, lead_ids: list[str], ui_session: Session
) -> None:
    at = open_page("lead", id=lead_ids[0])
    at.text_area(key="activity_body").set_value("Will call")
    at.date_input(key="activity_date").set_value(date(2026, 3, 5))
    next(b for b in at.button if b.label == "Log activity").click().run()

    assert "is in the future" in at.error[0].value
    assert at.text_area(key="activity_body").value == "Will call"  # kept, to correct
    ui_session.expire_all()
    assert ui_session.exec(select(LeadActivity).where(LeadActivity.kind == "note")).all() == []


def test_a_viewer_sees_the_tasks_but_no_controls(
    lead_ids: list[str], ui_session: Session, open_as: Callable[..., AppTest]
) -> None:
    task = add(ui_session, lead_ids[0], "Call back", NOW + timedelta(days=1), None)
    viewer = users.create_user(ui_session, email="vic@acme.io", name="Vic Viewer", role="viewer")

    at = open_as(viewer, "lead", id=lead_ids[0])

    assert at.checkbox(key=f"task_done_{task.id}_1").disabled is True
    labels = [b.label for b in at.button]
    assert "Add task" not in labels and "Log activity" not in labels
    assert not [t for t in at.text_input if t.key == "task_title"]


# ------------------------------------------------------------------ Home


@pytest.fixture
def due_soon(ui_session: Session, lead_ids: list[str], ann: User) -> None:
    """Ann: one overdue, one later today, one in 3 days, one in 9 days, one done; and one
    overdue task of nobody's."""
    marie, jean = lead_ids
    add(ui_session, marie, "Call Marie", NOW - timedelta(days=1), ann.id)
    add(ui_session, jean, "Email Jean", NOW + timedelta(hours=2), ann.id)
    add(ui_session, marie, "Demo", NOW + timedelta(days=3), ann.id)
    add(ui_session, jean, "Far off", NOW + timedelta(days=9), ann.id)
    done = add(ui_session, jean, "Done already", NOW - timedelta(days=2), ann.id)
    tasks.update_task(ui_session, done.id, tasks.TaskUpdate(done=True))
    add(ui_session, jean, "Unassigned", NOW - timedelta(hours=1), None)


def links(at: AppTest) -> list[tuple[str, str]]:
    """Each page link: its label and the page and query it opens."""
    return [
        (link.proto.label, f"{link.proto.page}?{link.proto.query_string}")
        for link in at.get("page_link")
        if link.proto.page.endswith("lead")
    ]


@pytest.mark.usefixtures("due_soon")
def test_home_shows_my_tasks_overdue_today_and_this_week(
    ann: User, lead_ids: list[str], open_as: Callable[..., AppTest]
) -> None:
    at = open_as(ann, "home")

    assert "My tasks" in [s.value for s in at.subheader]
    assert [e.label for e in at.main.expander] == [
        "Overdue: 1",
        "Today: 1",
        "This week (the next 7 days): 1",
    ]
    marie, jean = lead_ids
    assert links(at) == [
        ("Call Marie — Marie Dubois · 2026-03-03 15:00 UTC", f"lead?id={marie}"),
        ("Email Jean — Jean Martin · 2026-03-04 17:00 UTC", f"lead?id={jean}"),
        ("Demo — Marie Dubois · 2026-03-07 15:00 UTC", f"lead?id={marie}"),
    ]


@pytest.mark.usefixtures("due_soon")
def test_home_without_a_user_shows_everyones_tasks_with_their_owner(open_page: Open) -> None:
    at = open_page("home")

    assert "Tasks due" in [s.value for s in at.subheader]
    assert [e.label for e in at.expander][0] == "Overdue: 2"
    assert [label for label, _ in links(at)][:2] == [
        "Call Marie — Marie Dubois · 2026-03-03 15:00 UTC · Ann Lee",
        "Unassigned — Jean Martin · 2026-03-04 14:00 UTC · nobody",
    ]


def test_home_with_nothing_due_says_so(open_page: Open, lead_ids: list[str]) -> None:
    at = open_page("home")
    assert "Nothing overdue or due this week." in [c.value for c in at.caption]
    assert len(at.expander) == 0
