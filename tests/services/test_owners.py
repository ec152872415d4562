"""Lead owners in ``leads_core``: set by an edit, in bulk and by imports (one owner or in
turn), filtered in SQL (``queries``), counted per owner (``stats``), and unassigned when
their user is deleted."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, col, select

from leads_core.errors import ValidationFailed
from leads_core.ingest import importing
from leads_core.ingest.options import ImportOptions, owner_ids, rotated
from leads_core.ingest.writing import Turns
from leads_core.schemas import LeadUpdate
from leads_core.services import leads, queries, stats, users
from leads_core.services.queries import LeadFilters
from leads_core.storage.models import Campaign, ImportBatch, Lead, User

pytestmark = pytest.mark.usefixtures("campaign")


@pytest.fixture
def ann(session: Session) -> User:
    return users.create_user(session, email="ann@acme.com", name="Ann Lee", role="member")


@pytest.fixture
def bob(session: Session) -> User:
    return users.create_user(session, email="bob@acme.com", name="Bob Roy", role="member")


@pytest.fixture
def cy(session: Session) -> User:
    return users.create_user(session, email="cy@acme.com", name="Cy Diaz", role="admin")


def rows(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {"firstName": f"P{i}", "email": f"p{i}@corp{i}.io", "position": "CTO"}
        for i in range(start, start + count)
    ]


def options(**choices: Any) -> ImportOptions:
    return ImportOptions(campaign_id="cmp_123", region="FR", max_rows=1000, **choices)


def owners_in_row_order(session: Session) -> list[str | None]:
    session.expire_all()
    found = session.exec(select(Lead.email, Lead.owner_id)).all()
    by_email = dict(found)
    return [by_email[f"p{i}@corp{i}.io"] for i in range(len(found))]


def history(session: Session, lead_id: str) -> list[tuple[str, str | None, str | None, str | None]]:
    entries = leads.lead_activity(session, lead_id)
    return [(e.field or "", e.old_value, e.new_value, e.actor) for e in entries if e.field]


# ------------------------------------------------------------------ edits


def test_an_edit_sets_and_unassigns_the_owner_with_history(
    session: Session, ann: User, bob: User
) -> None:
    importing.import_leads(session, rows(1), options())
    lead = session.exec(select(Lead)).one()
    leads.update_lead(
        session, lead.id, LeadUpdate(owner_id=ann.id), region="FR", actor="Cy <cy@acme.com>"
    )
    leads.update_lead(session, lead.id, LeadUpdate(owner_id=bob.id), region="FR", actor="Ann")
    changed = leads.update_lead(session, lead.id, LeadUpdate(owner_id=None), region="FR")
    assert changed.owner_id is None
    assert changed.version == 4
    assert history(session, lead.id) == [
        ("ownerId", None, ann.id, "Cy <cy@acme.com>"),
        ("ownerId", ann.id, bob.id, "Ann"),
        ("ownerId", bob.id, None, None),
    ]


def test_an_edit_refuses_an_unknown_or_disabled_owner(
    session: Session, ann: User, cy: User
) -> None:
    importing.import_leads(session, rows(1), options())
    lead = session.exec(select(Lead)).one()
    users.update_user(session, ann.id, users.UserChanges(disabled=True))
    for owner, what in (("usr_nobody", "no user"), (ann.id, "a disabled user")):
        with pytest.raises(ValidationFailed) as caught:
            leads.update_lead(session, lead.id, LeadUpdate(owner_id=owner), region="FR")
        assert caught.value.details[0]["field"] == "ownerId"
        assert what in caught.value.message
    session.expire_all()
    assert session.get(Lead, lead.id).owner_id is None
    assert history(session, lead.id) == []


def test_set_owner_changes_only_the_leads_that_differ(
    session: Session, ann: User, bob: User
) -> None:
    importing.import_leads(session, rows(3), options(owners=(ann.id,)))
    ids = sorted(session.exec(select(Lead.id)).all())
    leads.set_owner(session, ids[:1], bob.id, actor="Cy")
    assert leads.set_owner(session, [*ids, "lead_gone"], bob.id, actor="Cy") == 2
    assert leads.set_owner(session, ids, bob.id) == 0
    assert leads.set_owner(session, ids[:2], None, actor="Ann") == 2
    session.expire_all()
    assert {lead.id: lead.owner_id for lead in session.exec(select(Lead))} == {
        ids[0]: None,
        ids[1]: None,
        ids[2]: bob.id,
    }
    assert history(session, ids[1]) == [
        ("ownerId", ann.id, bob.id, "Cy"),
        ("ownerId", bob.id, None, "Ann"),
    ]
    with pytest.raises(ValidationFailed):
        leads.set_owner(session, ids, "usr_nobody")


def test_deleting_a_user_unassigns_their_leads_with_history(
    session: Session, ann: User, bob: User
) -> None:
    importing.import_leads(session, rows(4), options(owners=(ann.id, bob.id)))
    assert users.delete_user(session, ann.id, actor="Cy <cy@acme.com>") == 2
    session.expire_all()
    assert owners_in_row_order(session) == [None, bob.id, None, bob.id]
    first = session.exec(select(Lead).where(Lead.email == "p0@corp0.io")).one()
    assert first.version == 2
    assert history(session, first.id) == [("ownerId", ann.id, None, "Cy <cy@acme.com>")]
    assert session.get(User, ann.id) is None


# ------------------------------------------------------------------ imports


def test_an_import_gives_every_new_lead_its_one_owner(session: Session, ann: User) -> None:
    outcome = importing.import_leads(session, rows(3), options(owners=(ann.id,)))
    assert (outcome.imported, outcome.owner_turns) == (3, 3)
    assert owners_in_row_order(session) == [ann.id] * 3


def test_several_owners_take_the_new_leads_in_turn_in_row_order(
    session: Session, ann: User, bob: User, cy: User
) -> None:
    batch = [*rows(4), {"email": "p1@corp1.io"}, {"firstName": "no contact"}, *rows(3, 4)]
    outcome = importing.import_leads(session, batch, options(owners=(ann.id, bob.id, cy.id)))
    assert (outcome.imported, outcome.skipped, len(outcome.errors)) == (7, 1, 1)
    # the repeat (row 5) and the row in error (row 6) take no turn
    assert owners_in_row_order(session) == [ann.id, bob.id, cy.id, ann.id, bob.id, cy.id, ann.id]


def test_a_merged_lead_gets_an_owner_only_when_it_has_none(
    session: Session, ann: User, bob: User
) -> None:
    importing.import_leads(session, rows(2), options())
    first = session.exec(select(Lead).where(Lead.email == "p0@corp0.io")).one()
    leads.update_lead(session, first.id, LeadUpdate(owner_id=bob.id), region="FR")
    outcome = importing.import_leads(
        session,
        [{**row, "company": "Acme"} for row in rows(3)],
        options(owners=(ann.id,), on_duplicate="update", actor="Ann"),
    )
    assert (outcome.imported, outcome.updated) == (1, 2)
    assert owners_in_row_order(session) == [bob.id, ann.id, ann.id]
    second = session.exec(select(Lead).where(Lead.email == "p1@corp1.io")).one()
    assert ("ownerId", None, ann.id, "Ann") in history(session, second.id)


def test_an_unknown_or_disabled_owner_stops_the_import_before_any_work(
    session: Session, ann: User
) -> None:
    users.update_user(session, ann.id, users.UserChanges(disabled=True))
    for owners in (("usr_nobody",), (ann.id,)):
        with pytest.raises(ValidationFailed) as caught:
            importing.import_leads(session, rows(2), options(owners=owners))
        assert caught.value.details[0]["field"] == "ownerId"
    assert session.exec(select(Lead.id)).all() == []
    assert session.exec(select(ImportBatch.id)).all() == []


def test_a_dry_run_with_owners_writes_nothing(session: Session, ann: User) -> None:
    outcome = importing.import_leads(session, rows(2), options(owners=(ann.id,), dry_run=True))
    assert outcome.imported == 2
    assert session.exec(select(Lead.id)).all() == []


def test_a_file_read_in_chunks_goes_on_with_the_next_owner(
    session: Session, ann: User, bob: User, cy: User, tmp_path
) -> None:
    path = tmp_path / "leads.csv"
    lines = ["firstName,email"] + [f"P{i},p{i}@corp{i}.io" for i in range(8)]
    path.write_text("\n".join(lines) + "\n")
    chunked = ImportOptions(
        campaign_id="cmp_123", region="FR", max_rows=3, owners=(ann.id, bob.id, cy.id)
    )
    done = importing.import_path(session, path, chunked)
    assert [chunk.imported for chunk in done.chunks] == [3, 3, 2]
    assert Counter(owners_in_row_order(session)) == {ann.id: 3, bob.id: 3, cy.id: 2}
    assert owners_in_row_order(session)[3:6] == [ann.id, bob.id, cy.id]


def test_owner_ids_reads_a_form_field_or_a_list() -> None:
    assert owner_ids(None) == owner_ids("") == owner_ids([]) == ()
    assert owner_ids(" usr_a , usr_b,,usr_a ") == ("usr_a", "usr_b")
    assert owner_ids(["usr_b", "usr_a", "usr_b"]) == ("usr_b", "usr_a")
    with pytest.raises(ValidationFailed):
        owner_ids([f"usr_{i}" for i in range(101)])
    assert rotated(("a", "b", "c"), 4) == ("b", "c", "a")
    assert rotated((), 4) == ()


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(owners=st.integers(1, 7), leads_count=st.integers(0, 60), start=st.integers(0, 20))
def test_turns_share_the_leads_out_within_one_of_each_other(
    owners: int, leads_count: int, start: int
) -> None:
    names = rotated(tuple(f"usr_{i}" for i in range(owners)), start)
    turns = Turns(names)
    counts = Counter(turns.next() for _ in range(leads_count))
    every = [counts.get(name, 0) for name in names]
    assert sum(every) == leads_count == turns.taken
    assert max(every) - min(every) <= 1


# ------------------------------------------------------------------ filters and counts


@pytest.fixture
def owned(session: Session, campaign: Campaign, ann: User, bob: User) -> dict[str, list[str]]:
    """6 leads: 3 Ann's, 1 Bob's, 2 unassigned; each owner's lead ids, by score."""
    importing.import_leads(session, rows(4), options(owners=(ann.id, ann.id, bob.id, ann.id)))
    importing.import_leads(session, rows(2, 4), options())
    session.expire_all()
    found: dict[str, list[str]] = {}
    for lead in session.exec(select(Lead).order_by(col(Lead.id))):
        found.setdefault(lead.owner_id or "none", []).append(lead.id)
    return found


def test_the_owner_filter_picks_one_owner_or_the_unassigned(
    session: Session, owned: dict[str, list[str]], ann: User, bob: User
) -> None:
    assert owner_ids((ann.id, ann.id, bob.id, ann.id)) == (ann.id, bob.id)  # deduplicated
    for owners, key in (((ann.id,), ann.id), ((bob.id,), bob.id), ((None,), "none")):
        result = queries.list_leads(session, filters=LeadFilters(owners=owners), sort="email")
        assert sorted(lead.id for lead in result.leads) == owned[key]
        assert queries.count_leads(session, filters=LeadFilters(owners=owners)) == len(owned[key])
    assert queries.list_leads(session, filters=LeadFilters(owners=())).total == 0
    everyone = queries.list_leads(session, filters=LeadFilters(owners=(ann.id, None)))
    assert everyone.total == 5


def test_parse_owners_reads_me_none_and_user_ids() -> None:
    assert queries.parse_owners(None, me="usr_me") is None
    assert queries.parse_owners("  ", me="usr_me") is None
    assert queries.parse_owners("me", me="usr_me") == ("usr_me",)
    assert queries.parse_owners("ME", me=None) == ()  # the system account owns no lead
    assert queries.parse_owners("none", me=None) == (None,)
    assert queries.parse_owners(" usr_x ", me=None) == ("usr_x",)
    assert queries.parse_owners("me, none,usr_b,me", me="usr_me") == ("usr_me", None, "usr_b")
    many = ",".join(f"usr_{n}" for n in range(queries.MAX_VALUES + 1))
    for bad in ("bob", "usr_a,bob", "usr_" + "x" * 61, many):
        with pytest.raises(ValidationFailed) as caught:
            queries.parse_owners(bad, me=None)
        assert caught.value.details[0]["field"] == "ownerId"


def test_an_unknown_owner_in_a_filter_is_refused(session: Session, ann: User) -> None:
    with pytest.raises(ValidationFailed) as caught:
        queries.list_leads(session, filters=LeadFilters(owners=(ann.id, "usr_gone")))
    assert "usr_gone" in caught.value.message


def test_counts_per_owner_and_filtered_aggregates(
    session: Session, owned: dict[str, list[str]], ann: User, bob: User
) -> None:
    scores = {lead.id: lead.quality_score for lead in session.exec(select(Lead))}

    def average(ids: list[str]) -> float:
        return sum(scores[i] or 0 for i in ids) / len(ids)

    rows_found = stats.leads_by_owner(session, LeadFilters())
    assert [(r.owner_id, r.name, r.leads) for r in rows_found] == [
        (ann.id, "Ann Lee", 3),
        (None, None, 2),
        (bob.id, "Bob Roy", 1),
    ]
    assert [r.average_score for r in rows_found] == pytest.approx(
        [average(owned[ann.id]), average(owned["none"]), average(owned[bob.id])]
    )
    mine = LeadFilters(owners=(ann.id,))
    assert [(r.owner_id, r.leads) for r in stats.leads_by_owner(session, mine)] == [(ann.id, 3)]
    summary = stats.score_summary(session, mine)
    assert summary.scored + summary.unscored == 3
    assert sum(stats.status_counts(session, LeadFilters(owners=(None,))).values()) == 2
    assert sum(n for _, n in stats.leads_per_week(session, mine)) == 3
    assert [(r.campaign_id, r.leads) for r in stats.campaign_comparison(session, mine)] == [
        ("cmp_123", 3)
    ]


@pytest.mark.sqlite_only
def test_the_owner_filter_reads_ix_lead_owner(
    session: Session, owned: dict[str, list[str]], ann: User, query_plans: Any
) -> None:
    for sort in ("-qualityScore", "-createdAt"):
        queries.list_leads(session, filters=LeadFilters(owners=(ann.id,)), sort=sort)
    by_score, by_date = query_plans("SELECT lead.id")
    assert "USING COVERING INDEX ix_lead_owner (owner_id=?)" in by_score
    assert "TEMP B-TREE" not in by_score
    assert "USING INDEX ix_lead_owner (owner_id=?)" in by_date
    stats.leads_by_owner(session, LeadFilters())
    stats.leads_by_owner(session, LeadFilters(statuses=("new",), sources=("linkedin",)))
    everyone, filtered = query_plans("SELECT anon_1.owner_id")
    assert "ix_lead_owner" in everyone
    # the status and source are checked in ix_lead_owner, not looked up by their indexes
    # (which would read the owner from each of their rows)
    assert "COVERING INDEX ix_lead_owner" in filtered
    assert "TEMP B-TREE FOR GROUP BY" not in filtered
