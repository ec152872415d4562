"""leads_core.services.imports: the history and undo - what counts as "changed since"."""

from __future__ import annotations

import pytest
from sqlmodel import Session, func, select

from leads_core.errors import NotFound
from leads_core.ingest import importing
from leads_core.ingest.options import ImportOptions, ImportOutcome
from leads_core.schemas import LeadUpdate
from leads_core.services import imports, leads, rescoring
from leads_core.storage.models import Lead

pytestmark = pytest.mark.usefixtures("campaign")


def run_import(session: Session, rows: list[dict], **choices) -> ImportOutcome:
    options = ImportOptions(campaign_id="cmp_123", region="FR", max_rows=1000, **choices)
    return importing.import_leads(session, rows, options)


def ids_of(outcome: ImportOutcome) -> list[str]:
    return [lead.id for lead in outcome.leads]


def lead_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Lead)).one()


def test_history_newest_first_with_campaign_names_and_paging(session: Session) -> None:
    run_import(session, [{"email": "a@x.io"}], filename="first.csv")
    run_import(session, [{"email": "b@x.io"}, {"email": "c@x.io"}], filename="later.csv")

    page = imports.list_imports(session, limit=1)
    assert (page.total, page.total_pages) == (2, 2)
    [entry] = page.imports
    assert (entry.batch.filename, entry.batch.imported, entry.batch.rows) == ("later.csv", 2, 2)
    assert entry.campaign_name == "Q1 CTO outreach"
    second = imports.list_imports(session, page=2, limit=1).imports
    assert [e.batch.filename for e in second] == ["first.csv"]
    assert imports.list_imports(session, campaign_id="cmp_other").total == 0


def test_notes_status_and_field_edits_keep_a_lead_a_rescore_does_not(session: Session) -> None:
    outcome = run_import(session, [{"email": f"p{n}@x.io"} for n in range(5)])
    noted, moved, edited, rescored, untouched = ids_of(outcome)
    leads.add_note(session, noted, "called")
    leads.set_status(session, [moved], "contacted")
    leads.update_lead(session, edited, LeadUpdate(company="Acme"), region="FR")
    rescoring.rescore_campaign(session, "cmp_123", region="FR")

    assert imports.remaining_leads(session, outcome.batch_id) == (5, 3)
    assert imports.undo_import(session, outcome.batch_id) == (2, 3)

    left = set(session.exec(select(Lead.id)).all())
    assert left == {noted, moved, edited}
    assert rescored not in left and untouched not in left


def test_a_lead_merged_by_a_later_import_is_kept(session: Session) -> None:
    first = run_import(session, [{"email": "a@x.io"}, {"email": "b@x.io"}])
    run_import(session, [{"email": "a@x.io", "company": "Acme"}], on_duplicate="update")

    assert imports.undo_import(session, first.batch_id) == (1, 1)
    assert session.exec(select(Lead.email)).all() == ["a@x.io"]


def test_undo_touches_only_its_own_import(session: Session) -> None:
    first = run_import(session, [{"email": "a@x.io"}])
    run_import(session, [{"email": "b@x.io"}])

    assert imports.undo_import(session, first.batch_id) == (1, 0)
    assert session.exec(select(Lead.email)).all() == ["b@x.io"]
    batch = imports.get_import(session, first.batch_id)
    assert (batch.undo_deleted, batch.undo_kept) == (1, 0)
    assert batch.undone_at is not None


def test_a_dry_run_leaves_no_trace(session: Session) -> None:
    outcome = run_import(session, [{"email": "a@x.io"}, {"email": "A@x.io"}], dry_run=True)
    assert (outcome.imported, outcome.skipped, outcome.response().import_id) == (1, 1, None)
    assert lead_count(session) == 0
    assert imports.list_imports(session).total == 0


def test_problem_rows_of_a_json_import_are_kept_as_csv(session: Session) -> None:
    outcome = run_import(session, [{"email": "a@x.io"}, {"firstName": "Ann", "company": "X"}])
    batch = imports.get_import(session, outcome.batch_id)
    assert batch.problems == (
        "firstName,company,Problem\r\nAnn,X,email: a lead needs an email or a LinkedIn URL\r\n"
    )


def test_unknown_import_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        imports.undo_import(session, "imp_nope")
