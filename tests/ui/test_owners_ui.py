"""Owners in the dashboard (AppTest): the owner column of the Leads grid and its edits, the
owner filter in the URL, members opening on their own leads, the bulk "Assign owner", the
lead page's owner, the import's owner choice and the Analytics chart by owner. Names are
shown, never ids; writes name the signed-in user in the history."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sqlmodel import Session, col, select
from streamlit.testing.v1 import AppTest

from leads_core.ingest import importing
from leads_core.ingest.options import ImportOptions
from leads_core.services import leads, users
from leads_core.storage.models import Campaign, Lead, LeadActivity, User
from tests.conftest import FIXTURES
from tests.ui.conftest import Browser, OpenUrl
from tests.ui.grid_edits import edit_grid

Open = Callable[..., AppTest]
SAMPLE = (FIXTURES / "sample_leads.csv").read_bytes()
CAMILLE = "camille.martin@nexora.io"


@pytest.fixture
def team(ui_session: Session) -> dict[str, User]:
    return {
        "ann": users.create_user(ui_session, email="ann@acme.com", name="Ann Lee", role="member"),
        "bob": users.create_user(ui_session, email="bob@acme.com", name="Bob Roy", role="admin"),
    }


@pytest.fixture
def sample(ui_session: Session, campaign: Campaign, team: dict[str, User]) -> Campaign:
    """The 34 leads of sample_leads.csv; Ann owns the first 3 new ones, Bob the next 2."""
    importing.import_file(
        ui_session,
        SAMPLE,
        ImportOptions(campaign_id=campaign.id, region="FR", max_rows=1000, max_bytes=10_000_000),
    )
    ids = list(ui_session.exec(select(Lead.id).order_by(col(Lead.email))).all())
    leads.set_owner(ui_session, ids[:3], team["ann"].id)
    leads.set_owner(ui_session, ids[3:5], team["bob"].id)
    return campaign


def owners(session: Session) -> dict[str, str | None]:
    session.expire_all()
    return dict(session.exec(select(Lead.email, Lead.owner_id)).all())


def _edit(at: AppTest, position: int, cells: dict) -> AppTest:
    return edit_grid(at, position, cells)


def test_the_grid_shows_owner_names_and_filters_by_owner_in_the_url(
    open_page: Open, sample: Campaign, team: dict[str, User]
) -> None:
    at = open_page("leads")
    grid = at.data_editor[0].value
    assert sorted(grid["owner"].dropna()) == ["Ann Lee"] * 3 + ["Bob Roy"] * 2
    assert at.multiselect(key="f_owners").value == []  # the local admin opens on every lead

    at = open_page("leads", ownerId=team["bob"].id)
    assert "**2** leads match" in at.caption[0].value
    assert at.multiselect(key="f_owners").value == [team["bob"].id]
    assert at.query_params == {"ownerId": team["bob"].id}

    at = open_page("leads", ownerId="none")
    assert "**29** leads match" in at.caption[0].value
    at.multiselect(key="f_owners").set_value([]).run()
    assert "**34** leads match" in at.caption[0].value
    assert at.query_params == {}

    at = open_page("leads", ownerId="usr_deleted")  # a bad link: every lead
    assert "**34** leads match" in at.caption[0].value


def test_a_member_opens_on_their_own_leads(
    open_url: OpenUrl,
    browser: Browser,
    sample: Campaign,
    team: dict[str, User],
    monkeypatch: pytest.MonkeyPatch,
    ui_session: Session,
) -> None:
    browser.sign_in(ui_session, team["ann"])
    at = open_url("leads")
    assert "**3** leads match" in at.caption[0].value
    assert at.multiselect(key="f_owners").value == ["me"]
    assert at.query_params == {}  # "me" is this user's default
    assert set(at.data_editor[0].value["owner"]) == {"Ann Lee"}
    at.multiselect(key="f_owners").set_value([]).run()
    assert "**34** leads match" in at.caption[0].value
    assert at.query_params == {"ownerId": ""}  # all owners, away from the default

    at = open_url("leads", ownerId="")  # that link opens on every lead
    assert "**34** leads match" in at.caption[0].value


def test_an_admin_opens_on_every_lead(
    open_url: OpenUrl,
    browser: Browser,
    sample: Campaign,
    team: dict[str, User],
    monkeypatch: pytest.MonkeyPatch,
    ui_session: Session,
) -> None:
    browser.sign_in(ui_session, team["bob"])
    at = open_url("leads")
    assert "**34** leads match" in at.caption[0].value
    at = open_url("leads", ownerId="me")
    assert "**2** leads match" in at.caption[0].value


def test_an_owner_chosen_in_the_grid_is_saved_with_the_signed_in_user_in_history(
    open_url: OpenUrl,
    browser: Browser,
    sample: Campaign,
    team: dict[str, User],
    ui_session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    browser.sign_in(ui_session, team["bob"])
    at = open_url("leads", q=CAMILLE)
    _edit(at, 0, {"owner": "Ann Lee"})
    assert not at.exception and not at.error
    assert owners(ui_session)[CAMILLE] == team["ann"].id
    assert any("Saved Camille Martin (owner;" in t.value for t in at.toast)
    lead_id = ui_session.exec(select(Lead.id).where(Lead.email == CAMILLE)).one()
    entry = ui_session.exec(
        select(LeadActivity)
        .where(LeadActivity.lead_id == lead_id, LeadActivity.field == "ownerId")
        .order_by(col(LeadActivity.id).desc())
    ).first()
    assert entry is not None
    assert (entry.new_value, entry.actor) == (team["ann"].id, "Bob Roy <bob@acme.com>")
    _edit(at, 0, {"owner": None})
    assert owners(ui_session)[CAMILLE] is None


def test_a_viewer_sees_the_owner_column_read_only(
    open_url: OpenUrl,
    browser: Browser,
    sample: Campaign,
    ui_session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    viewer = users.create_user(ui_session, email="vi@acme.com", name="Vi", role="viewer")
    browser.sign_in(ui_session, viewer)
    at = open_url("leads")
    assert "owner" in at.data_editor[0].proto.columns  # configured...
    config = json.loads(at.data_editor[0].proto.columns)
    assert config["owner"]["disabled"] is True  # ...and locked
    assert "bulk_owner_apply" not in [b.key for b in at.button]  # no bulk changes at all


def test_bulk_assign_gives_the_selected_leads_to_a_member(
    open_url: OpenUrl,
    browser: Browser,
    sample: Campaign,
    team: dict[str, User],
    ui_session: Session,
) -> None:
    browser.sign_in(ui_session, team["bob"])
    at = open_url("leads", ownerId="none", sort="lastName")
    _edit(at, 0, {"select": True})
    _edit(at, 1, {"select": True})
    at.selectbox(key="bulk_owner").set_value(team["ann"].id)
    at.button(key="bulk_owner_apply").click().run()
    assert list(owners(ui_session).values()).count(team["ann"].id) == 5
    assert any("2 lead(s) given to Ann Lee" in t.value for t in at.toast)
    assert "**27** leads match" in at.caption[0].value  # the unassigned ones left
    assert at.subheader[0].value == "Selected: 0"  # the two left the list, and the selection
    at.multiselect(key="f_owners").set_value([team["ann"].id]).run()  # Ann's five
    _edit(at, 0, {"select": True})
    _edit(at, 1, {"select": True})
    at.selectbox(key="bulk_owner").set_value("")
    at.button(key="bulk_owner_apply").click().run()
    assert list(owners(ui_session).values()).count(None) == 29


def test_the_lead_page_changes_the_owner_and_names_it_in_the_history(
    open_url: OpenUrl,
    browser: Browser,
    sample: Campaign,
    team: dict[str, User],
    ui_session: Session,
) -> None:
    browser.sign_in(ui_session, team["bob"])
    lead = ui_session.exec(select(Lead).where(col(Lead.owner_id).is_(None))).first()
    assert lead is not None
    at = open_url("lead", id=lead.id)
    owner = next(s for s in at.selectbox if s.label == "Owner")
    assert owner.value is None
    assert owner.options == ["Unassigned", "Ann Lee", "Bob Roy"]
    owner.set_value(team["bob"].id)
    at.button[0].click().run()  # Save changes
    assert owners(ui_session)[lead.email] == team["bob"].id
    assert any("Saved: owner" in t.value for t in at.toast)
    history = next(d.value for d in at.dataframe if "By" in d.value.columns)
    change = history[history["Field"] == "Owner"].iloc[0]
    assert (change["From"], change["To"], change["By"]) == (
        "Unassigned",
        "Bob Roy",
        "Bob Roy <bob@acme.com>",
    )


def test_the_import_page_offers_nobody_one_member_or_several_in_turn(
    ui_db: str, team: dict[str, User]
) -> None:
    """The Import page's owner choice (``importer.owner_choice``) drawn alone: AppTest
    cannot upload the file the page needs first."""
    at = AppTest.from_function(_owner_choice_script, default_timeout=30)
    at.run()
    mode = at.radio(key="import_owner_mode")
    assert mode.options == [
        "Nobody",
        "One member",
        "Several members, in turn",
    ]
    assert at.caption[0].value == "owners:"
    mode.set_value("one").run()
    assert at.caption[0].value == "missing: Choose the owner of the new leads."
    at.selectbox(key="import_owner").set_value(team["ann"].id).run()
    assert at.caption[0].value == f"owners: {team['ann'].id}"
    at.radio(key="import_owner_mode").set_value("turns").run()
    assert at.caption[0].value == "missing: Choose the members to share with."
    at.multiselect(key="import_owners").set_value([team["bob"].id, team["ann"].id]).run()
    assert at.caption[0].value == f"owners: {team['bob'].id},{team['ann'].id}"


def _owner_choice_script() -> None:
    import streamlit as st

    from dashboard import data, importer

    people = data.people()
    chosen, missing = importer.owner_choice(people.names, people.enabled)
    st.caption(f"missing: {missing}" if missing else f"owners: {','.join(chosen)}")


def test_analytics_breaks_the_leads_down_by_owner(
    open_page: Open, sample: Campaign, team: dict[str, User]
) -> None:
    at = open_page("analytics")
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    by_owner = next(c for c in charts if c["layout"]["title"]["text"] == "Leads by owner")
    bars = by_owner["data"][0]
    assert list(zip(bars["x"], bars["y"], strict=True)) == [
        ("Unassigned", 29),
        ("Ann Lee", 3),
        ("Bob Roy", 2),
    ]
    at = open_page("analytics", ownerId=team["ann"].id)
    assert at.metric[0].value == "3"
