"""leads_core.scoring.rules: exact points and reasons of the five score components."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from leads_core.scoring import criteria as criteria_module
from leads_core.scoring import rules as scoring
from leads_core.scoring.criteria import CampaignCriteria, normalize_source
from leads_core.scoring.enrichment import enrich
from leads_core.scoring.rules import (
    COMPONENTS,
    NO_SOURCE_POINTS,
    SOURCE_RELIABILITY,
    UNKNOWN_SOURCE_POINTS,
    ComponentScore,
    ScoreResult,
    describe_scoring,
    score_lead,
)

MARIE: dict[str, Any] = {
    "first_name": "Marie",
    "last_name": "Dubois",
    "email": "marie.dubois@techcorp.com",
    "company": "TechCorp",
    "position": "CTO",
    "source": "linkedin",
    "linkedin_url": "https://www.linkedin.com/in/mariedubois",
    "phone": "+33 6 12 34 56 78",
    "website": "https://techcorp.com",
}
CTO = CampaignCriteria.from_mapping({"targetPositions": ["CTO"]})
CTO_MATCH = "Campaign criteria: 1 of 1 check(s) met. Position 'CTO' matches the campaign's target 'CTO' (+7). No target source set (+4). No required field set (+4)"
NOT_SET_NOTE = "Criteria the campaign does not set earn their points for every lead, so adding one lowers the score of the leads that miss it"
NO_POSITION = "Campaign criteria: 0 of 1 check(s) met. No position to compare with the campaign's target positions (CTO) (+0 of 7). No target source set (+4). No required field set (+4). Criteria the campaign does not set earn their points for every lead, so adding one lowers the score of the leads that miss it"


def score(criteria: CampaignCriteria | None = CTO, region: str = "FR", **changes: Any):
    lead = {**MARIE, **changes}
    facts = enrich(
        email=lead.get("email"), phone=lead.get("phone"), website=lead.get("website"), region=region
    )
    return score_lead(lead, facts, criteria)


def component(key: str, criteria: CampaignCriteria | None = CTO, **changes: Any):
    result = score(criteria, **changes)
    return result.breakdown()[key], result.reasons()[key]


# --------------------------------------------------------------------------- whole lead


def test_complete_lead_scores_98() -> None:
    result = score()
    assert result.breakdown() == {
        "emailValidity": 30,
        "profileCompleteness": 20,
        "companyData": 20,
        "sourceReliability": 13,
        "campaignMatch": 15,
    }
    assert result.total == 98
    assert result.reasons() == {
        "emailValidity": "corporate address on a valid domain",
        "profileCompleteness": "complete profile",
        "companyData": "company, website and matching email domain",
        "sourceReliability": "source 'linkedin' rated 13/15",
        "campaignMatch": CTO_MATCH,
    }
    assert result.components[0] == ComponentScore(
        "emailValidity", 30, 30, "corporate address on a valid domain"
    )


def test_empty_lead_scores_only_the_campaign_default() -> None:
    empty = {key: None for key in MARIE}
    facts = enrich(email=None, phone=None, website=None)
    result = score_lead(empty, facts, None)
    assert result.breakdown() == {
        "emailValidity": 0,
        "profileCompleteness": 0,
        "companyData": 0,
        "sourceReliability": 0,
        "campaignMatch": 15,
    }
    assert result.total == 15
    assert result.reasons() == {
        "emailValidity": "no email",
        "profileCompleteness": "missing first name, last name, position, LinkedIn URL, phone",
        "companyData": "no company name; no website; no valid email domain",
        "sourceReliability": "no source",
        "campaignMatch": "The campaign sets no criteria: every lead earns these points (+15)",
    }


def test_score_lead_accepts_a_lead_with_missing_keys() -> None:
    facts = enrich(email="marie@gmail.com", phone=None, website=None)
    result = score_lead({"email": "marie@gmail.com"}, facts, None)
    assert result.breakdown() == {
        "emailValidity": 22,
        "profileCompleteness": 0,
        "companyData": 0,
        "sourceReliability": 0,
        "campaignMatch": 15,
    }


# --------------------------------------------------------------------------- emailValidity


@pytest.mark.parametrize(
    ("changes", "points", "reason"),
    [
        ({"email": None}, 0, "no email"),
        ({"email": "   "}, 0, "no email"),
        (
            {"email": "marie..dubois@techcorp.com"},
            0,
            "invalid address: An email address cannot have two periods in a row.",
        ),
        (
            {"email": "marie.dubois"},
            0,
            "invalid address: An email address must have an @-sign.",
        ),
        ({"email": "marie@mailinator.com"}, 5, "disposable address (mailinator.com)"),
        ({"email": "info@mailinator.com"}, 5, "disposable address (mailinator.com)"),
        ({"email": "Info@techcorp.com"}, 20, "role address (info@) on a valid domain"),
        ({"email": "Contact@TechCorp.com"}, 20, "role address (contact@) on a valid domain"),
        ({"email": "contact@gmail.com"}, 20, "role address (contact@) on a valid domain"),
        ({"email": "marie.dubois@gmail.com"}, 22, "free-mail address (gmail.com)"),
        ({"email": "marie@Orange.fr"}, 22, "free-mail address (orange.fr)"),
        (
            {"email": "marie@othercorp.com"},
            26,
            "corporate address; domain differs from website",
        ),
        (
            {"email": "marie@othercorp.com", "website": None},
            30,
            "corporate address on a valid domain",
        ),
        (
            {"email": "marie@othercorp.com", "website": "n/a"},
            30,
            "corporate address on a valid domain",
        ),
        ({"email": "marie@fr.techcorp.com"}, 30, "corporate address on a valid domain"),
        ({}, 30, "corporate address on a valid domain"),
    ],
)
def test_email_validity(changes: dict[str, Any], points: int, reason: str) -> None:
    assert component("emailValidity", **changes) == (points, reason)


# --------------------------------------------------------------------------- profileCompleteness


@pytest.mark.parametrize(
    ("changes", "points", "reason"),
    [
        ({}, 20, "complete profile"),
        ({"first_name": None}, 16, "missing first name"),
        ({"last_name": "  "}, 16, "missing last name"),
        ({"position": ""}, 16, "missing position"),
        ({"linkedin_url": None}, 16, "missing LinkedIn URL"),
        ({"phone": None}, 16, "missing phone"),
        ({"phone": "12"}, 16, "phone not a valid number"),
        (
            {"phone": "not a phone", "position": None},
            12,
            "missing position; phone not a valid number",
        ),
        (
            {"first_name": None, "linkedin_url": None, "phone": None},
            8,
            "missing first name, LinkedIn URL, phone",
        ),
        (
            {"first_name": "", "last_name": None, "position": " ", "linkedin_url": None},
            4,
            "missing first name, last name, position, LinkedIn URL",
        ),
    ],
)
def test_profile_completeness(changes: dict[str, Any], points: int, reason: str) -> None:
    assert component("profileCompleteness", **changes) == (points, reason)


def test_phone_validity_depends_on_the_region() -> None:
    assert component("profileCompleteness", phone="(415) 555-2671") == (
        16,
        "phone not a valid number",
    )
    result = score(region="US", phone="(415) 555-2671")
    assert result.breakdown()["profileCompleteness"] == 20


# --------------------------------------------------------------------------- companyData


@pytest.mark.parametrize(
    ("changes", "points", "reason"),
    [
        ({}, 20, "company, website and matching email domain"),
        (
            {"website": "https://www.techcorp.com/about"},
            20,
            "company, website and matching email domain",
        ),
        (
            {"company": None},
            12,
            "no company name; website; email domain matches website",
        ),
        (
            {"email": "marie@othercorp.com"},
            14,
            "company name; website; email domain differs from website",
        ),
        (
            {"email": "marie@gmail.com"},
            14,
            "company name; website; email domain differs from website",
        ),
        ({"email": None}, 14, "company name; website; no email domain to compare"),
        ({"website": None}, 11, "company name; no website; company email domain"),
        ({"website": "  "}, 11, "company name; no website; company email domain"),
        ({"website": "n/a"}, 11, "company name; website has no domain name; company email domain"),
        (
            {"website": None, "email": "info@techcorp.com"},
            11,
            "company name; no website; company email domain",
        ),
        (
            {"website": None, "email": "marie@gmail.com"},
            8,
            "company name; no website; email not on a company domain",
        ),
        (
            {"website": None, "email": "marie@mailinator.com"},
            8,
            "company name; no website; email not on a company domain",
        ),
        (
            {"website": None, "email": "marie..dubois@techcorp.com"},
            8,
            "company name; no website; no valid email domain",
        ),
        (
            {"website": None, "email": None, "company": None},
            0,
            "no company name; no website; no valid email domain",
        ),
    ],
)
def test_company_data(changes: dict[str, Any], points: int, reason: str) -> None:
    assert component("companyData", **changes) == (points, reason)


# --------------------------------------------------------------------------- sourceReliability


@pytest.mark.parametrize(
    ("source", "points", "reason"),
    [
        ("linkedin", 13, "source 'linkedin' rated 13/15"),
        ("  LinkedIn ", 13, "source 'linkedin' rated 13/15"),
        ("referral", 15, "source 'referral' rated 15/15"),
        ("Cold Call", 7, "source 'cold_call' rated 7/15"),
        ("cold-call", 7, "source 'cold_call' rated 7/15"),
        ("Purchased List", 3, "source 'purchased_list' rated 3/15"),
        ("X", 5, "source 'x' rated 5/15"),
        ("xyz", 3, "unknown source 'xyz' (low default)"),
        ("Trade Show", 3, "unknown source 'trade_show' (low default)"),
        (None, 0, "no source"),
        ("", 0, "no source"),
        ("   ", 0, "no source"),
    ],
)
def test_source_reliability(source: str | None, points: int, reason: str) -> None:
    assert component("sourceReliability", source=source) == (points, reason)


def test_source_table() -> None:
    assert SOURCE_RELIABILITY == {
        "referral": 15,
        "linkedin": 13,
        "website": 12,
        "event": 11,
        "partner": 11,
        "webinar": 10,
        "crm": 10,
        "email": 8,
        "apollo": 8,
        "import": 7,
        "cold_call": 7,
        "facebook": 6,
        "twitter": 5,
        "x": 5,
        "instagram": 5,
        "tiktok": 4,
        "purchased_list": 3,
        "other": 3,
    }
    assert (UNKNOWN_SOURCE_POINTS, NO_SOURCE_POINTS) == (3, 0)


def test_normalize_source() -> None:
    assert normalize_source(" Cold - Call ") == "cold_call"
    assert normalize_source("purchased  list") == "purchased_list"


# --------------------------------------------------------------------------- campaignMatch


@pytest.mark.parametrize("criteria", [None, CampaignCriteria(), CampaignCriteria.from_mapping({})])
def test_campaign_without_criteria(criteria: CampaignCriteria | None) -> None:
    assert component("campaignMatch", criteria, position=None, source=None) == (
        15,
        "The campaign sets no criteria: every lead earns these points (+15)",
    )


@pytest.mark.parametrize(
    ("position", "points", "reason"),
    [
        (
            "CTO",
            15,
            "Campaign criteria: 1 of 1 check(s) met. Position 'CTO' matches the campaign's target 'CTO' (+7). No target source set (+4). No required field set (+4)",
        ),
        (
            "cto & co-founder",
            15,
            "Campaign criteria: 1 of 1 check(s) met. Position 'cto & co-founder' matches the campaign's target 'CTO' (+7). No target source set (+4). No required field set (+4)",
        ),
        (
            "Co-founder/CTO",
            15,
            "Campaign criteria: 1 of 1 check(s) met. Position 'Co-founder/CTO' matches the campaign's target 'CTO' (+7). No target source set (+4). No required field set (+4)",
        ),
        (
            "CTO, Platform",
            15,
            "Campaign criteria: 1 of 1 check(s) met. Position 'CTO, Platform' matches the campaign's target 'CTO' (+7). No target source set (+4). No required field set (+4)",
        ),
        (
            "Director",
            8,
            "Campaign criteria: 0 of 1 check(s) met. Position 'Director' matches none of the campaign's target positions (CTO) as whole words (+0 of 7). No target source set (+4). No required field set (+4). Criteria the campaign does not set earn their points for every lead, so adding one lowers the score of the leads that miss it",
        ),
        (
            "CTOs office manager",
            8,
            "Campaign criteria: 0 of 1 check(s) met. Position 'CTOs office manager' matches none of the campaign's target positions (CTO) as whole words (+0 of 7). No target source set (+4). No required field set (+4). Criteria the campaign does not set earn their points for every lead, so adding one lowers the score of the leads that miss it",
        ),
        (
            "ACTOR",
            8,
            "Campaign criteria: 0 of 1 check(s) met. Position 'ACTOR' matches none of the campaign's target positions (CTO) as whole words (+0 of 7). No target source set (+4). No required field set (+4). Criteria the campaign does not set earn their points for every lead, so adding one lowers the score of the leads that miss it",
        ),
        (
            "  Head of Sales ",
            8,
            "Campaign criteria: 0 of 1 check(s) met. Position 'Head of Sales' matches none of the campaign's target positions (CTO) as whole words (+0 of 7). No target source set (+4). No required field set (+4). Criteria the campaign does not set earn their points for every lead, so adding one lowers the score of the leads that miss it",
        ),
        (None, 8, NO_POSITION),
        ("   ", 8, NO_POSITION),
    ],
)
def test_campaign_position_is_a_whole_word_match(
    position: str | None, points: int, reason: str
) -> None:
    assert component("campaignMatch", CTO, position=position) == (points, reason)


def test_campaign_multi_word_and_punctuated_targets() -> None:
    criteria = CampaignCriteria.from_mapping({"targetPositions": ["VP Engineering", "C++", "CTO"]})

    def matched(position: str) -> str | None:
        return criteria.matching_position(position)

    assert matched("VP Engineering, Platform") == "VP Engineering"
    assert matched("vp  engineering") == "VP Engineering"
    assert matched("Senior C++ developer") == "C++"
    assert component("campaignMatch", criteria, position="VP Engineering Ops & CTO")[0] == 15
    assert component("campaignMatch", criteria, position="VP Sales")[0] == 8
    assert component("campaignMatch", criteria, position="Engineering VP")[0] == 8


def test_campaign_position_ignores_accents_as_the_campaigns_page_says() -> None:
    """Issue 17: adding the title "Directeur Général" to a campaign lowered the score of a
    "Directeur General" (7 points lost): the page promised accents ignored, the match did not."""
    criteria = CampaignCriteria.from_mapping({"targetPositions": ["Directeur Général"]})
    assert component("campaignMatch", criteria, position="Directeur General, France")[0] == 15
    assert component("campaignMatch", criteria, position="DIRECTEUR GÉNÉRAL")[0] == 15
    assert criteria.matching_position("directeur general") == "Directeur Général"


def test_campaign_match_reason_says_what_matched_and_what_did_not() -> None:
    """Issue 17: the reason names the lead's value, the campaign's targets and the points of
    each check, and why a lead misses points that unset criteria give to everyone."""
    criteria = CampaignCriteria.from_mapping(
        {"targetPositions": ["VP Sales"], "targetSources": ["linkedin", "referral"]}
    )
    points, reason = component("campaignMatch", criteria, position="VP Sales", source="instagram")
    assert points == 11
    assert reason == (
        "Campaign criteria: 1 of 2 check(s) met. "
        "Position 'VP Sales' matches the campaign's target 'VP Sales' (+7). "
        "Source 'instagram' is not one of the campaign's target sources (linkedin, referral) "
        "(+0 of 4). No required field set (+4). " + NOT_SET_NOTE
    )


def test_campaign_targets_are_regex_safe() -> None:
    criteria = CampaignCriteria.from_mapping({"targetPositions": ["R&D (lead)", "a.b"]})
    assert component("campaignMatch", criteria, position="R&D (lead), Paris")[0] == 15
    assert component("campaignMatch", criteria, position="axb")[0] == 8


@pytest.mark.parametrize(
    ("source", "points", "reason"),
    [
        ("linkedin", 15, "Source 'linkedin' is one of the campaign's target sources (+4)"),
        ("LinkedIn ", 15, "Source 'linkedin' is one of the campaign's target sources (+4)"),
        ("Cold call", 15, "Source 'cold_call' is one of the campaign's target sources (+4)"),
        (
            "facebook",
            11,
            "Source 'facebook' is not one of the campaign's target sources "
            "(cold_call, linkedin) (+0 of 4)",
        ),
        (
            None,
            11,
            "No source to compare with the campaign's target sources (cold_call, linkedin) "
            "(+0 of 4)",
        ),
    ],
)
def test_campaign_sources(source: str | None, points: int, reason: str) -> None:
    criteria = CampaignCriteria.from_mapping({"targetSources": ["linkedin", "Cold-Call"]})
    got, text = component("campaignMatch", criteria, source=source)
    assert (got, text.split(". ")[2]) == (points, reason)


@pytest.mark.parametrize(
    ("required", "changes", "points", "reason"),
    [
        (["phone", "company"], {}, 15, "Every required field is filled: Phone, Company (+4)"),
        (
            ["phone", "company"],
            {"phone": None},
            13,
            "1 of 2 required field(s) filled, missing Phone (+2 of 4)",
        ),
        (
            ["phone", "company"],
            {"phone": None, "company": " "},
            11,
            "0 of 2 required field(s) filled, missing Phone, Company (+0 of 4)",
        ),
        (
            ["phone", "linkedinUrl", "company"],
            {"linkedin_url": None},
            13,  # 4 * 2/3 = 2.67 -> 2
            "2 of 3 required field(s) filled, missing LinkedIn URL (+2 of 4)",
        ),
        (
            ["phone", "linkedinUrl", "company"],
            {"linkedin_url": None, "company": None},
            12,  # 4 * 1/3 = 1.33 -> 1
            "1 of 3 required field(s) filled, missing LinkedIn URL, Company (+1 of 4)",
        ),
        (
            ["firstName", "lastName", "email", "website"],
            {"email": None},
            14,
            "3 of 4 required field(s) filled, missing Email (+3 of 4)",
        ),
        (
            ["phone"],
            {"phone": "12"},
            15,
            "Every required field is filled: Phone (+4)",
        ),  # present, even if invalid
    ],
)
def test_campaign_required_fields(
    required: list[str], changes: dict[str, Any], points: int, reason: str
) -> None:
    criteria = CampaignCriteria.from_mapping({"requiredFields": required})
    got, text = component("campaignMatch", criteria, **changes)
    assert (got, text.split(". ")[3]) == (points, reason)


def test_campaign_reasons_are_joined() -> None:
    criteria = CampaignCriteria.from_mapping(
        {
            "targetPositions": ["CTO", "VP Engineering"],
            "targetSources": ["referral"],
            "requiredFields": ["phone", "company", "website"],
        }
    )
    assert component("campaignMatch", criteria, position="Director", phone=None) == (
        2,
        "Campaign criteria: 0 of 3 check(s) met. "
        "Position 'Director' matches none of the campaign's target positions "
        "(CTO, VP Engineering) as whole words (+0 of 7). "
        "Source 'linkedin' is not one of the campaign's target sources (referral) (+0 of 4). "
        "2 of 3 required field(s) filled, missing Phone (+2 of 4)",
    )
    assert component("campaignMatch", criteria, source="Referral") == (
        15,
        "Campaign criteria: 3 of 3 check(s) met. "
        "Position 'CTO' matches the campaign's target 'CTO' (+7). "
        "Source 'referral' is one of the campaign's target sources (+4). "
        "Every required field is filled: Phone, Company, Website (+4)",
    )


# --------------------------------------------------------------------------- CampaignCriteria


def test_criteria_from_mapping() -> None:
    criteria = CampaignCriteria.from_mapping(
        {
            "targetPositions": ["CTO", " ", "VP Engineering "],
            "targetSources": ["linkedin"],
            "requiredFields": ["phone"],
            "unrelated": True,
        }
    )
    assert criteria == CampaignCriteria(("CTO", "VP Engineering"), ("linkedin",), ("phone",))
    assert not criteria.is_empty()
    assert hash(criteria) == hash(
        CampaignCriteria(("CTO", "VP Engineering"), ("linkedin",), ("phone",))
    )
    assert CampaignCriteria.from_mapping(None) == CampaignCriteria()
    assert CampaignCriteria.from_mapping(None).is_empty()
    assert CampaignCriteria.from_mapping({"targetPositions": [], "requiredFields": None}).is_empty()
    assert CampaignCriteria.from_mapping({"target_sources": ["crm"]}).target_sources == ("crm",)
    assert CampaignCriteria(target_positions=["CTO"]).target_positions == ("CTO",)  # type: ignore[arg-type]
    assert criteria.to_public() == {
        "targetPositions": ["CTO", "VP Engineering"],
        "targetSources": ["linkedin"],
        "requiredFields": ["phone"],
    }


def test_position_patterns_are_compiled_once_per_target_list() -> None:
    first = CampaignCriteria.from_mapping({"targetPositions": ["Head of Data", "CDO"]})
    second = CampaignCriteria.from_mapping({"targetPositions": ["Head of Data", "CDO"]})
    assert first._positions_re is second._positions_re
    misses = criteria_module._position_pattern.cache_info().misses
    for position in ("CDO", "Head of data", "Director"):
        score(first, position=position)
    assert criteria_module._position_pattern.cache_info().misses == misses


# --------------------------------------------------------------------------- table and totals


def test_components_table() -> None:
    assert [c.key for c in COMPONENTS] == [
        "emailValidity",
        "profileCompleteness",
        "companyData",
        "sourceReliability",
        "campaignMatch",
    ]
    assert [c.max_points for c in COMPONENTS] == [30, 20, 20, 15, 15]
    assert sum(c.max_points for c in COMPONENTS) == 100
    assert all(c.label and c.help for c in COMPONENTS)


def test_describe_scoring() -> None:
    described = describe_scoring()
    assert [(d["key"], d["maxPoints"]) for d in described] == [
        ("emailValidity", 30),
        ("profileCompleteness", 20),
        ("companyData", 20),
        ("sourceReliability", 15),
        ("campaignMatch", 15),
    ]
    assert set(described[0]) == {"key", "label", "maxPoints", "help"}
    assert described[0]["label"] == "Email validity"


def test_module_docstring_documents_the_table() -> None:
    doc = scoring.__doc__ or ""
    for spec in COMPONENTS:
        assert spec.label in doc
    for source, points in SOURCE_RELIABILITY.items():
        assert f"{source} {points}" in doc


def test_score_result() -> None:
    result = ScoreResult(
        (ComponentScore("emailValidity", 22, 30, "a"), ComponentScore("campaignMatch", 7, 15, "b"))
    )
    assert result.total == 29
    assert result.breakdown() == {"emailValidity": 22, "campaignMatch": 7}
    assert result.reasons() == {"emailValidity": "a", "campaignMatch": "b"}


def test_total_is_the_sum_and_stays_within_0_100() -> None:
    variants: dict[str, list[Any]] = {
        "email": [
            None,
            "marie@techcorp.com",
            "info@techcorp.com",
            "marie@gmail.com",
            "marie@mailinator.com",
            "marie@othercorp.com",
            "bad..x@techcorp.com",
        ],
        "website": [None, "https://www.techcorp.com", "n/a"],
        "phone": [None, "06 12 34 56 78", "123"],
        "source": [None, "referral", "tiktok", "mystery"],
        "position": [None, "CTO", "Director"],
        "company": [None, "TechCorp"],
        "first_name": [None, "Marie"],
        "last_name": [None, "Dubois"],
        "linkedin_url": [None, "linkedin.com/in/marie"],
    }
    criteria_options = [
        None,
        CTO,
        CampaignCriteria.from_mapping(
            {
                "targetPositions": ["CTO"],
                "targetSources": ["referral"],
                "requiredFields": ["phone", "company", "linkedinUrl"],
            }
        ),
    ]
    seen_totals = set()
    keys = list(variants)
    for values in itertools.product(*variants.values()):
        changes = dict(zip(keys, values, strict=True))
        for criteria in criteria_options:
            result = score(criteria, **changes)
            breakdown = result.breakdown()
            assert list(breakdown) == [c.key for c in COMPONENTS]
            assert result.total == sum(breakdown.values())
            assert 0 <= result.total <= 100
            for spec, comp in zip(COMPONENTS, result.components, strict=True):
                assert comp.key == spec.key
                assert comp.max_points == spec.max_points
                assert 0 <= comp.points <= spec.max_points
                assert comp.reason
            seen_totals.add(result.total)
    assert max(seen_totals) == 100
    assert min(seen_totals) == 0


def test_weights_that_do_not_add_up_stop_the_import(monkeypatch: pytest.MonkeyPatch) -> None:
    assert scoring._weight_problems() == []
    monkeypatch.setattr(scoring, "COMPANY_NAME_POINTS", 9)
    monkeypatch.setitem(scoring.SOURCE_RELIABILITY, "fax", 16)
    assert scoring._weight_problems() == [
        "companyData: parts add up to 21, not 20",
        "source 'fax': 16 is not within 0-15",
    ]
