"""Every dashboard page run by AppTest on a temporary database, asserting what it shows
and what its actions write."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlmodel import Session, func, select
from streamlit.testing.v1 import AppTest

from leads_core.ingest import importing
from leads_core.ingest.options import ImportOptions
from leads_core.schemas import LeadUpdate
from leads_core.services import apikeys, campaigns, leads
from leads_core.storage.models import Campaign, Lead, LeadActivity
from tests.conftest import FIXTURES
from tests.ui.escaping import shown
from tests.ui.grid_edits import edit_grid

Open = Callable[..., AppTest]
SAMPLE = (FIXTURES / "sample_leads.csv").read_bytes()


@pytest.fixture
def sample(ui_session: Session, campaign: Campaign) -> Campaign:
    """The 34 leads of sample_leads.csv in ``cmp_123``."""
    outcome = importing.import_file(
        ui_session,
        SAMPLE,
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


def _count(session: Session, *where) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(Lead).where(*where)).one()


def _lead(session: Session, email: str) -> Lead:
    session.expire_all()
    return session.exec(select(Lead).where(Lead.email == email)).one()


def _texts(elements) -> list[str]:
    return [e.value for e in elements]


def _table(at: AppTest, column: str):
    """The first table with this column, as a DataFrame (the lead page shows two to four
    tables depending on the lead: find them by what they hold, not by position; a plain
    ``st.dataframe``'s key does not reach AppTest)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


# ------------------------------------------------------------------ home


def test_home_empty_offers_import_and_demo_data(open_page: Open, ui_session: Session) -> None:
    at = open_page("home")
    assert "No leads yet" in at.info[0].value
    assert [m.value for m in at.metric][:2] == ["0", "0"]
    at.button(key="home_demo").click().run()
    assert not at.exception
    stored = _count(ui_session)
    assert stored == 500
    assert at.metric[0].value == "500"
    assert at.metric[1].value == "5"
    assert any("Loaded 500 demo leads" in t.value for t in at.toast)


def test_home_shows_counts_share_and_last_import(
    open_page: Open, sample: Campaign, ui_session: Session
) -> None:
    high = _count(ui_session, Lead.quality_score >= 85)
    at = open_page("home")
    assert [m.value for m in at.metric] == ["34", "1", str(high), f"{high / 34:.1%}"]
    imports = at.dataframe[0].value
    assert imports.iloc[0]["From"] == "sample_leads.csv"
    assert imports.iloc[0]["Imported"] == 34
    assert not at.info


# ------------------------------------------------------------------ leads


def test_leads_lists_a_page_with_the_total(open_page: Open, sample: Campaign) -> None:
    at = open_page("leads")
    assert "**34** leads match" in at.caption[0].value
    grid = at.data_editor[0].value
    assert len(grid) == 34
    assert list(grid["quality_score"]) == sorted(grid["quality_score"], reverse=True)


def test_leads_filters_come_from_the_url(
    open_page: Open, sample: Campaign, ui_session: Session
) -> None:
    high = _count(ui_session, Lead.quality_score >= 85)
    at = open_page("leads", minScore="85", sort="-qualityScore")
    assert f"**{high}** leads match" in at.caption[0].value
    assert at.slider(key="f_score").value == (85, 100)
    assert all(at.data_editor[0].value["quality_score"] >= 85)
    assert at.query_params == {"minScore": "85"}  # the default sort is left out

    at = open_page("leads", q="lefevre")  # accents and case ignored
    assert list(at.data_editor[0].value["last_name"]) == ["Lefèvre"]


def test_leads_bad_url_values_are_ignored(open_page: Open, sample: Campaign) -> None:
    at = open_page("leads", minScore="lots", status="maybe", campaignId="cmp_gone")
    assert "**34** leads match" in at.caption[0].value
    assert at.query_params == {}


def test_leads_pages_in_sql(open_page: Open, sample: Campaign) -> None:
    at = open_page("leads", limit="25", page="2")
    assert "showing 26-34" in at.caption[0].value
    assert len(at.data_editor[0].value) == 9


def test_leads_no_match_offers_to_clear_filters(open_page: Open, sample: Campaign) -> None:
    at = open_page("leads", q="nobody-has-this-name")
    assert at.info[0].value == "No lead matches these filters."
    at.button(key="clear_filters").click().run()
    assert "**34** leads match" in at.caption[0].value


def _edit(at: AppTest, position: int, cells: dict) -> AppTest:
    return edit_grid(at, position, cells)


def test_leads_inline_edit_saves_rescores_and_records_history(
    open_page: Open, sample: Campaign, ui_session: Session
) -> None:
    at = open_page("leads", q="camille.martin@nexora.io")
    before = _lead(ui_session, "camille.martin@nexora.io").quality_score
    _edit(at, 0, {"status": "contacted", "position": "Intern"})
    assert not at.exception and not at.error
    after = _lead(ui_session, "camille.martin@nexora.io")
    assert after.status == "contacted"
    assert after.position == "Intern"
    assert after.quality_score < before  # the position no longer matches the CTO target
    assert any("Saved Camille Martin" in t.value for t in at.toast)
    kinds = ui_session.exec(
        select(LeadActivity.kind, LeadActivity.field).where(LeadActivity.lead_id == after.id)
    ).all()
    assert ("status_change", "status") in kinds and ("field_change", "position") in kinds
    assert at.data_editor[0].value.iloc[0]["status"] == "contacted"  # redrawn from the DB


def test_leads_inline_edit_conflict_shows_what_to_fix(
    open_page: Open, sample: Campaign, ui_session: Session
) -> None:
    at = open_page("leads", q="camille.martin@nexora.io")
    _edit(at, 0, {"email": "julien.lefevre@brasserie-lumiere.fr"})
    assert "already has this email" in at.error[0].value
    assert _lead(ui_session, "camille.martin@nexora.io").status == "new"


def test_leads_bulk_status_and_delete(
    open_page: Open, sample: Campaign, ui_session: Session
) -> None:
    at = open_page("leads", sort="lastName")
    _edit(at, 0, {"select": True})
    _edit(at, 1, {"select": True})
    assert at.subheader[0].value == "Selected: 2"
    at.selectbox(key="bulk_status").set_value("qualified")
    at.button(key="bulk_status_apply").click().run()
    assert _count(ui_session, Lead.status == "qualified") == 2
    assert any("2 lead(s) moved to qualified" in t.value for t in at.toast)
    at.button(key="bulk_delete").click().run()
    assert _count(ui_session) == 32
    assert _count(ui_session, Lead.status == "qualified") == 0
    assert at.subheader[0].value == "Selected: 0"


# ------------------------------------------------------------------ lead detail


def test_lead_page_shows_score_breakdown_history_and_saves_the_form(
    open_page: Open, sample: Campaign, ui_session: Session
) -> None:
    lead = _lead(ui_session, "camille.martin@nexora.io")
    at = open_page("lead", id=lead.id)
    assert at.title[0].value == "Camille Martin"
    assert at.metric[0].value == f"{lead.quality_score}/100"
    reasons = [m.value.split("**")[1] for m in at.markdown if m.value.startswith("**")][:5]
    assert reasons == [
        "Email validity",
        "Profile completeness",
        "Company data",
        "Source reliability",
        "Campaign match",
    ]
    assert len(at.get("plotly_chart")) == 1
    assert _table(at, "Column").to_dict("records") == [
        {"Column": "Favourite colour", "Value": "bleu"}
    ]
    assert _table(at, "What").iloc[0]["What"] == "Created"

    status = next(s for s in at.selectbox if s.label == "Status")
    status.set_value("replied")
    next(t for t in at.text_input if t.label == "Company").set_value("Nexora Group")
    at.button[0].click()  # the form's "Save changes"
    at.run()
    changed = _lead(ui_session, "camille.martin@nexora.io")
    assert (changed.status, changed.company) == ("replied", "Nexora Group")
    assert changed.first_name == "Camille"  # untouched fields are not sent
    history = _table(at, "What")
    assert set(history["Field"][:2]) == {"Status", "Company"}


def test_lead_page_adds_a_dated_note(
    open_page: Open, sample: Campaign, ui_session: Session
) -> None:
    lead = _lead(ui_session, "camille.martin@nexora.io")
    at = open_page("lead", id=lead.id)
    at.text_area(key="new_note").set_value("Called, wants pricing")
    at.button(key="add_note").click().run()
    notes = _lead(ui_session, "camille.martin@nexora.io").notes
    assert notes.startswith("Met at VivaTech\n[") and notes.endswith("UTC] Called, wants pricing")
    assert _table(at, "What").iloc[0]["To"] == "Called, wants pricing"


def test_lead_page_unknown_id_says_so(open_page: Open, sample: Campaign) -> None:
    at = open_page("lead", id="lead_nope")
    assert "There is no lead 'lead_nope'" in shown(at.error[0].value)


def test_lead_page_delete(open_page: Open, sample: Campaign, ui_session: Session) -> None:
    lead = _lead(ui_session, "camille.martin@nexora.io")
    at = open_page("lead", id=lead.id)
    next(b for b in at.button if b.label == "Yes, delete it").click().run()
    assert _count(ui_session, Lead.id == lead.id) == 0


def _changed_by_someone_else(session: Session, email: str, **changes: str) -> Lead:
    lead = _lead(session, email)
    return leads.update_lead(session, lead.id, LeadUpdate(**changes), region="FR", actor="other")


def test_lead_page_refuses_to_overwrite_someone_elses_change(
    open_page: Open, sample: Campaign, ui_session: Session
) -> None:
    """Opened, then changed by a colleague before this user saves: the save is refused
    with what was not saved, and the form shows the colleague's version."""
    lead = _lead(ui_session, "camille.martin@nexora.io")
    at = open_page("lead", id=lead.id)
    _changed_by_someone_else(ui_session, "camille.martin@nexora.io", company="Nexora SAS")

    next(s for s in at.selectbox if s.label == "Status").set_value("replied")
    at.button[0].click()  # the form's "Save changes", drawn at the first version
    at.run()

    assert "Someone else changed this lead after you opened it" in at.error[0].value
    assert "Status → 'replied'" in shown(at.error[0].value)
    ui_session.expire_all()
    kept = _lead(ui_session, "camille.martin@nexora.io")
    assert (kept.status, kept.company, kept.version) == ("new", "Nexora SAS", 2)
    assert next(t for t in at.text_input if t.label == "Company").value == "Nexora SAS"


def test_lead_page_refuses_to_delete_a_lead_changed_since_it_was_opened(
    open_page: Open, sample: Campaign, ui_session: Session
) -> None:
    lead = _lead(ui_session, "camille.martin@nexora.io")
    at = open_page("lead", id=lead.id)
    _changed_by_someone_else(ui_session, "camille.martin@nexora.io", status="qualified")

    next(b for b in at.button if b.label == "Yes, delete it").click().run()

    assert "so it was not deleted" in at.error[0].value
    assert _count(ui_session, Lead.id == lead.id) == 1


def test_leads_inline_edit_refuses_to_overwrite_someone_elses_change(
    open_page: Open, sample: Campaign, ui_session: Session
) -> None:
    at = open_page("leads", q="camille.martin@nexora.io")
    _changed_by_someone_else(ui_session, "camille.martin@nexora.io", position="CEO")

    _edit(at, 0, {"position": "Intern"})

    assert "Someone else changed the lead" in at.error[0].value
    ui_session.expire_all()
    assert _lead(ui_session, "camille.martin@nexora.io").position == "CEO"
    assert at.data_editor[0].value.iloc[0]["position"] == "CEO"  # redrawn: their version


# ------------------------------------------------------------------ analytics


def test_analytics_draws_six_charts_for_the_filters(
    open_page: Open, sample: Campaign, ui_session: Session
) -> None:
    at = open_page("analytics")
    assert at.metric[0].value == "34"
    assert len(at.get("plotly_chart")) == 6
    high = _count(ui_session, Lead.quality_score >= 85)
    at = open_page("analytics", minScore="85")
    assert at.metric[0].value == str(high)
    assert at.metric[2].value == str(high)


def test_analytics_empty_database(open_page: Open) -> None:
    at = open_page("analytics")
    assert "No leads yet" in at.info[0].value
    assert not at.get("plotly_chart")


def test_analytics_sees_writes_made_elsewhere(
    open_page: Open, sample: Campaign, ui_session: Session
) -> None:
    at = open_page("analytics")
    assert at.metric[0].value == "34"
    leads.delete_lead(ui_session, _lead(ui_session, "camille.martin@nexora.io").id)
    at.run()  # same session, same cache: the data version changed
    assert at.metric[0].value == "33"


# ------------------------------------------------------------------ campaigns


def test_campaigns_list_create_edit_and_rescore(
    open_page: Open, sample: Campaign, ui_session: Session
) -> None:
    at = open_page("campaigns")
    table = at.dataframe[0].value
    assert table.iloc[0]["Campaign"] == "Q1 CTO outreach" and table.iloc[0]["Leads"] == 34

    at.text_input(key="new_name").set_value("Paris founders")
    at.multiselect(key="new_positions").set_value(["Founder"])
    at.multiselect(key="new_required").set_value(["phone"])
    next(b for b in at.button if b.label == "Create campaign").click().run()
    created = ui_session.exec(select(Campaign).where(Campaign.name == "Paris founders")).one()
    assert created.criteria["targetPositions"] == ["Founder"]
    assert created.criteria["requiredFields"] == ["phone"]

    at.selectbox(key="edit_campaign").set_value(sample.id).run()
    positions = next(m for m in at.multiselect if m.key.endswith("_positions") and "edit" in m.key)
    positions.set_value(["Intern"])
    before = _lead(ui_session, "camille.martin@nexora.io").quality_score
    next(b for b in at.button if b.label == "Save campaign").click().run()
    ui_session.expire_all()
    assert campaigns.get_campaign(ui_session, sample.id).criteria["targetPositions"] == ["Intern"]
    assert _lead(ui_session, "camille.martin@nexora.io").quality_score < before  # re-scored
    assert "Re-scored Q1 CTO outreach" in at.toast[0].value
    at.button(key="rescore").click().run()
    assert "0 score(s) changed" in at.toast[0].value


def test_campaigns_create_without_a_name_shows_an_error(
    open_page: Open, ui_session: Session
) -> None:
    at = open_page("campaigns")
    assert "No campaign yet" in at.info[0].value
    next(b for b in at.button if b.label == "Create campaign").click().run()
    assert "name" in at.error[0].value
    assert ui_session.exec(select(func.count()).select_from(Campaign)).one() == 0


# ------------------------------------------------------------------ API keys


def test_api_keys_create_once_list_and_revoke(open_page: Open, ui_session: Session) -> None:
    at = open_page("api_keys")
    assert "No API key yet" in at.info[0].value
    at.text_input(key="key_name").set_value("CRM sync")
    next(b for b in at.button if b.label == "Create key").click().run()
    plain = at.code[0].value
    assert plain.startswith("lw_")
    assert apikeys.authenticate(ui_session, plain)[0].name == "CRM sync"
    listed = at.dataframe[0].value
    assert listed.iloc[0]["Key starts with"] == plain[: apikeys.PREFIX_LENGTH] + "…"
    at.run()
    assert all(plain not in c.value for c in at.code)  # shown once
    at.button(key="revoke").click().run()
    with pytest.raises(Exception, match="invalid API key"):
        apikeys.authenticate(ui_session, plain)
    assert "/v1/leads?minScore=85" in at.code[-1].value


def test_leads_export_of_a_huge_filtered_set_is_refused(
    open_page: Open, sample: Campaign, monkeypatch: pytest.MonkeyPatch
) -> None:
    from leads_core.files import export

    at = open_page("leads")
    buttons = {b.proto.label: b.proto.disabled for b in at.get("download_button")}
    assert buttons == {"Export 0 selected as CSV": True, "Export all 34 filtered as CSV": False}
    monkeypatch.setattr(export, "MAX_EXPORT_ROWS", 10)
    at.run()
    buttons = {b.proto.label: b.proto.disabled for b in at.get("download_button")}
    assert buttons["Export all 34 filtered as CSV"] is True
    assert any("at most 10 leads" in c.value for c in at.caption)
