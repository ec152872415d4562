"""Saved views in the sidebar: save the Leads page's filters and sort, open them as a link."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from leads_core.access import SYSTEM
from leads_core.services import views
from leads_core.storage.models import Campaign, SavedView
from tests.ui.escaping import shown

Open = Callable[..., AppTest]


def _page_links(at: AppTest) -> list[str]:
    return [link.proto.label for link in at.get("page_link")]


def test_save_this_view_keeps_the_filters_and_sort_of_the_page(
    open_url: Open, ui_session: Session, campaign: Campaign
) -> None:
    at = open_url("leads", status="contacted", minScore="40", sort="lastName", page="2")
    at.text_input(key="view_name").set_value("Contacted, by name")
    at.toggle(key="view_shared").set_value(True)
    at.button(key="save_view").click().run()
    assert not at.exception, [e.value for e in at.exception]
    saved = ui_session.exec(select(SavedView)).one()
    assert (saved.name, saved.shared, saved.owner_id) == ("Contacted, by name", True, None)
    assert views.view_params(saved) == {"minScore": "40", "status": "contacted", "sort": "lastName"}
    assert "Contacted\\, by name · shared" in _page_links(at)  # escaped Markdown
    assert "Saved the view Contacted, by name." in at.toast[0].value.replace("\\", "")


def test_opening_a_view_applies_its_filters_and_sort(
    open_url: Open, ui_session: Session, campaign: Campaign
) -> None:
    view = views.create_view(
        ui_session,
        name="Best contacted",
        params={"status": "contacted", "minScore": "70", "sort": "-createdAt"},
        shared=False,
        by=SYSTEM,
    )
    at = open_url("leads")  # the filters' widgets hold their defaults now
    assert at.multiselect(key="f_statuses").value == []
    at.query_params["view"] = view.id  # the sidebar's link: /leads?view=vw_…
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.multiselect(key="f_statuses").value == ["contacted"]
    assert at.slider(key="f_score").value == (70, 100)
    assert at.selectbox(key="f_sort").value == "-createdAt"
    assert dict(at.query_params) == {"status": "contacted", "minScore": "70", "sort": "-createdAt"}


def test_a_view_that_is_gone_says_so(open_url: Open, campaign: Campaign) -> None:
    at = open_url("leads", view="vw_[click](https://evil.example)")
    assert "\\[click\\]\\(https" in at.warning[0].value  # escaped: no link in the box
    assert shown(at.warning[0].value) == (
        "The view vw_[click](https://evil.example) does not exist any more, "
        "or is not shared with you."
    )
    assert "view" not in at.query_params


def test_deleting_ones_own_view(open_url: Open, ui_session: Session, campaign: Campaign) -> None:
    view = views.create_view(ui_session, name="Old", params="q=x", shared=False, by=SYSTEM)
    at = open_url("analytics")
    assert "Old" in _page_links(at)
    at.button(key=f"delete_view_{view.id}").click().run()
    ui_session.expire_all()
    assert ui_session.exec(select(SavedView)).all() == []
    assert "Old" not in _page_links(at)


def test_a_viewer_keeps_personal_views_and_cannot_share(
    open_url: Open, ui_session: Session, campaign: Campaign, viewer, browser
) -> None:
    browser.sign_in(ui_session, viewer)
    at = open_url("leads", status="new")
    assert at.toggle(key="view_shared").disabled
    at.text_input(key="view_name").set_value("My new ones")
    at.button(key="save_view").click().run()
    saved = ui_session.exec(select(SavedView)).one()
    assert (saved.owner_id, saved.shared, saved.query) == (viewer.id, False, "status=new")
