"""The sidebar's filters: several campaigns, sources, statuses and owners, a created and a
last-activity range, carried by the URL with the API's names and syntax; a link with them
opens the Leads and Analytics pages so filtered."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import Session, col, func, select, update

from leads_core.storage.models import Campaign, Lead
from tests.ui.test_pages import Open, sample

__all__ = ["sample"]  # the fixture, used by name


def _count(session: Session, *where) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(Lead).where(*where)).one()


def _age(session: Session, emails: list[str], day: date) -> None:
    """Those leads created and last worked on at noon on ``day``."""
    noon = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    session.exec(
        update(Lead)
        .where(col(Lead.email).in_(emails))
        .values(created_at=noon, last_activity_at=noon)
    )
    session.commit()


OLD = ["camille.martin@nexora.io", "chloe@lepetitatelier.fr"]


def test_a_link_with_several_values_and_a_range_opens_the_leads_so_filtered(
    open_page: Open, sample: Campaign, ui_session: Session
) -> None:
    _age(ui_session, OLD, date(2026, 1, 15))
    at = open_page("leads", status="new,contacted", createdTo="2026-01-31")
    assert at.multiselect(key="f_statuses").value == ["new", "contacted"]
    assert at.date_input(key="f_created").value[1] == date(2026, 1, 31)
    expected = _count(
        ui_session, col(Lead.status).in_(["new", "contacted"]), col(Lead.email).in_(OLD)
    )
    assert at.caption[0].value.startswith(f"**{expected}** lead")
    assert set(at.data_editor[0].value["email"]) <= set(OLD)
    assert at.query_params == {"status": "new,contacted", "createdTo": "2026-01-31"}


def test_the_widgets_write_the_api_syntax_in_the_url(
    open_page: Open, sample: Campaign, ui_session: Session
) -> None:
    _age(ui_session, OLD, date(2026, 1, 15))
    at = open_page("leads")
    at.multiselect(key="f_sources").set_value(["linkedin", "referral"]).run()
    at.multiselect(key="f_statuses").set_value(["new"]).run()
    at.date_input(key="f_activity").set_value((date(2026, 1, 1), date(2026, 1, 31))).run()
    assert at.query_params == {
        "source": "linkedin,referral",
        "status": "new",
        "lastActivityFrom": "2026-01-01",
        "lastActivityTo": "2026-01-31",
    }
    expected = _count(
        ui_session,
        col(Lead.source).in_(["linkedin", "referral"]),
        Lead.status == "new",
        col(Lead.email).in_(OLD),
    )
    assert at.caption[0].value.startswith(f"**{expected}** lead")
    at.date_input(key="f_activity").set_value(()).run()  # emptied: no bound
    assert "lastActivityFrom" not in at.query_params


def test_analytics_honours_the_created_range(
    open_page: Open, sample: Campaign, ui_session: Session
) -> None:
    _age(ui_session, OLD, date(2026, 1, 15))
    at = open_page("analytics", createdFrom="2026-01-01", createdTo="2026-01-31")
    assert at.metric[0].value == "2"
    at = open_page("analytics", createdFrom="2026-02-01", maxScore="100")
    assert at.metric[0].value == str(_count(ui_session) - 2)


def test_a_bad_range_in_a_link_is_ignored(open_page: Open, sample: Campaign) -> None:
    at = open_page("leads", createdFrom="2026-03-02", createdTo="2026-03-01", status="new,hot")
    assert "**34** leads match" in at.caption[0].value
    assert at.query_params == {}
