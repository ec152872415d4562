"""leads_core.services.leads: list (filters, sort, paging in SQL), read, edit, delete, history, re-score."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, select

from leads_core.errors import Conflict, NotFound, ValidationFailed
from leads_core.ingest import importing
from leads_core.ingest.options import ImportOptions
from leads_core.schemas import CampaignCriteria, CampaignUpdate, LeadUpdate
from leads_core.services import campaigns, leads, queries, rescoring
from leads_core.services.queries import IdPage, LeadFilters, LeadPageResult
from leads_core.storage.models import Lead, LeadActivity

pytestmark = pytest.mark.usefixtures("campaign")

PEOPLE = [
    # first, last, email, company, position, source, day of January 2025
    ("Marie", "Dubois", "marie@techcorp.com", "TechCorp", "CTO", "linkedin", 3),
    ("Jean", "Martin", "jean@startup.io", "Startup IO", "VP Engineering", "referral", 1),
    ("Zoe", "Martin", "zoe@acme.io", "Acme", "Designer", "event", 2),
    ("Ann", None, "ann@acme.io", "50% Off_Shop", "CEO", "Instagram", 4),
]


def seed(session: Session) -> dict[str, str]:
    rows = [
        {
            "firstName": first,
            "lastName": last,
            "email": email,
            "company": company,
            "position": position,
            "source": source,
        }
        for first, last, email, company, position, source, _day in PEOPLE
    ]
    stamps = [datetime(2025, 1, day, 9, 0, tzinfo=UTC) for *_rest, day in PEOPLE]
    outcome = importing.import_leads(
        session,
        rows,
        ImportOptions(campaign_id="cmp_123", region="FR", max_rows=10),
        timestamps=stamps,
    )
    return {row[0]: lead.id for row, lead in zip(PEOPLE, outcome.leads, strict=True)}


def first_names(result: LeadPageResult) -> list[str | None]:
    return [lead.first_name for lead in result.leads]


def update(session: Session, lead_id: str, **changes) -> Lead:
    return leads.update_lead(
        session, lead_id, LeadUpdate.model_validate(changes), region="FR", actor="tester"
    )


def history(engine: Engine, lead_id: str) -> list[tuple]:
    with Session(engine) as check:
        rows = check.exec(
            select(LeadActivity)
            .where(LeadActivity.lead_id == lead_id)
            .order_by(col(LeadActivity.id))
        )
        return [(a.kind, a.field, a.old_value, a.new_value, a.actor) for a in rows]


# ------------------------------------------------------------------ list


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (LeadFilters(), ["Ann", "Marie", "Zoe", "Jean"]),
        (LeadFilters(campaign_ids=("cmp_123",)), ["Ann", "Marie", "Zoe", "Jean"]),
        (LeadFilters(sources=(" Instagram ",)), ["Ann"]),
        (LeadFilters(statuses=("new",), q="martin"), ["Zoe", "Jean"]),
        (LeadFilters(q="martin acme"), ["Zoe"]),
        (LeadFilters(q="50%"), ["Ann"]),
        (LeadFilters(q="f_s"), ["Ann"]),
        (LeadFilters(q="%_%"), []),
        (LeadFilters(q="   "), ["Ann", "Marie", "Zoe", "Jean"]),
        (LeadFilters(min_score=0), ["Ann", "Marie", "Zoe", "Jean"]),
        (LeadFilters(statuses=("contacted",)), []),
    ],
)
def test_list_filters_newest_first(session: Session, filters: LeadFilters, expected) -> None:
    seed(session)

    result = queries.list_leads(session, filters=filters)

    assert first_names(result) == expected
    assert result.total == len(expected)


def test_list_sort_and_paging(session: Session) -> None:
    seed(session)

    by_name = queries.list_leads(session, filters=LeadFilters(), sort="+lastName", limit=3)
    page_two = queries.list_leads(session, filters=LeadFilters(), sort="lastName", limit=3, page=2)
    oldest = queries.list_leads(session, filters=LeadFilters(), sort="createdAt", limit=1)

    assert first_names(by_name)[0] == "Marie"
    assert sorted(first_names(by_name)[1:]) == ["Jean", "Zoe"]
    assert first_names(page_two) == ["Ann"]  # no last name: sorted last
    assert (by_name.total, by_name.total_pages, page_two.page) == (4, 2, 2)
    assert (first_names(oldest), oldest.total_pages) == (["Jean"], 4)


@pytest.mark.parametrize(
    ("total", "limit", "pages"),
    [(0, 50, 0), (1, 50, 1), (50, 50, 1), (51, 50, 2), (200, 200, 1), (201, 200, 2), (7, 1, 7)],
)
def test_total_pages(total: int, limit: int, pages: int) -> None:
    assert IdPage(ids=[], total=total, page=1, limit=limit).total_pages == pages


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"page": 0}, "page"),
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"filters": LeadFilters(statuses=("open",))}, "status"),
        ({"filters": LeadFilters(min_score=-1)}, "minScore"),
        ({"filters": LeadFilters(min_score=101)}, "minScore"),
        ({"sort": "-score"}, "sort"),
    ],
)
def test_list_rejects_bad_arguments(session: Session, kwargs: dict, field: str) -> None:
    kwargs.setdefault("filters", LeadFilters())

    with pytest.raises(ValidationFailed) as raised:
        queries.list_leads(session, **kwargs)

    assert raised.value.status == 422
    assert raised.value.details[0]["field"] == field
    assert raised.value.message.startswith(f"{field}: ")


def test_list_unknown_campaign_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound, match="campaign 'cmp_nope' not found"):
        queries.list_leads(session, filters=LeadFilters(campaign_ids=("cmp_nope",)))


def test_count_leads(session: Session) -> None:
    seed(session)

    assert queries.count_leads(session) == 4
    assert queries.count_leads(session, filters=LeadFilters(q="martin")) == 2
    assert queries.count_leads(session, filters=LeadFilters(min_score=100)) == 0


# ------------------------------------------------------------------ update


def test_update_rescores_and_records_history(session: Session, engine: Engine) -> None:
    ids = seed(session)
    zoe = leads.get_lead(session, ids["Zoe"])
    assert (zoe.quality_score, zoe.score_breakdown["campaignMatch"]) == (68, 4)

    lead = update(session, ids["Zoe"], position="CTO", status="IN_PROGRESS")

    assert (lead.position, lead.status) == ("CTO", "contacted")
    assert lead.score_breakdown["campaignMatch"] == 11
    assert lead.quality_score == 75
    assert lead.updated_at > datetime(2025, 1, 2, 9, 0, tzinfo=UTC)
    assert history(engine, ids["Zoe"]) == [
        ("created", None, None, None, None),
        ("field_change", "position", "Designer", "CTO", "tester"),
        ("status_change", "status", "new", "contacted", "tester"),
    ]


def test_update_of_unscored_lead_keeps_it_unscored(session: Session) -> None:
    outcome = importing.import_leads(
        session,
        [{"email": "jean@startup.io"}],
        ImportOptions(campaign_id="cmp_123", region="FR", max_rows=10, auto_score=False),
    )

    lead = update(session, outcome.leads[0].id, email="jean@gmail.com")

    assert (lead.quality_score, lead.score_breakdown) == (None, None)
    assert lead.enrichment["freeEmail"] is True
    assert lead.email_key == "jean@gmail.com"


def test_update_without_changes_is_a_no_op(session: Session, engine: Engine) -> None:
    ids = seed(session)
    before = leads.get_lead(session, ids["Marie"]).updated_at

    lead = update(session, ids["Marie"], firstName="Marie", source="LinkedIn", status="new")

    assert lead.updated_at == before
    assert [entry[0] for entry in history(engine, ids["Marie"])] == ["created"]


def test_update_to_an_email_in_use_is_a_conflict(session: Session, engine: Engine) -> None:
    ids = seed(session)

    with pytest.raises(Conflict) as raised:
        update(session, ids["Zoe"], email=" MARIE@techcorp.com", notes="merged?")

    assert raised.value.status == 409
    with Session(engine) as check:
        zoe = check.get(Lead, ids["Zoe"])
    assert (zoe.email, zoe.notes) == ("zoe@acme.io", None)
    assert [entry[0] for entry in history(engine, ids["Zoe"])] == ["created"]


def test_update_to_a_linkedin_url_in_use_names_linkedin(session: Session) -> None:
    ids = seed(session)
    update(session, ids["Marie"], linkedinUrl="https://linkedin.com/in/marie")

    with pytest.raises(Conflict) as raised:
        update(session, ids["Zoe"], linkedinUrl="https://www.linkedin.com/in/marie/")

    assert raised.value.details[0]["field"] == "linkedinUrl"


def test_update_to_a_linkedin_url_in_use_is_a_conflict(session: Session, engine: Engine) -> None:
    ids = seed(session)
    update(session, ids["Marie"], linkedinUrl="https://linkedin.com/in/marie")

    with pytest.raises(Conflict):
        update(session, ids["Zoe"], linkedinUrl="https://www.linkedin.com/in/marie/")

    with Session(engine) as check:
        assert check.get(Lead, ids["Zoe"]).linkedin_url is None


def test_update_removing_every_contact_is_refused(session: Session, engine: Engine) -> None:
    ids = seed(session)

    with pytest.raises(ValidationFailed, match="a lead needs an email or a LinkedIn URL"):
        update(session, ids["Jean"], email=None)

    with Session(engine) as check:
        assert check.get(Lead, ids["Jean"]).email == "jean@startup.io"


def test_refused_update_leaves_the_session_clean(session: Session, engine: Engine) -> None:
    ids = seed(session)
    with pytest.raises(ValidationFailed):
        update(session, ids["Jean"], email=None)

    update(session, ids["Marie"], notes="unrelated edit, same session")

    with Session(engine) as check:
        jean = check.get(Lead, ids["Jean"])
    assert (jean.email, jean.email_key) == ("jean@startup.io", "jean@startup.io")


def test_update_status_null_is_refused(session: Session) -> None:
    ids = seed(session)

    with pytest.raises(ValidationFailed) as raised:
        update(session, ids["Jean"], status=None)

    assert raised.value.details == [{"field": "status"}]


def test_update_unknown_lead_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound, match="lead 'lead_nope' not found"):
        update(session, "lead_nope", notes="x")


# ------------------------------------------------------------------ delete, history


def test_delete_lead_removes_its_history(session: Session, engine: Engine) -> None:
    ids = seed(session)
    update(session, ids["Jean"], notes="call back")

    leads.delete_lead(session, ids["Jean"])

    with pytest.raises(NotFound):
        leads.get_lead(session, ids["Jean"])
    with Session(engine) as check:
        remaining = check.exec(select(LeadActivity.lead_id)).all()
    assert sorted(remaining) == sorted(v for k, v in ids.items() if k != "Jean")
    assert queries.count_leads(session) == 3


def test_lead_activity_in_order(session: Session) -> None:
    ids = seed(session)
    update(session, ids["Ann"], status="contacted", notes="first call")
    update(session, ids["Ann"], status="replied")

    entries = leads.lead_activity(session, ids["Ann"])

    assert [(a.kind, a.old_value, a.new_value) for a in entries] == [
        ("created", None, None),
        ("status_change", "new", "contacted"),
        ("note", None, "first call"),
        ("status_change", "contacted", "replied"),
    ]
    with pytest.raises(NotFound):
        leads.lead_activity(session, "lead_nope")


# ------------------------------------------------------------------ re-score


def test_rescore_leads_counts_changes(session: Session, engine: Engine) -> None:
    ids = seed(session)
    criteria = CampaignCriteria(target_positions=["Designer"], required_fields=["phone"])
    campaigns.update_campaign(session, "cmp_123", CampaignUpdate(criteria=criteria))
    calls: list[tuple[int, int]] = []

    changed = rescoring.rescore_campaign(
        session, "cmp_123", region="FR", chunk=3, progress=lambda d, t: calls.append((d, t))
    )

    assert changed == 3  # Ann's campaign match stays 4
    assert calls == [(3, 4), (4, 4)]
    with Session(engine) as check:
        scores = {
            lead.first_name: lead.score_breakdown["campaignMatch"]
            for lead in check.exec(select(Lead))
        }
    assert scores == {"Marie": 4, "Jean": 4, "Zoe": 11, "Ann": 4}
    assert rescoring.rescore_campaign(session, "cmp_123", region="FR") == 0
    assert set(ids) == set(scores)


def test_rescore_leaves_unscored_leads_unscored(session: Session, engine: Engine) -> None:
    importing.import_leads(
        session,
        [{"email": "jean@startup.io", "position": "CTO"}],
        ImportOptions(campaign_id="cmp_123", region="FR", max_rows=10, auto_score=False),
    )

    changed = rescoring.rescore_campaign(session, "cmp_123", region="FR")

    with Session(engine) as check:
        lead = check.exec(select(Lead)).one()
    assert (changed, lead.quality_score, lead.score_breakdown) == (0, None, None)


def test_public_and_detail_models(session: Session) -> None:
    ids = seed(session)
    lead = leads.get_lead(session, ids["Marie"])

    public = leads.to_public(lead).model_dump(by_alias=True, mode="json")
    detail = leads.to_detail(lead).model_dump(by_alias=True, mode="json")

    assert public["createdAt"] == "2025-01-03T09:00:00Z"
    assert (public["qualityScore"], public["campaignId"]) == (lead.quality_score, "cmp_123")
    assert set(detail) - set(public) == {
        "notes",
        "attributes",
        "updatedAt",
        "scoreBreakdown",
        "scoreReasons",
        "enrichment",
        "version",
    }
    assert detail["version"] == 1
    assert detail["attributes"] == {}  # none stored: an empty object, not null
    assert sum(detail["scoreBreakdown"].values()) == detail["qualityScore"]


def test_set_status_changes_only_what_differs_and_records_history(
    session: Session, engine: Engine
) -> None:
    ids = seed(session)
    leads.set_status(session, [ids["Marie"]], "contacted")
    changed = leads.set_status(
        session, [ids["Marie"], ids["Jean"], "lead_gone"], "contacted", actor="bulk"
    )
    assert changed == 1
    assert leads.get_lead(session, ids["Jean"]).status == "contacted"
    assert history(engine, ids["Jean"])[-1][:3] == ("status_change", "status", "new")
    with pytest.raises(ValidationFailed, match="unknown status"):
        leads.set_status(session, [ids["Jean"]], "won")


def test_delete_leads_removes_them_and_their_history(session: Session, engine: Engine) -> None:
    ids = seed(session)
    assert leads.delete_leads(session, [ids["Marie"], ids["Zoe"], ids["Zoe"], "lead_gone"]) == 2
    assert leads.delete_leads(session, []) == 0
    assert queries.count_leads(session) == 2
    assert history(engine, ids["Marie"]) == []


def test_add_note_appends_a_dated_line(session: Session, engine: Engine) -> None:
    ids = seed(session)
    leads.add_note(session, ids["Ann"], "  first call  ", actor="me")
    lead = leads.add_note(session, ids["Ann"], "second call")
    lines = lead.notes.split("\n")
    assert len(lines) == 2 and lines[0].endswith("UTC] first call")
    assert history(engine, ids["Ann"])[-2][:1] == ("note",)
    with pytest.raises(ValidationFailed, match="write something"):
        leads.add_note(session, ids["Ann"], "   ")
    with pytest.raises(NotFound):
        leads.add_note(session, "lead_gone", "x")


def test_an_edit_whose_lead_is_deleted_just_after_its_commit_is_404(
    session: Session, engine: Engine
) -> None:
    """Found by the concurrency test: a DELETE committing between a PATCH's commit and its
    re-read made the re-read raise, a 500."""
    lead_id = seed(session)["Marie"]

    def deleted_by_another_request(_session: Session) -> None:
        with Session(engine) as other:
            other.exec(delete(Lead).where(Lead.id == lead_id))
            other.commit()

    event.listen(session, "after_commit", deleted_by_another_request, once=True)
    with pytest.raises(NotFound, match="deleted by someone else just now"):
        leads.update_lead(session, lead_id, LeadUpdate(notes="too late"), region="FR")
