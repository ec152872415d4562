"""The dashboard's edits refuse an email, web site or LinkedIn link that is not one, with
the field named in words in place, and save nothing (``leads_core.validation``)."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from leads_core.storage.models import Campaign
from tests.ui.escaping import shown
from tests.ui.test_pages import Open, _edit, _lead, sample

__all__ = ["sample"]  # the fixture, used by name
EMAIL = "camille.martin@nexora.io"


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("email", "lena at greenfield", "Email: 'lena at greenfield' is not a valid email address"),
        ("website", "not a url", "Website: 'not a url' is not an http(s) web address"),
        (
            "linkedin_url",
            "javascript:alert(2)",
            "LinkedIn URL: 'javascript:alert(2)' is not a linkedin.com address",
        ),
    ],
)
def test_grid_edit_refuses_a_value_that_is_not_one(
    open_page: Open, sample: Campaign, ui_session: Session, column: str, value: str, message: str
) -> None:
    before = _lead(ui_session, EMAIL)
    at = open_page("leads", q=EMAIL)
    _edit(at, 0, {column: value})
    assert message in shown(at.error[0].value)
    after = _lead(ui_session, EMAIL)
    assert getattr(after, column) == getattr(before, column)
    assert after.version == before.version


def test_lead_form_refuses_a_value_that_is_not_one(
    open_page: Open, sample: Campaign, ui_session: Session
) -> None:
    lead = _lead(ui_session, EMAIL)
    at = open_page("lead", id=lead.id)
    next(t for t in at.text_input if t.label == "Email").set_value("deanna@@betazed")
    next(t for t in at.text_input if t.label == "Company").set_value("Nexora Group")
    at.button[0].click()  # the form's "Save changes"
    at.run()
    assert "Email: 'deanna@@betazed' is not a valid email address" in shown(at.error[0].value)
    after = _lead(ui_session, EMAIL)
    assert (after.email, after.company, after.version) == (EMAIL, lead.company, lead.version)
