"""The Leads grid in AppTest: what the bulk actions act on (the ticked rows, or every match
when chosen), the rows kept in place after an edit, Open, and no "None" in empty cells."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlmodel import Session, func, select
from streamlit.testing.v1 import AppTest

from dashboard import grid
from leads_core.ingest import importing
from leads_core.ingest.options import ImportOptions
from leads_core.storage.models import Campaign, Lead
from tests.conftest import FIXTURES
from tests.ui.grid_edits import edit_grid

Open = Callable[..., AppTest]


@pytest.fixture
def sample(ui_session: Session, campaign: Campaign) -> Campaign:
    """The 34 leads of sample_leads.csv in ``cmp_123``."""
    importing.import_file(
        ui_session,
        (FIXTURES / "sample_leads.csv").read_bytes(),
        ImportOptions(campaign_id=campaign.id, region="FR", max_rows=1000, max_bytes=10**7),
    )
    return campaign


def _count(session: Session, *where) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(Lead).where(*where)).one()


def _button(at: AppTest, key: str):
    return next(b for b in at.button if b.key == key)


def test_a_search_clears_the_ticks_and_says_so(open_page: Open, sample: Campaign) -> None:
    at = edit_grid(open_page("leads", sort="lastName"), 0, {"select": True})
    assert at.subheader[0].value == "Selected: 1"
    assert _button(at, "bulk_status_apply").label == "Set status of 1 selected"
    at.text_input(key="f_q").set_value("camille").run()
    assert at.subheader[0].value == "Selected: 0"
    assert [i.value for i in at.info] == ["The selection was cleared: the filters changed."]
    assert _button(at, "bulk_status_apply").disabled
    at.run()  # said once
    assert not at.info


def test_all_matching_is_chosen_explicitly_and_acts_on_every_match(
    open_page: Open, sample: Campaign, ui_session: Session
) -> None:
    linkedin = _count(ui_session, Lead.source == "linkedin")
    others = _count(ui_session) - linkedin
    assert linkedin > 1 and others > 0
    at = edit_grid(open_page("leads", limit="25"), 0, {"select": True})
    _button(at, "select_all_matching").click().run()
    assert at.subheader[0].value == "Selected: all 34 leads matching these filters"
    assert _button(at, "bulk_status_apply").label == "Set status of all 34 matching"
    at.multiselect(key="f_sources").set_value(["linkedin"]).run()  # another list: the ticks again
    assert at.subheader[0].value == "Selected: 0"
    at = edit_grid(at, 0, {"select": True})
    assert at.subheader[0].value == "Selected: 1"
    _button(at, "select_all_matching").click().run()
    warnings = [w.value for w in at.warning]
    assert f"Delete {linkedin:,} leads matching these filters and their history?" in (
        " ".join(warnings)
    )
    _button(at, "bulk_delete").click().run()
    assert _count(ui_session, Lead.source == "linkedin") == 0
    assert _count(ui_session) == others
    assert any(f"Deleted {linkedin} lead(s)" in t.value for t in at.toast)


def test_an_edited_row_stays_in_place_until_refresh(
    open_page: Open, sample: Campaign, ui_session: Session
) -> None:
    at = open_page("leads", sort="lastName")
    before = list(at.data_editor[0].value["last_name"])
    key = at.data_editor[0].key
    at = edit_grid(at, 0, {"last_name": "Zzyzx"})
    assert not at.error
    after = list(at.data_editor[0].value["last_name"])
    assert after == ["Zzyzx", *before[1:]]  # in place, not sorted to the end
    assert at.data_editor[0].key == key  # the same grid: it keeps its scroll position
    at = edit_grid(at, 1, {"company": "Elsewhere"})  # the first edit is not saved again
    assert [t.value for t in at.toast if "Saved" in t.value][-1].startswith(
        f"Saved {at.data_editor[0].value['first_name'].iloc[1]}"
    )
    _button(at, "grid_refresh").click().run()
    assert list(at.data_editor[0].value["last_name"])[-1] == "Zzyzx"


def test_open_goes_to_the_lead_in_the_same_session_with_its_list(
    open_page: Open, sample: Campaign
) -> None:
    at = open_page("leads", sort="lastName")
    names = at.data_editor[0].value
    at = edit_grid(at, 1, {"open": True})
    assert at.title[0].value == f"{names['first_name'].iloc[1]} {names['last_name'].iloc[1]}"
    assert dict(at.query_params) == {
        "id": names.index[1],
        "ownerId": "",
        "sort": "lastName",
        "limit": "50",
        "pos": "1",
    }
    assert "2 of 34" in [c.value for c in at.caption]


def test_empty_cells_show_a_dash_not_none(open_page: Open, sample: Campaign) -> None:
    at = open_page("leads")
    assert at.data_editor[0].proto.placeholder == "—"  # Streamlit's default: a grey "None"
    assert grid.EMPTY == "—"


def test_back_from_a_lead_its_open_box_opens_it_again(open_page: Open, sample: Campaign) -> None:
    at = open_page("leads", sort="lastName")
    first = at.data_editor[0].value
    name = f"{first['first_name'].iloc[0]} {first['last_name'].iloc[0]}"
    at = edit_grid(at, 0, {"open": True})
    assert at.title[0].value == name
    at.switch_page("pages/leads.py").run()
    assert at.title[0].value == "Leads"
    at = edit_grid(at, 0, {"open": True})
    assert at.title[0].value == name
