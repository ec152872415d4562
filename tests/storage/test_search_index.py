"""Free-text search (``q``) reads the search index of migration 0002 on both engines, and
the index follows every write: import, edit, delete, campaign deletion."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from leads_core.ingest import importing
from leads_core.ingest.options import ImportOptions
from leads_core.schemas import LeadUpdate
from leads_core.services import campaigns, leads, queries
from leads_core.services.queries import LeadFilters
from leads_core.storage.models import Lead

pytestmark = pytest.mark.usefixtures("campaign")


def found(session: Session, q: str) -> list[str]:
    page = queries.list_leads(session, filters=LeadFilters(q=q), sort="email", limit=200)
    assert page.total == len(page.leads)
    return [lead.email for lead in page.leads]


@pytest.fixture
def two(session: Session) -> dict[str, str]:
    """Two leads; email -> id."""
    importing.import_leads(
        session,
        [
            {"email": "jean@startup.io", "firstName": "Jean", "lastName": "Martin"},
            {"email": "zoe@corp.io", "lastName": "Martínez", "company": "50% Off_Shop"},
        ],
        ImportOptions(campaign_id="cmp_123", region="FR", max_rows=10),
    )
    return dict(session.exec(select(Lead.email, Lead.id)).all())


def test_words_match_anywhere_whatever_the_case_and_accents(
    session: Session, two: dict[str, str]
) -> None:
    assert found(session, "martin") == ["jean@startup.io", "zoe@corp.io"]
    assert found(session, "MARTINEZ") == ["zoe@corp.io"]
    assert found(session, "tin jean") == ["jean@startup.io"]
    assert found(session, "50%") == ["zoe@corp.io"]  # LIKE's own characters are literal
    assert found(session, "off_shop") == ["zoe@corp.io"]
    assert found(session, "f_s") == ["zoe@corp.io"]
    assert found(session, "o") == ["jean@startup.io", "zoe@corp.io"]  # shorter than a trigram
    assert found(session, "nobody") == []


def test_the_index_follows_edits_deletes_and_campaign_deletion(
    session: Session, two: dict[str, str]
) -> None:
    leads.update_lead(session, two["jean@startup.io"], LeadUpdate(last_name="Dupont"), region="FR")
    assert found(session, "martin") == ["zoe@corp.io"]
    assert found(session, "dupont") == ["jean@startup.io"]

    leads.delete_lead(session, two["zoe@corp.io"])
    assert found(session, "martin") == []

    campaigns.delete_campaign(session, "cmp_123", delete_leads=True)
    assert found(session, "dupont") == []


@pytest.mark.sqlite_only
def test_sqlite_reads_the_fts5_trigram_index(session: Session, two: dict[str, str]) -> None:
    statement = select(Lead.id).where(*queries.filter_clauses(LeadFilters(q="martin")))
    sql = str(statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
    plan = " ".join(str(row) for row in session.exec(text(f"EXPLAIN QUERY PLAN {sql}")))
    assert "VIRTUAL TABLE INDEX 0:M" in plan  # a MATCH on the trigram index, no row read


@pytest.mark.postgresql_only
def test_postgresql_reads_the_trigram_index(session: Session, two: dict[str, str]) -> None:
    statement = select(Lead.id).where(*queries.filter_clauses(LeadFilters(q="martin")))
    sql = str(statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
    session.exec(text("SET LOCAL enable_seqscan = off"))  # two rows: it would just scan
    plan = " ".join(row[0] for row in session.exec(text(f"EXPLAIN {sql}")))
    assert "ix_lead_search_trgm" in plan


def test_a_word_matches_as_a_substring_not_as_scattered_trigrams(
    session: Session, two: dict[str, str]
) -> None:
    """'Mart Rtin' holds every trigram of 'martin' (mar art rti tin), not the word."""
    importing.import_leads(
        session,
        [{"email": "scattered@x.io", "firstName": "Mart", "lastName": "Rtin"}],
        ImportOptions(campaign_id="cmp_123", region="FR", max_rows=10),
    )
    assert found(session, "martin") == ["jean@startup.io", "zoe@corp.io"]
    assert found(session, "rtin mart") == ["jean@startup.io", "scattered@x.io", "zoe@corp.io"]
    assert found(session, '"mart') == []  # FTS5's own syntax is taken literally
    assert queries.count_leads(session, filters=LeadFilters(q="martin")) == 2


@pytest.mark.sqlite_only
def test_sqlite_search_table_matches_every_lead_after_imports_and_edits(
    session: Session, two: dict[str, str]
) -> None:
    """FTS5's integrity-check compares the index with ``lead`` itself: a lead missing from
    it, or there twice, fails. Imports index their leads in one statement at the end,
    other inserts through the trigger."""
    rows = [{"email": f"p{i}@bulk.io", "company": f"Bulk {i}"} for i in range(12_000)]
    importing.import_leads(
        session, rows, ImportOptions(campaign_id="cmp_123", region="FR", max_rows=20_000)
    )
    importing.import_leads(
        session,
        [{"email": "p1@bulk.io", "lastName": "Merged"}, {"email": "new@bulk.io"}],
        ImportOptions(campaign_id="cmp_123", region="FR", max_rows=10, on_duplicate="update"),
    )
    session.add(Lead(id="lead_direct", campaign_id="cmp_123", search_text="direct insert"))
    session.commit()
    leads.delete_lead(session, two["zoe@corp.io"])
    session.exec(text("INSERT INTO lead_search(lead_search, rank) VALUES ('integrity-check', 1)"))
    assert found(session, "merged") == ["p1@bulk.io"]
    assert queries.count_leads(session, filters=LeadFilters(q="bulk")) == 12_001  # + new@bulk.io
    assert queries.count_leads(session, filters=LeadFilters(q="bulk 11999")) == 1
    assert queries.count_leads(session, filters=LeadFilters(q="direct")) == 1
