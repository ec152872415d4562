"""Follow-ups as the pages draw them: a lead's tasks (done boxes, the add form), the form
that logs a call, email, meeting or note, and the Home page's tasks due soon.

Times are UTC, as everywhere in the dashboard. Controls that write are drawn only for a
principal that may write (a viewer sees the tasks, not the boxes to tick or the forms);
the writes go through ``dashboard.writes``, which names the signed-in user in the history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

import streamlit as st

from dashboard import data, feedback, lead_view, writes
from dashboard.safe import md
from leads_core import clock
from leads_core.clock import as_utc
from leads_core.errors import LeadsError, PreconditionFailed, validated
from leads_core.storage.models import Lead, Task
from leads_core.task_schemas import ACTIVITY_TYPES, ActivityCreate, TaskCreate, TaskUpdate

NOBODY = ""
DEFAULT_DUE_TIME = time(9, 0)
GROUPS = {
    "overdue": ("Overdue", ":material/alarm:"),
    "today": ("Today", ":material/today:"),
    "week": ("This week (the next 7 days)", ":material/date_range:"),
}


def due_text(task: Task) -> str:
    return "no due date" if task.due_at is None else f"{as_utc(task.due_at):%Y-%m-%d %H:%M} UTC"


def _at(day: date, hour: time) -> datetime:
    return datetime.combine(day, hour, tzinfo=UTC)


# ------------------------------------------------------------------ a lead's tasks


def _toggle_done(task_id: str, version: int, key: str) -> None:
    done = bool(st.session_state[key])
    try:
        writes.update_task(task_id, TaskUpdate(done=done), expected_version=version)
    except PreconditionFailed:
        feedback.flash(
            "error",
            "Someone else changed this task after you opened the page, so it was not marked "
            f"{'done' if done else 'open'}. It now shows their version: tick it again if "
            "it still applies.",
        )
        return
    except LeadsError as exc:
        feedback.flash_error("Could not change the task", exc)
        return
    data.clear()
    feedback.flash("success", "Task done." if done else "Task open again.")


def _add_task(lead_id: str) -> None:
    state = st.session_state
    try:
        body = validated(
            TaskCreate,
            {
                "title": state["task_title"],
                "due_at": _at(state["task_due_date"], state["task_due_time"]),
                "owner_id": state["task_owner"] or None,
            },
        )
        writes.add_task(lead_id, body)
    except LeadsError as exc:
        feedback.flash_error("Could not add the task", exc)
        return
    # Set, not deleted: a widget of a form keeps the browser's value when its key is deleted.
    state["task_title"] = ""
    data.clear()
    feedback.flash("success", f"Task added: {md(body.title)}")


def lead_tasks(lead_id: str, *, can_write: bool, me: str | None) -> None:
    """The lead's tasks, each with its done box, and (for writers) the form adding one;
    ``me`` (the signed-in user's id) is the owner the form offers first."""
    st.subheader("Tasks")
    people = data.people()
    tasks = data.lead_tasks(lead_id)
    if not tasks:
        st.caption("No tasks yet.")
    now = clock.utcnow()
    for task in tasks:
        _task_row(task, people.names, now, can_write=can_write)
    if can_write:
        _add_task_form(lead_id, people, me)


def _task_row(task: Task, names: dict[str, str], now: datetime, *, can_write: bool) -> None:
    box, due, owner = st.columns([5, 2, 2], vertical_alignment="center")
    key = f"task_done_{task.id}_{task.version}"  # a new box when the task changed
    box.checkbox(
        md(task.title),
        value=task.done_at is not None,
        key=key,
        disabled=not can_write,
        on_change=_toggle_done,
        args=(task.id, task.version, key),
    )
    late = task.done_at is None and task.due_at is not None and as_utc(task.due_at) < now
    due.caption(f":red[{due_text(task)}]" if late else due_text(task))
    owner.caption(md(names.get(task.owner_id, "Nobody")) if task.owner_id else "Nobody")


def _add_task_form(lead_id: str, people: data.People, me: str | None) -> None:
    choices = [NOBODY, *people.enabled]
    with st.form("task_add", border=True):
        st.text_input("New task", key="task_title", placeholder="Call back about pricing")
        day, hour, owner = st.columns(3)
        day.date_input(
            "Due date", value=clock.utcnow().date() + timedelta(days=1), key="task_due_date"
        )
        hour.time_input(
            "Due time (UTC)",
            value=DEFAULT_DUE_TIME,
            step=timedelta(minutes=15),
            key="task_due_time",
        )
        owner.selectbox(
            "Owner",
            choices,
            index=choices.index(me) if me in choices else 0,
            format_func=lambda user_id: people.names.get(user_id, "Nobody"),
            key="task_owner",
        )
        st.form_submit_button("Add task", on_click=_add_task, args=(lead_id,))


# ------------------------------------------------------------------ activities


def _log_activity(lead_id: str) -> None:
    state = st.session_state
    try:
        body = validated(
            ActivityCreate,
            {
                "type": state["activity_type"],
                "body": state["activity_body"],
                "at": _at(state["activity_date"], state["activity_time"]),
            },
        )
        writes.log_activity(lead_id, body)
    except LeadsError as exc:
        feedback.flash_error("Could not log the activity", exc)
        return
    now = clock.utcnow()  # ready for the next one, as of now (set: see _add_task)
    state["activity_body"] = ""
    state["activity_date"] = now.date()
    state["activity_time"] = now.time().replace(second=0, microsecond=0)
    feedback.flash("success", f"Logged: {lead_view.ACTIVITY_LABELS[body.type]}")


def activity_form(lead_id: str) -> None:
    """Log a call, email, meeting or note at the time it happened (default: now)."""
    now = clock.utcnow()
    with st.form("activity_log", border=True):
        st.markdown("**Log activity**")
        kind, day, hour = st.columns(3)
        kind.selectbox(
            "Type",
            ACTIVITY_TYPES,
            format_func=lambda value: lead_view.ACTIVITY_LABELS[value],
            key="activity_type",
        )
        day.date_input("When", value=now.date(), key="activity_date")
        hour.time_input(
            "Time (UTC)",
            value=now.time().replace(second=0, microsecond=0),
            step=timedelta(minutes=5),
            key="activity_time",
        )
        st.text_area("What happened", key="activity_body", placeholder="Left a voicemail…")
        st.form_submit_button("Log activity", on_click=_log_activity, args=(lead_id,))


# ------------------------------------------------------------------ Home


def _task_link(task: Task, leads: dict[str, Lead], names: dict[str, str], mine: bool) -> None:
    lead = leads.get(task.lead_id)
    who = lead_view.display_name(lead) if lead else task.lead_id
    owner = "" if mine else f" · {md(names.get(task.owner_id or '', 'nobody'))}"
    st.page_link(
        "pages/lead.py",
        label=f"{md(task.title)} — {md(who)} · {due_text(task)}{owner}",
        query_params={"id": task.lead_id},
        icon=":material/task_alt:",
    )


def due_soon(owner_id: str | None) -> None:
    """Open tasks overdue, due today and in the next 7 days, with their counts, each a link
    to its lead: the signed-in user's (``owner_id``), or everyone's when nobody is signed
    in (no users yet: the one person on this machine sees them all)."""
    mine = owner_id is not None
    st.subheader("My tasks" if mine else "Tasks due")
    if not mine:
        st.caption("Everyone's open tasks: nobody is signed in.")
    due = data.due_tasks(owner_id)
    names = data.people().names
    counts: Sequence[int] = [group.total for group in due.groups]
    if not any(counts):
        st.caption("Nothing overdue or due this week.")
        return
    for group in due.groups:
        label, icon = GROUPS[group.name]
        with st.expander(f"{label}: {group.total:,}", icon=icon, expanded=group.total > 0):
            for task in group.tasks:
                _task_link(task, due.leads, names, mine)
            if group.total > len(group.tasks):
                st.caption(f"… and {group.total - len(group.tasks):,} more.")
            if not group.tasks:
                st.caption("None.")
