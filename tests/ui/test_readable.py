"""Readable pages (issue 17, problems 5, 8 and 9): long texts wrap on the Lead page, no
"None" in a table, counts with thousands separators, field labels in words, and the API
keys page: newest key first, revoking asks first."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from dashboard import feedback
from dashboard.safe import EMPTY, md
from leads_core.clock import utcnow
from leads_core.ingest import importing
from leads_core.ingest.options import ImportOptions
from leads_core.schemas import LeadUpdate
from leads_core.services import apikeys, leads
from leads_core.storage.models import ApiKey, Campaign, Lead, User
from tests.conftest import FIXTURES
from tests.ui.conftest import Browser, OpenUrl
from tests.ui.escaping import markdown_bodies

Open = Callable[..., AppTest]
SAMPLE = (FIXTURES / "sample_leads.csv").read_bytes()


@pytest.fixture
def sample(ui_session: Session, campaign: Campaign) -> Campaign:
    outcome = importing.import_file(
        ui_session,
        SAMPLE,
        ImportOptions(
            campaign_id=campaign.id, region="FR", max_rows=1000, filename="sample_leads.csv"
        ),
    )
    assert outcome.imported == 34
    return campaign


def _lead(session: Session, email: str) -> Lead:
    session.expire_all()
    return session.exec(select(Lead).where(Lead.email == email)).one()


# ------------------------------------------------------------------ lead page


def test_lead_page_score_reasons_and_enrichment_wrap(
    open_page: Open, sample: Campaign, ui_session: Session
) -> None:
    """Lines of text, not table cells that cut a long reason at the column's edge."""
    lead = _lead(ui_session, "camille.martin@nexora.io")
    at = open_page("lead", id=lead.id)
    tables = [set(d.value.columns) for d in at.dataframe]
    assert not [t for t in tables if {"Reason"} <= t or {"Fact"} <= t], tables
    bodies = markdown_bodies(at)
    assert lead.score_reasons and lead.enrichment
    for key, reason in lead.score_reasons.items():
        points = f"{lead.score_breakdown[key]}/" if lead.score_breakdown else ""
        assert any(points in b and md(reason) in b for b in bodies), (key, reason)
    enrichment = next(b for b in bodies if b.startswith("**Email status**: "))  # first
    assert "**Email domain**: nexora\\.io" in enrichment


def test_lead_history_names_fields_in_words(
    open_page: Open, sample: Campaign, ui_session: Session
) -> None:
    lead = _lead(ui_session, "camille.martin@nexora.io")
    leads.update_lead(
        ui_session,
        lead.id,
        LeadUpdate(linkedin_url="https://www.linkedin.com/in/camille-m", first_name="Cami"),
        region="FR",
    )
    at = open_page("lead", id=lead.id)
    history = next(d.value for d in at.dataframe if "What" in d.value.columns)
    assert set(history["Field"][:2]) == {"LinkedIn URL", "First name"}


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("linkedinUrl", "LinkedIn URL"),
        ("first_name", "First name"),
        ("ownerId", "Owner"),
        ("campaignId", "Campaign"),
    ],
)
def test_field_names_in_words(name: str, words: str) -> None:
    assert feedback.field_words(name) == words


# ------------------------------------------------------------------ empty cells, counts


def _placeholders(at: AppTest) -> list[str]:
    return [d.proto.placeholder for d in at.dataframe]


def test_tables_show_a_dash_not_none_for_empty_cells(
    open_page: Open, sample: Campaign, ui_session: Session
) -> None:
    apikeys.create_api_key(ui_session, name="CRM sync")  # never used: "Last used" is empty
    lead = _lead(ui_session, "camille.martin@nexora.io")
    batch = lead.import_id or ""
    pages = {
        "home": open_page("home"),
        "imports": open_page("imports", id=batch),
        "lead": open_page("lead", id=lead.id),
        "api_keys": open_page("api_keys"),
    }
    shown = {name: _placeholders(at) for name, at in pages.items()}
    assert shown == {
        "home": [EMPTY],
        "imports": [EMPTY, EMPTY],
        "lead": [EMPTY, EMPTY],
        "api_keys": [EMPTY],
    }


def test_team_table_shows_a_dash_for_empty_cells(
    open_url: OpenUrl, browser: Browser, admin: User, ui_session: Session
) -> None:
    browser.sign_in(ui_session, admin)
    assert _placeholders(open_url("team")) == [EMPTY]


def _number_formats(at: AppTest) -> dict[str, str]:
    """Column -> its number format, for every table of the page."""
    formats: dict[str, str] = {}
    for table in at.dataframe:
        config = json.loads(table.proto.columns or "{}")
        for name, column in config.items():
            found = (column.get("type_config") or {}).get("format")
            if found:
                formats[name.removeprefix("col:")] = found
    return formats


def test_import_counts_have_thousands_separators(
    open_page: Open, sample: Campaign, ui_session: Session
) -> None:
    """The browser's own separators ("localized": 12,345 in English, 12.345 in German)."""
    counts = ("Imported", "Updated", "Skipped", "Errors")
    home = _number_formats(open_page("home"))
    assert {c: "localized" for c in counts}.items() <= home.items()
    imports = _number_formats(open_page("imports"))
    assert {c: "localized" for c in ("Rows", *counts)}.items() <= imports.items()


def test_import_errors_name_the_field_in_words(open_page: Open, campaign: Campaign) -> None:
    at = open_page("import_csv")
    at.file_uploader(key="import_file").upload("sample_leads.csv", SAMPLE, "text/csv").run()
    at.selectbox(key="import_campaign").set_value(campaign.id).run()
    at.button(key="import_preview_go").click().run()
    errors = next(d.value for d in at.dataframe if "What to fix" in d.value.columns)
    assert set(errors["Field"]) == {"Email"}


# ------------------------------------------------------------------ API keys


def _key(session: Session, name: str, age_days: int) -> ApiKey:
    key, _plain = apikeys.create_api_key(session, name=name)
    key.created_at = utcnow() - timedelta(days=age_days)
    session.add(key)
    session.commit()
    return key


def test_api_keys_newest_first(open_page: Open, ui_session: Session) -> None:
    for name, age in (("old", 30), ("newest", 0), ("middle", 5)):
        _key(ui_session, name, age)
    assert [k.name for k in apikeys.list_api_keys(ui_session)] == ["newest", "middle", "old"]
    at = open_page("api_keys")
    assert list(at.dataframe[0].value["Name"]) == ["newest", "middle", "old"]
    box = at.selectbox(key="revoke_choice")
    assert [o.split(" (")[0] for o in box.options] == ["newest", "middle", "old"]


def test_revoking_a_key_asks_first(open_page: Open, ui_session: Session) -> None:
    key = _key(ui_session, "CRM sync", 1)
    at = open_page("api_keys")
    assert [w.value for w in at.warning] == [
        f"Revoke the key 'CRM sync' ({md(key.prefix)}…)? Programs using it stop at once."
    ]
    ui_session.expire_all()
    assert ui_session.get(ApiKey, key.id).revoked_at is None  # the question alone revokes nothing
    confirm = at.button(key="revoke")
    assert confirm.label == "Yes, revoke it"
    confirm.click().run()
    ui_session.expire_all()
    assert ui_session.get(ApiKey, key.id).revoked_at is not None
