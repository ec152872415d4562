"""leads_core.ingest.importing: the one import path (validation, duplicates, scoring, atomicity)."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from leads_core.errors import NotFound, PayloadTooLarge, ValidationFailed
from leads_core.identity import NEEDS_IDENTITY
from leads_core.ingest import importing, pool, prepare
from leads_core.ingest.options import ImportOptions
from leads_core.schemas import CampaignCreate, CampaignUpdate, ImportRowError, LeadUpdate
from leads_core.services import campaigns, leads
from leads_core.storage.models import ImportBatch, Lead, LeadActivity
from tests.expected import SAMPLE_LEADS_MAPPING

pytestmark = pytest.mark.usefixtures("campaign")

FIXTURES = Path(__file__).parent.parent / "fixtures"
NO_CONTACT = "a lead needs an email or a LinkedIn URL"
JEAN = {
    "firstName": "Jean",
    "lastName": "Martin",
    "email": "jean.martin@startup.io",
    "company": "Startup IO",
    "position": "VP Engineering",
    "linkedinUrl": "https://linkedin.com/in/jeanmartin",
    "source": "linkedin",
}


def run(session: Session, rows: list, campaign_id: str = "cmp_123", **options):
    """Import ``rows``; ``options`` are ImportOptions fields or import_leads' own keywords."""
    own = {name: options.pop(name) for name in ("row_numbers", "timestamps") if name in options}
    options.setdefault("region", "FR")
    options.setdefault("max_rows", 100)
    return importing.import_leads(
        session, rows, ImportOptions(campaign_id=campaign_id, **options), **own
    )


def count(engine: Engine, model, *where) -> int:
    with Session(engine) as check:
        return check.exec(select(func.count()).select_from(model).where(*where)).one()


def stored(engine: Engine) -> list[Lead]:
    with Session(engine) as check:
        order = (col(Lead.email).nulls_first(), col(Lead.linkedin_url).nulls_first())
        return list(check.exec(select(Lead).order_by(*order)))


def activity(engine: Engine, lead_id: str) -> list[tuple]:
    with Session(engine) as check:
        rows = check.exec(
            select(LeadActivity)
            .where(LeadActivity.lead_id == lead_id)
            .order_by(col(LeadActivity.id))
        )
        return [(a.kind, a.field, a.old_value, a.new_value, a.actor) for a in rows]


@pytest.fixture
def other_campaign(session: Session) -> str:
    campaigns.create_campaign(session, data=CampaignCreate(id="cmp_other", name="Other"))
    return "cmp_other"


# ------------------------------------------------------------------ validation


def test_imports_and_scores_a_lead(session: Session, engine: Engine) -> None:
    outcome = run(session, [JEAN], actor="cli")

    assert (outcome.imported, outcome.updated, outcome.skipped, outcome.errors) == (1, 0, 0, [])
    [lead] = stored(engine)
    assert outcome.leads[0].id == lead.id
    assert (lead.first_name, lead.email, lead.source, lead.status) == (
        "Jean",
        "jean.martin@startup.io",
        "linkedin",
        "new",
    )
    assert lead.quality_score == outcome.leads[0].quality_score == 85
    assert lead.score_breakdown == {
        "emailValidity": 30,
        "profileCompleteness": 16,
        "companyData": 11,
        "sourceReliability": 13,
        "campaignMatch": 15,
    }
    assert (lead.email_key, lead.linkedin_key) == (
        "jean.martin@startup.io",
        "linkedin.com/in/jeanmartin",
    )
    assert (lead.import_id, lead.campaign_id) == (outcome.batch_id, "cmp_123")
    assert activity(engine, lead.id) == [("created", None, None, None, "cli")]


def test_snake_case_keys_and_surrounding_spaces(session: Session, engine: Engine) -> None:
    run(session, [{"first_name": "  Jean ", "email": " jean@startup.io ", "linkedin_url": " "}])

    [lead] = stored(engine)
    assert (lead.first_name, lead.email, lead.linkedin_url) == ("Jean", "jean@startup.io", None)


def test_row_errors_name_row_and_field(session: Session, engine: Engine) -> None:
    rows = [
        {"firstName": "No", "lastName": "Contact"},
        {"email": "ok@acme.io"},
        {"email": "a@acme.io", "firstName": 123},
        {"email": "b@acme.io", "notes": {"text": "hi"}},
        {"email": "c@acme.io", "firstName": "x" * 1001},
        {"email": "d@acme.io", "status": "hot lead"},
        "Jean Martin <jean@startup.io>",
        None,
        {"linkedinUrl": "https://"},  # normalizes to nothing
    ]

    outcome = run(session, rows, row_numbers=[10, 11, 12, 13, 14, 15, 16, 17, 18])

    assert outcome.imported == 1
    assert [(e.row, e.field) for e in outcome.errors] == [
        (10, "email"),
        (12, "firstName"),
        (13, "notes"),
        (14, "firstName"),
        (15, "status"),
        (16, "lead"),
        (17, "lead"),
        (18, "email"),
    ]
    assert outcome.errors[0] == ImportRowError(row=10, field="email", message=NO_CONTACT)
    assert outcome.errors[5].message == "must be a JSON object"
    assert [lead.email for lead in stored(engine)] == ["ok@acme.io"]
    with Session(engine) as check:
        batch = check.exec(select(ImportBatch)).one()
    assert (batch.imported, batch.skipped, batch.errors) == (1, 0, 8)


def test_invalid_email_is_kept_in_the_attributes_and_scores_zero(
    session: Session, engine: Engine
) -> None:
    run(session, [{"email": "not-an-email", "linkedinUrl": "https://linkedin.com/in/paul"}])

    [lead] = stored(engine)
    assert (lead.email, lead.attributes) == (None, {"Email": "not-an-email"})
    assert lead.email_key == "not-an-email"  # importing it again finds this lead
    assert lead.score_breakdown["emailValidity"] == 0
    assert lead.enrichment["emailStatus"] == "missing"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Open", "new"),
        ("IN_PROGRESS", "contacted"),
        ("in-progress", "contacted"),
        ("Connected", "replied"),
        ("SQL", "qualified"),
        ("customer", "converted"),
        ("Bad timing", "rejected"),
        ("REJECTED", "rejected"),
    ],
)
def test_status_synonyms(session: Session, engine: Engine, given: str, expected: str) -> None:
    outcome = run(session, [{"email": "a@acme.io", "status": given}])

    assert outcome.leads[0].status == expected
    assert stored(engine)[0].status == expected


def test_auto_score_false_stores_no_score(session: Session, engine: Engine) -> None:
    outcome = run(session, [JEAN], auto_score=False)

    [lead] = stored(engine)
    assert outcome.leads[0].quality_score is None
    assert (lead.quality_score, lead.score_breakdown, lead.score_reasons) == (None, None, None)
    assert lead.enrichment["emailDomain"] == "startup.io"


def test_too_many_rows_is_413_before_anything(session: Session, engine: Engine) -> None:
    rows = [{"email": f"lead{i}@acme.io"} for i in range(6)]

    with pytest.raises(PayloadTooLarge) as raised:
        run(session, rows, max_rows=5)

    assert raised.value.status == 413
    assert raised.value.details == [{"field": "leads", "message": "at most 5 leads per request"}]
    assert count(engine, Lead) == count(engine, ImportBatch) == 0
    assert run(session, rows[:5], max_rows=5).imported == 5


def test_unknown_campaign_is_404(session: Session, engine: Engine) -> None:
    with pytest.raises(NotFound, match="campaign 'cmp_nope' not found"):
        run(session, [JEAN], campaign_id="cmp_nope")

    assert count(engine, ImportBatch) == 0


def test_unknown_on_duplicate_is_422(session: Session) -> None:
    with pytest.raises(ValidationFailed) as raised:
        run(session, [JEAN], on_duplicate="merge")

    assert raised.value.details == [{"field": "onDuplicate"}]


# ------------------------------------------------------------------ duplicates


def test_email_duplicates_within_a_request(session: Session, engine: Engine) -> None:
    outcome = run(
        session,
        [{"email": "Jean@Startup.io", "firstName": "First"}, {"email": "  jean@STARTUP.io  "}],
    )

    assert (outcome.imported, outcome.skipped) == (1, 1)
    [lead] = stored(engine)
    assert (lead.email, lead.first_name) == ("Jean@Startup.io", "First")


def test_email_duplicates_of_stored_leads(session: Session, engine: Engine) -> None:
    run(session, [{"email": "jean@startup.io", "firstName": "First"}])

    outcome = run(session, [{"email": "JEAN@startup.io", "firstName": "Second"}])

    assert (outcome.imported, outcome.skipped, outcome.updated, outcome.leads) == (0, 1, 0, [])
    assert [lead.first_name for lead in stored(engine)] == ["First"]


@pytest.mark.parametrize(
    "variant",
    [
        "https://www.linkedin.com/in/jeanmartin/",
        "http://linkedin.com/in/jeanmartin",
        "linkedin.com/in/JeanMartin",
        "https://linkedin.com/in/jeanmartin?trk=public_profile",
        "https://fr.linkedin.com/in/jeanmartin/#experience",
        "  HTTPS://WWW.LINKEDIN.COM/in/jeanmartin  ",
    ],
)
def test_linkedin_url_variants_are_duplicates(
    session: Session, engine: Engine, variant: str
) -> None:
    run(session, [{"linkedinUrl": "https://linkedin.com/in/jeanmartin"}])

    within = run(session, [{"linkedinUrl": variant}, {"linkedinUrl": "linkedin.com/in/zoe"}])

    assert (within.imported, within.skipped) == (1, 1)
    assert count(engine, Lead) == 2


def test_linkedin_only_row_duplicates_a_lead_with_email(session: Session, engine: Engine) -> None:
    run(session, [JEAN])

    outcome = run(session, [{"linkedinUrl": "https://www.linkedin.com/in/jeanmartin/"}])

    assert (outcome.imported, outcome.skipped) == (0, 1)


def test_row_with_email_duplicates_a_linkedin_only_lead(session: Session, engine: Engine) -> None:
    run(session, [{"linkedinUrl": "https://www.linkedin.com/in/jeanmartin/"}])

    outcome = run(session, [JEAN])

    assert (outcome.imported, outcome.skipped) == (0, 1)
    assert [lead.email for lead in stored(engine)] == [None]


def test_same_linkedin_with_other_email_is_a_duplicate(session: Session, engine: Engine) -> None:
    outcome = run(session, [JEAN, {**JEAN, "email": "jean@gmail.com"}])

    assert (outcome.imported, outcome.skipped) == (1, 1)


def test_same_lead_in_another_campaign_is_not_a_duplicate(
    session: Session, engine: Engine, other_campaign: str
) -> None:
    run(session, [JEAN])

    outcome = run(session, [JEAN], campaign_id=other_campaign)

    assert (outcome.imported, outcome.skipped) == (1, 0)
    with Session(engine) as check:
        assert sorted(check.exec(select(Lead.campaign_id)).all()) == ["cmp_123", "cmp_other"]


def test_duplicates_across_chunks(
    session: Session, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pool, "CHUNK_ROWS", 2)
    calls: list[tuple[int, int]] = []
    rows = [
        {"email": "a@acme.io"},
        {"email": "b@acme.io"},
        {"email": "A@ACME.IO"},
        {"linkedinUrl": "https://linkedin.com/in/c"},
        {"linkedinUrl": "https://www.linkedin.com/in/c/", "email": "c@acme.io"},
    ]

    outcome = run(session, rows, progress=lambda done, total: calls.append((done, total)))

    assert (outcome.imported, outcome.skipped) == (3, 2)
    assert calls == [(2, 5), (4, 5), (5, 5)]
    assert count(engine, LeadActivity, LeadActivity.kind == "created") == 3


def test_empty_import_reports_progress(session: Session, engine: Engine) -> None:
    calls: list[tuple[int, int]] = []

    outcome = run(session, [], progress=lambda done, total: calls.append((done, total)))

    assert (outcome.imported, outcome.errors, calls) == (0, [], [(0, 0)])
    assert count(engine, ImportBatch) == 1


# ------------------------------------------------------------------ onDuplicate=update


def test_update_merges_non_empty_fields_and_rescores(session: Session, engine: Engine) -> None:
    first = run(
        session, [{"firstName": "Jean", "email": "jean@startup.io", "company": "Startup IO"}]
    )
    lead_id = first.leads[0].id
    assert first.leads[0].quality_score == 49

    outcome = run(
        session,
        [
            {
                "email": "JEAN@startup.io",
                "firstName": "",
                "lastName": "Martin",
                "position": "CTO",
                "source": "Referral",
                "linkedinUrl": "https://linkedin.com/in/jeanmartin",
                "status": "customer",
                "notes": "Met at VivaTech",
            }
        ],
        on_duplicate="update",
        actor="api:tests",
    )

    assert (outcome.imported, outcome.updated, outcome.skipped, outcome.errors) == (0, 1, 0, [])
    assert [(lead.id, lead.quality_score, lead.status) for lead in outcome.leads] == [
        (lead_id, 87, "new")
    ]
    [lead] = stored(engine)
    assert (lead.first_name, lead.last_name, lead.email, lead.position) == (
        "Jean",
        "Martin",
        "jean@startup.io",  # the identity that matched is not overwritten
        "CTO",
    )
    assert (lead.source, lead.status, lead.notes) == ("referral", "new", "Met at VivaTech")
    assert (lead.linkedin_url, lead.linkedin_key) == (
        "https://linkedin.com/in/jeanmartin",
        "linkedin.com/in/jeanmartin",
    )
    assert lead.score_breakdown == {
        "emailValidity": 30,
        "profileCompleteness": 16,
        "companyData": 11,
        "sourceReliability": 15,
        "campaignMatch": 15,
    }
    assert activity(engine, lead_id) == [
        ("created", None, None, None, None),
        ("field_change", "lastName", None, "Martin", "api:tests"),
        ("field_change", "position", None, "CTO", "api:tests"),
        ("field_change", "source", None, "referral", "api:tests"),
        ("field_change", "linkedinUrl", None, "https://linkedin.com/in/jeanmartin", "api:tests"),
        ("note", "notes", None, "Met at VivaTech", "api:tests"),
    ]
    with Session(engine) as check:
        batches = check.exec(select(ImportBatch).order_by(col(ImportBatch.created_at))).all()
    assert [(b.imported, b.updated, b.skipped) for b in batches] == [(1, 0, 0), (0, 1, 0)]


def test_update_does_not_take_an_identity_used_by_another_lead(
    session: Session, engine: Engine
) -> None:
    run(session, [{"email": "jean@startup.io"}, {"linkedinUrl": "https://linkedin.com/in/zoe"}])

    outcome = run(
        session,
        [{"email": "jean@startup.io", "linkedinUrl": "https://linkedin.com/in/zoe/"}],
        on_duplicate="update",
    )

    assert (outcome.updated, outcome.imported) == (1, 0)
    leads = stored(engine)
    assert [(lead.email, lead.linkedin_url) for lead in leads] == [
        (None, "https://linkedin.com/in/zoe"),
        ("jean@startup.io", None),
    ]


def test_update_without_new_values_changes_nothing(session: Session, engine: Engine) -> None:
    first = run(session, [JEAN])
    before = stored(engine)[0]

    outcome = run(session, [{"email": JEAN["email"], "company": "  "}], on_duplicate="update")

    after = stored(engine)[0]
    assert outcome.updated == 1
    assert outcome.leads[0].quality_score == first.leads[0].quality_score == 85
    assert after.updated_at == before.updated_at
    assert [a[0] for a in activity(engine, after.id)] == ["created"]


def test_update_keeps_an_unscored_lead_unscored(session: Session, engine: Engine) -> None:
    run(session, [{"email": "jean@startup.io"}], auto_score=False)

    run(
        session,
        [{"email": "jean@startup.io", "position": "CTO"}],
        on_duplicate="update",
        auto_score=False,
    )
    unscored = stored(engine)[0]
    run(session, [{"email": "jean@startup.io", "lastName": "Martin"}], on_duplicate="update")
    scored = stored(engine)[0]

    assert (unscored.position, unscored.quality_score) == ("CTO", None)
    assert (scored.last_name, scored.quality_score) == ("Martin", 30 + 8 + 3 + 0 + 11)


# ------------------------------------------------------------------ atomicity


def test_failure_before_commit_stores_nothing(
    session: Session, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(ctx) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(importing.writing, "record_created", broken)

    with pytest.raises(RuntimeError, match="disk full"):
        run(session, [JEAN, {"email": "b@acme.io"}])

    assert count(engine, Lead) == count(engine, ImportBatch) == count(engine, LeadActivity) == 0
    monkeypatch.undo()
    assert run(session, [JEAN]).imported == 1  # the session is usable again


def test_a_row_that_fails_to_prepare_is_that_rows_error_and_the_others_import(
    session: Session, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pool, "CHUNK_ROWS", 2)
    real_assess = prepare.assess

    def assess(fields, *args, **kwargs):
        if fields["email"] == "c@acme.io":
            raise RuntimeError("scoring crashed")
        return real_assess(fields, *args, **kwargs)

    monkeypatch.setattr(prepare, "assess", assess)
    rows = [{"email": f"{c}@acme.io"} for c in "abcde"]

    outcome = run(session, rows)

    assert outcome.errors == [
        ImportRowError(
            row=3, field="lead", message="this row could not be read; it has been logged"
        )
    ]
    assert (outcome.imported, count(engine, Lead), count(engine, ImportBatch)) == (4, 4, 1)


def test_failure_while_merging_undoes_the_merge(
    session: Session, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(session, [{"email": "jean@startup.io"}])
    monkeypatch.setattr(importing.writing, "record_created", lambda ctx: 1 / 0)

    with pytest.raises(ZeroDivisionError):
        run(
            session,
            [{"email": "jean@startup.io", "lastName": "Martin"}, {"email": "new@acme.io"}],
            on_duplicate="update",
        )

    assert [(lead.email, lead.last_name) for lead in stored(engine)] == [("jean@startup.io", None)]
    assert count(engine, ImportBatch) == 1
    assert count(engine, LeadActivity) == 1


# ------------------------------------------------------------------ timestamps, CSV


def test_timestamps_set_created_at(session: Session, engine: Engine) -> None:
    stamps = [datetime(2025, 1, 20, 10, 0, tzinfo=UTC), datetime(2024, 12, 1, 8, 30, tzinfo=UTC)]

    run(session, [{"email": "a@acme.io"}, {"email": "b@acme.io"}], timestamps=stamps)

    with Session(engine) as check:
        rows = check.exec(select(Lead).order_by(col(Lead.email))).all()
        created = check.exec(
            select(LeadActivity.created_at).order_by(col(LeadActivity.created_at))
        ).all()
    assert [(lead.created_at, lead.updated_at) for lead in rows] == [
        (stamps[0], stamps[0]),
        (stamps[1], stamps[1]),
    ]
    assert created == [stamps[1], stamps[0]]


def test_import_file_sample(session: Session, engine: Engine) -> None:
    outcome = importing.import_file(
        session,
        (FIXTURES / "sample_leads.csv").read_bytes(),
        ImportOptions(
            campaign_id="cmp_123",
            region="FR",
            max_rows=100,
            max_bytes=10 * 1024 * 1024,
            filename="sample_leads.csv",
            origin="cli",
        ),
    )

    assert (outcome.imported, outcome.skipped) == (34, 3)
    assert [(e.row, e.field) for e in outcome.errors] == [
        (16, "email"),
        (24, "email"),
        (33, "email"),
    ]
    assert outcome.csv is not None
    assert (outcome.csv.kind, outcome.csv.encoding, outcome.csv.delimiter) == (
        "csv",
        "utf-8-sig",
        ";",
    )
    assert (outcome.csv.ignored_columns, outcome.csv.attribute_columns) == (
        [],
        ["Favourite colour"],
    )
    assert outcome.warnings == [
        ImportRowError(
            row=22,
            field="email",
            message="'not-an-email' is not a valid email address: kept in the lead's "
            "attributes as 'E-mail Address'",
        )
    ]
    assert count(engine, Lead) == 34
    with Session(engine) as check:
        batch = check.exec(select(ImportBatch)).one()
        stored = check.exec(select(Lead.email, Lead.attributes)).all()
    colours = [(email, a) for email, a in stored if a and "Favourite colour" in a]
    assert (batch.origin, batch.filename, batch.imported, batch.skipped, batch.errors) == (
        "cli",
        "sample_leads.csv",
        34,
        3,
        3,
    )
    assert (batch.rows, batch.sheet, batch.mapping) == (40, None, SAMPLE_LEADS_MAPPING)
    # The rows that did not import, as written, with a Problem column (README: 16, 24, 33).
    problems = list(csv.reader(io.StringIO(batch.problems), delimiter=";"))
    assert problems[0] == [*SAMPLE_LEADS_MAPPING, "Problem"]
    assert [(r[0], r[1], r[-1]) for r in problems[1:]] == [
        ("Nathan", "Petit", f"email: {NEEDS_IDENTITY}"),
        ("Marie", "Dubois", f"email: {NEEDS_IDENTITY}"),
        ("Jérôme", "Chevalier", f"email: {NEEDS_IDENTITY}"),
    ]
    # "Favourite colour" is filled in rows 2, 4, 9 and 15, all imported.
    assert sorted(colours) == [
        ("camille.martin@nexora.io", {"Favourite colour": "bleu"}),
        ("chloe@lepetitatelier.fr", {"Favourite colour": "rose"}),
        ("emilie.durand@atelier-verre.fr", {"Favourite colour": "vert"}),
        ("sophie.bernard@alpaga.io", {"Favourite colour": "jaune"}),
    ]


def test_import_file_too_large_is_refused_before_the_campaign_check(session: Session) -> None:
    with pytest.raises(PayloadTooLarge) as raised:
        importing.import_file(
            session,
            b"email\n" + b"a" * 2000,
            ImportOptions(campaign_id="cmp_nope", region="FR", max_rows=100, max_bytes=1000),
        )

    assert raised.value.details == [{"field": "file", "message": "file too large"}]


def test_import_file_unknown_campaign(session: Session) -> None:
    with pytest.raises(NotFound):
        importing.import_file(
            session,
            b"email\na@acme.io\n",
            ImportOptions(campaign_id="cmp_nope", region="FR", max_rows=100, max_bytes=1000),
        )


def test_rows_are_scored_again_when_the_criteria_are_saved_while_they_are_prepared(
    session: Session, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A colleague saves new target positions while a file is being prepared (no lock is
    held then): the rows are scored again with what is saved before anything is written."""
    real_run = pool.run
    scored_with: list[tuple[str, ...]] = []

    def prepare_and_save_criteria(job, workers, progress=None):
        scored_with.append(job.criteria.target_positions)
        if len(scored_with) == 1:
            with Session(engine) as colleague:
                changes = CampaignUpdate.model_validate(
                    {"criteria": {"targetPositions": ["Head of Sales"]}}
                )
                campaigns.update_campaign(colleague, "cmp_123", changes)
        return real_run(job, workers, progress)

    monkeypatch.setattr(pool, "run", prepare_and_save_criteria)
    outcome = run(session, [{**JEAN, "position": "Head of Sales"}])

    assert scored_with == [("CTO", "VP Engineering"), ("Head of Sales",)]
    (lead,) = stored(engine)
    assert lead.score_breakdown["campaignMatch"] > 0
    assert outcome.imported == 1


def test_imported_dates_are_stored_in_the_same_form_as_every_other_date(
    session: Session, engine: Engine, engine_name: str
) -> None:
    outcome = run(session, [JEAN])
    leads.update_lead(session, outcome.leads[0].id, LeadUpdate(notes="called"), region="FR")

    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT CAST(lead.created_at AS TEXT), CAST(lead.updated_at AS TEXT), "
                "CAST(a.created_at AS TEXT), CAST(b.created_at AS TEXT) FROM lead "
                "JOIN lead_activity a ON a.lead_id = lead.id AND a.kind = 'created' "
                "JOIN import_batch b ON b.id = lead.import_id"
            )
        ).one()
    if engine_name == "sqlite":  # text: one form, without a "+00:00" suffix
        assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", value) for value in rows)
    else:  # timestamptz: the session's time zone is UTC
        assert all(value.endswith("+00") for value in rows)


@pytest.mark.postgresql_only
def test_a_large_import_leaves_postgresql_with_statistics_of_the_table_as_it_is(
    session: Session, engine: Engine
) -> None:
    """Else the next import's duplicate lookups are planned for the table as it was."""
    large = importing.sql.ANALYZE_AFTER_ROWS
    rows = [{"email": f"lead{n}@acme.io"} for n in range(large + 100)]

    run(session, rows[:100], max_rows=20_000)
    with engine.connect() as connection:
        before = connection.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'lead'"))
        assert before.scalar_one() < 1000  # a small import leaves it to autovacuum
    run(session, rows, max_rows=20_000)

    with engine.connect() as connection:
        estimate = connection.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'lead'"))
        assert estimate.scalar_one() == large + 100  # the second import added `large`
