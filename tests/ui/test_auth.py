"""The sign-in gate (dashboard/auth.py), run by AppTest through app.py.

AppTest cannot send cookies, so ``auth.session_cookie`` is replaced by the fixture
``browser``, which holds the ``leads_session`` cookie the sign-in route would have set
(a session started with ``users.start_session``, as the route does).

AppTest on its own runs ``pages/<name>.py`` alone when a test switches to it (it takes our
pages/ folder for an old-style multipage app); the real server runs app.py for every URL
(app.py sets ``PagesManager.uses_pages_directory = False``). The ``open_url`` fixture does
the same, so a deep link goes through the gate as in a browser."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from dashboard import auth, grid, writes
from leads_core.access import Role
from leads_core.errors import Forbidden, Unauthorized
from leads_core.ingest import importing
from leads_core.ingest.options import ImportOptions
from leads_core.schemas import LeadUpdate
from leads_core.services import users
from leads_core.storage.models import Campaign, Lead, LeadActivity, User
from tests.conftest import FIXTURES
from tests.ui.conftest import APP, PASSWORD, Browser, OpenUrl
from tests.ui.escaping import shown

#: Everything a signed-out session is shown, on any URL: a title, a line, the sign-in link.
LOCKED = {"main": ["title", "caption", "markdown"], "sidebar": []}


@pytest.fixture
def sample(ui_session: Session, campaign: Campaign) -> Campaign:
    """The 34 leads of sample_leads.csv in ``cmp_123``: data a signed-out session must not see."""
    outcome = importing.import_file(
        ui_session,
        (FIXTURES / "sample_leads.csv").read_bytes(),
        ImportOptions(
            campaign_id=campaign.id,
            region="FR",
            max_rows=1000,
            max_bytes=10_000_000,
            filename="sample_leads.csv",
        ),
    )
    assert outcome.imported == 34
    return campaign


def _types(block: Any) -> list[str]:
    """The element types drawn in a block, depth first (a form, then what it holds)."""
    found: list[str] = []
    for child in block.children.values():
        found.append(child.type)
        if getattr(child, "children", None):
            found.extend(_types(child))
    return found


def _shown(at: AppTest) -> dict[str, list[str]]:
    return {"main": _types(at.main), "sidebar": _types(at.sidebar)}


def _sidebar_buttons(at: AppTest) -> list[str]:
    return [b.label for b in at.sidebar.button]


def _locked_columns(editor: Any) -> set[str]:
    """The grid's columns that cannot be edited (its column configuration's ``disabled``)."""
    columns = json.loads(editor.proto.columns)
    return {name for name, cfg in columns.items() if cfg.get("disabled")}


def _lead_id(session: Session, email: str) -> str:
    return session.exec(select(Lead.id).where(Lead.email == email)).one()


# ------------------------------------------------------------------ no user yet


@pytest.mark.parametrize(("page", "title"), [("home", "Leads workspace"), ("leads", "Leads")])
def test_with_no_user_this_machine_works_as_the_local_admin(
    open_url: OpenUrl, sample: Campaign, page: str, title: str
) -> None:
    at = open_url(page)
    assert at.title[0].value == title
    assert "Create the admin" in [b.label for b in at.sidebar.button]
    assert "Sign out" not in _sidebar_buttons(at)
    if page == "home":
        assert at.metric[0].value == "34"
    else:
        assert "**34** leads match" in at.caption[0].value


def test_with_no_user_another_machine_is_refused(
    open_url: OpenUrl, sample: Campaign, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth, "from_this_machine", lambda: False)
    at = open_url("leads")
    assert _shown(at) == {"main": ["title", "error"], "sidebar": []}
    assert shown(at.error[0].value).startswith("This workspace has no user yet.")


def test_the_first_admin_is_created_and_then_everyone_signs_in(
    open_url: OpenUrl, ui_session: Session, sample: Campaign
) -> None:
    at = open_url("home")
    at.sidebar.text_input(key="first_admin_name").input("Ada Admin")
    at.sidebar.text_input(key="first_admin_email").input("Ada@Acme.com")
    at.sidebar.text_input(key="first_admin_password").input("short")
    at.sidebar.button[0].click().run()
    assert at.sidebar.error[0].value.startswith("Could not create the admin: a password has 10")
    assert not users.users_exist(ui_session)

    at.sidebar.text_input(key="first_admin_password").input(PASSWORD)
    at.sidebar.button[0].click().run()
    assert not at.exception
    [ada] = users.list_users(ui_session)
    assert (ada.email, ada.name, ada.role) == ("ada@acme.com", "Ada Admin", "admin")
    assert users.check_password(ui_session, "ada@acme.com", PASSWORD).id == ada.id
    assert _shown(at)["sidebar"] == []  # signed out: the sign-in screen now
    assert at.title[0].value == "Leads workspace"
    assert not at.metric


# ------------------------------------------------------------------ signed out


@pytest.mark.parametrize(
    ("page", "params", "path"),
    [
        ("home", {}, "/"),
        ("leads", {"minScore": "85"}, "/?minScore=85"),
        ("lead", {"id": "LEAD"}, "/?id=LEAD"),
        ("analytics", {}, "/"),
        ("campaigns", {}, "/"),
        ("api_keys", {}, "/"),
        ("team", {}, "/"),
    ],
)
def test_a_signed_out_session_sees_only_the_sign_in_link_on_every_url(
    open_url: OpenUrl,
    admin: User,
    sample: Campaign,
    ui_session: Session,
    page: str,
    params: dict[str, str],
    path: str,
) -> None:
    if params.get("id") == "LEAD":
        params = {"id": _lead_id(ui_session, "camille.martin@nexora.io")}
        path = path.replace("LEAD", params["id"])
    at = open_url(page, **params)
    assert _shown(at) == LOCKED
    assert at.title[0].value == "Leads workspace"
    link = at.markdown[0].value
    # AppTest has no browser URL: the path is "/", the query is this page's.
    expected = (
        "/auth/sign-in"
        if path == "/"
        else "/auth/sign-in?next="
        + path.replace("/", "%2F").replace("?", "%3F").replace("=", "%3D")
    )
    assert f'<a href="{expected}" target="_self"' in link
    assert at.query_params == params  # the link is kept for after signing in


def test_an_unknown_or_ended_cookie_is_signed_out(
    open_url: OpenUrl, browser: Browser, admin: User, ui_session: Session
) -> None:
    browser.cookie = "not-a-session"
    assert _shown(open_url("home")) == LOCKED
    token = browser.sign_in(ui_session, admin)
    users.end_session(ui_session, token)
    assert _shown(open_url("home")) == LOCKED


# ------------------------------------------------------------------ signed in


def test_a_session_cookie_signs_in_and_sign_out_ends_it(
    open_url: OpenUrl, browser: Browser, member: User, sample: Campaign, ui_session: Session
) -> None:
    token = browser.sign_in(ui_session, member)
    at = open_url("leads", minScore="85")
    assert at.title[0].value == "Leads"
    assert (
        shown(at.sidebar.caption[0].value) == "Signed in as **Mel Member** (member)  \nmel@acme.com"
    )
    assert _sidebar_buttons(at) == ["Sign out", "Sign out everywhere", "Save view"]
    assert at.query_params == {"minScore": "85"}

    at.switch_page("pages/campaigns.py").run()  # still signed in on another page
    assert at.title[0].value == "Campaigns"

    next(b for b in at.sidebar.button if b.label == "Sign out").click().run()
    assert _shown(at)["sidebar"] == []
    assert at.title[0].value == "Leads workspace"
    assert users.resolve_session(ui_session, token) is None  # ended in the database


def test_sign_out_everywhere_ends_every_session_of_the_user(
    open_url: OpenUrl, browser: Browser, member: User, ui_session: Session
) -> None:
    other_device = users.start_session(ui_session, member)
    browser.sign_in(ui_session, member)
    at = open_url("home")
    next(b for b in at.sidebar.button if b.label == "Sign out everywhere").click().run()
    assert _shown(at)["sidebar"] == []
    assert users.resolve_session(ui_session, other_device) is None


def test_a_session_ended_elsewhere_is_signed_out_at_the_next_run(
    open_url: OpenUrl, browser: Browser, member: User, ui_session: Session
) -> None:
    token = browser.sign_in(ui_session, member)
    at = open_url("home")
    assert at.title[0].value == "Leads workspace" and at.metric
    users.end_session(ui_session, token)  # "sign out" in another tab
    at.run()
    assert _shown(at) == LOCKED


def test_a_disabled_user_is_signed_out_at_the_next_run(
    open_url: OpenUrl, browser: Browser, member: User, ui_session: Session
) -> None:
    browser.sign_in(ui_session, member)
    at = open_url("leads")
    assert at.title[0].value == "Leads"
    users.update_user(ui_session, member.id, users.UserChanges(disabled=True))
    at.run()
    assert _shown(at) == LOCKED


def test_the_menu_lists_what_the_role_may_use(
    open_url: OpenUrl,
    browser: Browser,
    sample: Campaign,
    admin: User,
    member: User,
    viewer: User,
    ui_session: Session,
) -> None:
    def menu(user: User) -> list[str]:
        browser.sign_in(ui_session, user)
        at = open_url("home")
        return [link.label for link in at.main.get("page_link")]

    assert menu(admin) == ["Leads", "Import", "Analytics", "Campaigns", "API keys"]
    assert menu(member) == ["Leads", "Import", "Analytics", "Campaigns", "API keys"]
    assert menu(viewer) == ["Leads", "Analytics", "Campaigns"]


@pytest.mark.parametrize(
    ("page", "refusal"),
    [
        ("team", "Only admins manage the team."),
        ("api_keys", "Viewers make no API keys: ask an admin."),
        ("import_csv", "Viewers import nothing: ask an admin for another role."),
    ],
)
def test_a_page_the_role_may_not_use_refuses_by_itself(
    ui_db: str, viewer: User, page: str, refusal: str
) -> None:
    """Not in a viewer's menu, and its URL opens Home; run alone, the page refuses too."""
    at = AppTest.from_file(f"{Path(APP).parent}/pages/{page}.py", default_timeout=30)
    at.session_state["_auth_principal"] = users.principal(viewer)
    at.run()
    assert [e.value for e in at.error] == [refusal]
    assert not at.button and not at.text_input and not at.file_uploader


@pytest.mark.parametrize("page", ["team", "api_keys", "import_csv"])
def test_a_page_outside_the_role_is_not_a_page_of_the_session(
    open_url: OpenUrl, browser: Browser, viewer: User, ui_session: Session, page: str
) -> None:
    browser.sign_in(ui_session, viewer)
    at = open_url("home")
    with pytest.raises(ValueError, match=f"Could not find a navigation page for '.*/{page}.py'"):
        at.switch_page(f"pages/{page}.py")


# ------------------------------------------------------------------ viewers read


def test_a_viewer_reads_the_leads_without_edit_controls(
    open_url: OpenUrl, browser: Browser, viewer: User, sample: Campaign, ui_session: Session
) -> None:
    browser.sign_in(ui_session, viewer)
    at = open_url("leads")
    assert "**34** leads match" in at.caption[0].value
    [editor] = at.data_editor
    assert _locked_columns(editor) == set(grid.ALL_BUT_SELECT)  # only ticking (exports) and Open
    assert [b.label for b in at.main.button] == ["Refresh"]  # no bulk status, no delete
    assert "bulk_status" not in [s.key for s in at.selectbox]


def test_a_viewer_sees_a_lead_read_only(
    open_url: OpenUrl, browser: Browser, viewer: User, sample: Campaign, ui_session: Session
) -> None:
    browser.sign_in(ui_session, viewer)
    at = open_url("lead", id=_lead_id(ui_session, "camille.martin@nexora.io"))
    assert at.title[0].value == "Camille Martin"
    assert all(field.disabled for field in [*at.text_input, *at.text_area, *at.selectbox])
    assert [b.label for b in at.main.button] == ["Save changes"]
    assert at.main.button[0].disabled
    assert "Add note" not in [b.label for b in at.button]


def test_a_viewer_sees_the_campaigns_table_only(
    open_url: OpenUrl, browser: Browser, viewer: User, sample: Campaign, ui_session: Session
) -> None:
    browser.sign_in(ui_session, viewer)
    at = open_url("campaigns")
    assert at.dataframe[0].value["Campaign"].tolist() == [sample.name]
    assert not at.main.button and not at.text_input


def test_a_member_edits_campaigns_but_deletes_none(
    open_url: OpenUrl, browser: Browser, member: User, sample: Campaign, ui_session: Session
) -> None:
    browser.sign_in(ui_session, member)
    at = open_url("campaigns")
    labels = [b.label for b in at.main.button]
    assert "Save campaign" in labels and "Yes, delete it" not in labels
    assert "Only admins delete campaigns." in [c.value for c in at.caption]


# ------------------------------------------------------------------ writes refuse anyway


def _as(monkeypatch: pytest.MonkeyPatch, user: User | None) -> None:
    principal = None if user is None else users.principal(user)
    monkeypatch.setattr(auth, "resolve", lambda: auth.Verdict(principal))


def test_writes_refuse_what_the_role_may_not(
    ui_session: Session,
    viewer: User,
    member: User,
    sample: Campaign,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lead_id = _lead_id(ui_session, "camille.martin@nexora.io")
    _as(monkeypatch, viewer)
    with pytest.raises(Forbidden, match="a viewer may not change leads"):
        writes.update_lead(lead_id, LeadUpdate(status="contacted"), expected_version=1)
    with pytest.raises(Forbidden):
        writes.add_note(lead_id, "hello")
    with pytest.raises(Forbidden):
        writes.delete_leads([lead_id])
    with pytest.raises(Forbidden, match="a viewer may not make or revoke API keys"):
        writes.create_api_key("mine", user_id=viewer.id)

    _as(monkeypatch, member)
    with pytest.raises(Forbidden, match="a member may not delete a campaign"):
        writes.delete_campaign(sample.id)
    with pytest.raises(Forbidden, match="a member may not manage users"):
        writes.invite_user("x@acme.com", "X", Role.ADMIN)
    with pytest.raises(Forbidden, match="a member may not manage users"):
        writes.create_api_key("for someone else", user_id=viewer.id)

    _as(monkeypatch, None)
    with pytest.raises(Unauthorized, match="you are signed out"):
        writes.add_note(lead_id, "hello")
    assert ui_session.exec(select(LeadActivity).where(LeadActivity.kind == "note")).all() == []


def test_history_names_the_signed_in_user(
    open_url: OpenUrl, browser: Browser, member: User, sample: Campaign, ui_session: Session
) -> None:
    lead_id = _lead_id(ui_session, "camille.martin@nexora.io")
    browser.sign_in(ui_session, member)
    at = open_url("lead", id=lead_id)
    at.text_area(key="new_note").input("Called, left a voicemail")
    at.button(key="add_note").click().run()
    [note] = ui_session.exec(
        select(LeadActivity).where(LeadActivity.lead_id == lead_id, LeadActivity.kind == "note")
    ).all()
    assert note.actor == "Mel Member <mel@acme.com>"
