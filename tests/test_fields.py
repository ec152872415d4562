"""leads_core.fields: each lead field declared once, and every view derived from it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from leads_core import fields
from leads_core.files.export import EXPORT_COLUMNS
from leads_core.files.headers import HEADER_SYNONYMS, LEAD_FIELDS
from leads_core.schemas import CampaignCriteria, LeadCreate, LeadDetail, LeadPublic, LeadUpdate
from leads_core.scoring.rules import PROFILE_FIELDS
from leads_core.storage.models import Lead
from tests.support.import_graph import ROOT


def properties(model: type) -> list[str]:
    return list(model.model_json_schema()["properties"])  # type: ignore[attr-defined]


@pytest.mark.parametrize("field", fields.FIELDS, ids=lambda f: f.name)
def test_every_view_has_the_field(field: fields.LeadField) -> None:
    column = Lead.__table__.c[field.name]  # type: ignore[attr-defined]
    assert column.type.length == field.max_length
    assert field.api_name in properties(LeadCreate)
    assert (field.api_name in properties(LeadUpdate)) == field.editable
    assert (field.api_name in properties(LeadPublic)) == field.listed
    assert field.api_name in properties(LeadDetail)
    assert field.api_name in LEAD_FIELDS
    assert set(field.headers) < set(HEADER_SYNONYMS[field.api_name])
    assert ((field.api_name, field.name) in EXPORT_COLUMNS) == field.exported
    assert (field.name in fields.SCORED) == field.scored
    assert (field.name in fields.SEARCHED) == field.searched
    assert ((field.name, field.in_sentence) in PROFILE_FIELDS) == field.profile
    required = {"requiredFields": [field.api_name]}
    if field.requirable:
        assert CampaignCriteria.model_validate(required).required_fields == [field.api_name]
    else:
        with pytest.raises(ValueError, match="requiredFields"):
            CampaignCriteria.model_validate(required)


def test_labels_read_inside_a_sentence() -> None:
    by_name = fields.BY_NAME
    assert by_name["first_name"].in_sentence == "first name"
    assert by_name["linkedin_url"].in_sentence == "LinkedIn URL"
    assert by_name["linkedin_url"].api_name == "linkedinUrl"


ADD_A_FIELD = """
    from leads_core import fields
    region = fields.LeadField("region", "Region", 100, "contact", headers=("State",))
    fields.FIELDS = (*fields.FIELDS, region)
    fields.EDITABLE = (*fields.EDITABLE, region)

    from dashboard.grid import COLUMN_ORDER
    from leads_core.files.export import EXPORT_COLUMNS
    from leads_core.files.headers import detect_mapping
    from leads_core.schemas import LeadCreate, LeadPublic
    from leads_core.storage.models import Lead

    assert "region" in Lead.__table__.c
    assert LeadCreate.model_validate({"email": "a@b.fr", "region": " Bretagne "}).region == "Bretagne"
    assert "region" in LeadPublic.model_fields
    assert ("region", "region") in EXPORT_COLUMNS
    assert detect_mapping(["Email", "State"]) == {"Email": "email", "State": "region"}
    assert "region" in COLUMN_ORDER
    print("ok")
"""


@pytest.mark.slow
def test_adding_a_field_is_one_entry_in_the_registry() -> None:
    """A field added to FIELDS alone (here before the rest is imported, in a process of its
    own) is a column, an API field, a CSV header match, an export column and a grid column."""
    run = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(ADD_A_FIELD)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "ok"
