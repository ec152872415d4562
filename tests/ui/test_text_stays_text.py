"""User text stays text on the pages and modules "readable" owns (issue 17): each place a
lead, campaign, file, user, key, task or URL text is drawn as Markdown shows it escaped.

One test per place; each puts a Markdown trap (``tests.ui.escaping.TRAPS``) where a user
could and asserts the element's body is the escaped text."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from dashboard import feedback
from dashboard.safe import md
from leads_core.access import Role, Scope
from leads_core.clock import utcnow
from leads_core.errors import ValidationFailed
from leads_core.ingest import importing
from leads_core.ingest.options import ImportOptions
from leads_core.schemas import CampaignCreate, LeadUpdate
from leads_core.services import apikeys, campaigns, leads, tasks, users
from leads_core.storage.models import Lead
from leads_core.task_schemas import TaskCreate
from tests.ui.conftest import PASSWORD, Browser, OpenUrl
from tests.ui.escaping import IMAGE, LINK, assert_escaped, markdown_bodies

Open = Callable[..., AppTest]
FILE = b"Email;Company\r\nana@trap.example;Trap One\r\n"


@pytest.fixture
def trapped(ui_session: Session) -> Lead:
    """A lead whose last name is an image, in a campaign whose name is a link, imported
    from a file whose name is an image."""
    campaign = campaigns.create_campaign(ui_session, data=CampaignCreate(name=f"Fair {LINK}"))
    outcome = importing.import_file(
        ui_session,
        FILE,
        ImportOptions(campaign_id=campaign.id, region="FR", max_rows=10, filename=IMAGE),
    )
    (lead,) = outcome.leads
    return leads.update_lead(ui_session, lead.id, LeadUpdate(last_name=IMAGE), region="FR")


def test_lead_title(open_page: Open, trapped: Lead) -> None:
    at = open_page("lead", id=trapped.id)
    assert at.title[0].value == md(IMAGE)
    assert_escaped(at, IMAGE)


def test_lead_campaign_metric(open_page: Open, trapped: Lead) -> None:
    at = open_page("lead", id=trapped.id)
    campaign = next(m for m in at.metric if m.label == "Campaign")
    assert campaign.value == md(f"Fair {LINK}")


def test_lead_not_found_error(open_page: Open) -> None:
    at = open_page("lead", id=LINK)
    assert at.error[0].value.startswith(f"There is no lead '{md(LINK)}'")
    assert_escaped(at, LINK)


def test_imports_page_subheader_and_caption(
    open_page: Open, trapped: Lead, ui_session: Session
) -> None:
    at = open_page("imports", id=trapped.import_id or "")
    assert at.subheader[0].value == md(IMAGE)
    assert any(f"into **{md(f'Fair {LINK}')}**" in c.value for c in at.caption)
    assert_escaped(at, IMAGE)


def test_import_page_file_name_in_an_error(open_page: Open) -> None:
    at = open_page("import_csv")
    at.file_uploader(key="import_file").upload(IMAGE, b"", "text/csv").run()
    assert at.error[0].value.startswith(f"{md(IMAGE)} cannot be imported")
    assert_escaped(at, IMAGE)


def test_import_page_file_name_in_how_it_was_read(open_page: Open) -> None:
    at = open_page("import_csv")
    at.file_uploader(key="import_file").upload(IMAGE, FILE, "text/csv").run()
    assert_escaped(at, IMAGE)


def test_error_messages_echoing_input(open_page: Open) -> None:
    """``feedback.describe``: a LeadsError's message and details may quote user input."""
    exc = ValidationFailed(
        f"no campaign {LINK}", details=[{"field": "linkedinUrl", "message": IMAGE}]
    )
    described = feedback.describe(exc)
    assert described == (f"{md(f'no campaign {LINK}')}\n- LinkedIn URL: {md(IMAGE)}")


def test_flashed_stale_change_quotes_the_values(ui_session: Session) -> None:
    at = AppTest.from_function(_flash_stale_then_show, default_timeout=30).run()
    assert_escaped(at, IMAGE)
    assert "LinkedIn URL →" in at.error[0].value


def _flash_stale_then_show() -> None:
    from dashboard import feedback
    from tests.ui.escaping import IMAGE

    feedback.flash_stale("this lead", {"linkedin_url": IMAGE})
    feedback.show_flashed()


def _admin(session: Session, name: str) -> object:
    return users.create_user(
        session, email="ada@acme.com", name=name, role=Role.ADMIN, password=PASSWORD
    )


def test_sidebar_user_name(open_url: OpenUrl, browser: Browser, ui_session: Session) -> None:
    browser.sign_in(ui_session, _admin(ui_session, IMAGE))
    at = open_url("home")
    assert any(c.value.startswith(f"Signed in as **{md(IMAGE)}**") for c in at.sidebar.caption)
    assert_escaped(at, IMAGE)


def test_team_delete_confirmation_names_the_user(
    open_url: OpenUrl, browser: Browser, ui_session: Session
) -> None:
    browser.sign_in(ui_session, _admin(ui_session, IMAGE))
    at = open_url("team")
    assert any(w.value.startswith(f"Delete {md(IMAGE)} ") for w in at.warning)
    assert_escaped(at, IMAGE)


def test_api_key_revoke_confirmation_names_the_key(open_page: Open, ui_session: Session) -> None:
    apikeys.create_api_key(ui_session, name=IMAGE, scope=Scope.READ)
    at = open_page("api_keys")
    assert_escaped(at, IMAGE)


def test_api_key_revoked_toast(open_page: Open, ui_session: Session) -> None:
    key, _plain = apikeys.create_api_key(ui_session, name=LINK)
    at = open_page("api_keys")
    at.button(key="revoke").click().run()
    assert [t.value for t in at.toast] == [f"Revoked the key {md(LINK)} ({md(key.prefix)}…)."]


def test_task_on_the_lead_page_and_home(
    open_page: Open, trapped: Lead, ui_session: Session
) -> None:
    tasks.create_task(
        ui_session, trapped.id, TaskCreate(title=LINK, due_at=utcnow() + timedelta(hours=2))
    )
    at = open_page("lead", id=trapped.id)
    assert next(c for c in at.checkbox if c.key and c.key.startswith("task_done")).label == (
        md(LINK)
    )
    home = open_page("home")
    assert_escaped(home, LINK)
    assert_escaped(home, IMAGE)  # the lead's name in the task's link


def test_home_has_nothing_raw(open_page: Open, trapped: Lead) -> None:
    at = open_page("home")
    assert not [b for b in markdown_bodies(at) if IMAGE in b or LINK in b]
