"""Lead quality score: 0-100 points, the sum of five components.

=====================  ===  ================================================================
Component              Max  How the points are earned
=====================  ===  ================================================================
Email validity          30  Missing or invalid address 0; disposable provider 5; role address
                            (info@, sales@...) 20; free-mail provider (gmail, orange.fr...) 22;
                            company address whose domain differs from the website 26; any
                            other valid company address 30. The first rule that applies wins.
Profile completeness    20  4 each for first name, last name, position, LinkedIn URL and a
                            phone number that is a valid number.
Company data            20  8 for a company name, 6 for a website with a domain name, 6 when the
                            email domain matches the website (or 3 when there is no website
                            but the email is on a company domain, i.e. not free or disposable).
Source reliability      15  From the table of sources below; an unknown source gets 3, no
                            source 0.
Campaign match          15  7 when the position contains one of the campaign's target positions
                            as a whole word (case-insensitive: "CTO" matches "CTO & co-founder"
                            but not "Director"), 4 when the source is one of the targeted
                            sources, 4 x the share of the campaign's required fields that are
                            filled (rounded down). A criterion the campaign does not set earns
                            its points; a campaign without criteria gives 15.
=====================  ===  ================================================================

Source reliability table (sources are compared lower-cased, spaces and hyphens read as "_"):
referral 15, linkedin 13, website 12, event 11, partner 11, webinar 10, crm 10, email 8,
apollo 8, import 7, cold_call 7, facebook 6, twitter 5, x 5, instagram 5, tiktok 4,
purchased_list 3, other 3.

All weights live in this module: :data:`COMPONENTS` (maximum points), :data:`SOURCE_RELIABILITY`,
the ``*_POINTS`` constants below. :func:`describe_scoring` returns the component table for the
API and the dashboard. Every function here is pure: :func:`score_lead` only reads the lead, its
:class:`~leads_core.enrichment.Enrichment` and the campaign criteria.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from leads_core.fields import FIELDS
from leads_core.scoring.campaign_match import (
    CAMPAIGN_POSITION_POINTS,
    CAMPAIGN_REQUIRED_POINTS,
    CAMPAIGN_SOURCE_POINTS,
    campaign_match,
)
from leads_core.scoring.criteria import CampaignCriteria, normalize_source
from leads_core.scoring.enrichment import Enrichment, domain_from_url
from leads_core.text import text_or_none

__all__ = [
    "ComponentSpec",
    "COMPONENTS",
    "SOURCE_RELIABILITY",
    "UNKNOWN_SOURCE_POINTS",
    "NO_SOURCE_POINTS",
    "ComponentScore",
    "ScoreResult",
    "score_lead",
    "describe_scoring",
]


@dataclass(frozen=True)
class ComponentSpec:
    key: str
    label: str
    max_points: int
    help: str


COMPONENTS: tuple[ComponentSpec, ...] = (
    ComponentSpec(
        "emailValidity",
        "Email validity",
        30,
        "Valid company address 30, company address not matching the website 26, free-mail 22, "
        "role address (info@, sales@...) 20, disposable 5, missing or invalid 0.",
    ),
    ComponentSpec(
        "profileCompleteness",
        "Profile completeness",
        20,
        "4 points each for first name, last name, position, LinkedIn URL and a valid phone number.",
    ),
    ComponentSpec(
        "companyData",
        "Company data",
        20,
        "Company name 8, website 6, email domain matching the website 6 (3 for a company "
        "email domain when there is no website).",
    ),
    ComponentSpec(
        "sourceReliability",
        "Source reliability",
        15,
        "How reliable the lead's source usually is (referral 15, LinkedIn 13, website 12 ... "
        "purchased list 3); unknown source 3, no source 0.",
    ),
    ComponentSpec(
        "campaignMatch",
        "Campaign match",
        15,
        "Target position as a whole word 7, targeted source 4, share of required fields 4; "
        "criteria the campaign does not set earn their points.",
    ),
)
_MAX = {spec.key: spec.max_points for spec in COMPONENTS}

HIGH_QUALITY = 85
"""The recommended threshold: leads scoring at least this are worth a call first."""

# --- emailValidity ---------------------------------------------------------------------
EMAIL_DISPOSABLE_POINTS = 5
EMAIL_ROLE_POINTS = 20
EMAIL_FREE_POINTS = 22
EMAIL_WEBSITE_MISMATCH_POINTS = 26
EMAIL_CORPORATE_POINTS = 30

# --- profileCompleteness: (lead key, word used in reasons) -----------------------------
PROFILE_FIELD_POINTS = 4
PROFILE_FIELDS: tuple[tuple[str, str], ...] = tuple(
    (field.name, field.in_sentence) for field in FIELDS if field.profile
)

# --- companyData -----------------------------------------------------------------------
COMPANY_NAME_POINTS = 8
COMPANY_WEBSITE_POINTS = 6
COMPANY_EMAIL_MATCH_POINTS = 6
COMPANY_EMAIL_NO_WEBSITE_POINTS = 3

# --- sourceReliability -----------------------------------------------------------------
SOURCE_RELIABILITY: dict[str, int] = {
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
UNKNOWN_SOURCE_POINTS = 3
NO_SOURCE_POINTS = 0

# --- campaignMatch ---------------------------------------------------------------------
# CAMPAIGN_POSITION_POINTS, CAMPAIGN_SOURCE_POINTS, CAMPAIGN_REQUIRED_POINTS: with the
# checks and their reasons in leads_core.scoring.campaign_match.


def _weight_problems() -> list[str]:
    """What is wrong with the weights above: each component's parts must add up to its
    maximum and the maxima to 100 (a profile field added to ``leads_core.fields`` without
    changing PROFILE_FIELD_POINTS is one)."""
    parts = {
        "companyData": COMPANY_NAME_POINTS + COMPANY_WEBSITE_POINTS + COMPANY_EMAIL_MATCH_POINTS,
        "profileCompleteness": PROFILE_FIELD_POINTS * len(PROFILE_FIELDS),
        "campaignMatch": (
            CAMPAIGN_POSITION_POINTS + CAMPAIGN_SOURCE_POINTS + CAMPAIGN_REQUIRED_POINTS
        ),
    }
    problems = [
        f"{key}: parts add up to {total}, not {_MAX[key]}"
        for key, total in parts.items()
        if total != _MAX[key]
    ]
    problems += [
        f"source {name!r}: {points} is not within 0-{_MAX['sourceReliability']}"
        for name, points in SOURCE_RELIABILITY.items()
        if not 0 <= points <= _MAX["sourceReliability"]
    ]
    if sum(_MAX.values()) != 100:
        problems.append(f"the component maxima add up to {sum(_MAX.values())}, not 100")
    return problems


_PROBLEMS = _weight_problems()  # checked on import (an assert would vanish under python -O)
if _PROBLEMS:
    raise RuntimeError("scoring weights: " + "; ".join(_PROBLEMS))


@dataclass(frozen=True, slots=True)
class ComponentScore:
    key: str
    points: int
    max_points: int
    reason: str


@dataclass(frozen=True, slots=True)
class ScoreResult:
    components: tuple[ComponentScore, ...]

    @property
    def total(self) -> int:
        """Sum of the component points, 0..100."""
        return sum(c.points for c in self.components)

    def breakdown(self) -> dict[str, int]:
        """``{"emailValidity": 30, ...}`` in :data:`COMPONENTS` order."""
        return {c.key: c.points for c in self.components}

    def reasons(self) -> dict[str, str]:
        """``{"emailValidity": "corporate address on a valid domain", ...}``."""
        return {c.key: c.reason for c in self.components}


# --------------------------------------------------------------------------- components


def _email_validity(enrichment: Enrichment) -> tuple[int, str]:
    status = enrichment.email_status
    if status == "missing":
        return 0, "no email"
    if status != "valid":
        return 0, f"invalid address: {enrichment.email_error}"
    domain = enrichment.email_domain
    if enrichment.disposable_email:
        return EMAIL_DISPOSABLE_POINTS, f"disposable address ({domain})"
    if enrichment.role_email:
        local = (enrichment.email_normalized or "").rpartition("@")[0].lower()
        return EMAIL_ROLE_POINTS, f"role address ({local}@) on a valid domain"
    if enrichment.free_email:
        return EMAIL_FREE_POINTS, f"free-mail address ({domain})"
    if enrichment.email_matches_website is False:
        return EMAIL_WEBSITE_MISMATCH_POINTS, "corporate address; domain differs from website"
    return EMAIL_CORPORATE_POINTS, "corporate address on a valid domain"


def _profile_completeness(lead: Mapping[str, Any], enrichment: Enrichment) -> tuple[int, str]:
    points = 0
    missing: list[str] = []
    bad_phone = False
    for key, word in PROFILE_FIELDS:
        value = lead.get(key)
        if value is None or (isinstance(value, str) and (not value or value.isspace())):
            missing.append(word)
        elif key == "phone" and enrichment.phone_valid is not True:
            bad_phone = True
        else:
            points += PROFILE_FIELD_POINTS
    if points == _MAX["profileCompleteness"]:
        return points, "complete profile"
    parts = []
    if missing:
        parts.append("missing " + ", ".join(missing))
    if bad_phone:
        parts.append("phone not a valid number")
    return points, "; ".join(parts)


def _company_data(lead: Mapping[str, Any], enrichment: Enrichment) -> tuple[int, str]:
    has_company = text_or_none(lead.get("company")) is not None
    website = text_or_none(lead.get("website"))
    has_site = domain_from_url(website) is not None
    matches = enrichment.email_matches_website is True
    if has_company and has_site and matches:
        return _MAX["companyData"], "company, website and matching email domain"

    points = 0
    facts: list[str] = []
    if has_company:
        points += COMPANY_NAME_POINTS
        facts.append("company name")
    else:
        facts.append("no company name")

    if has_site:
        points += COMPANY_WEBSITE_POINTS
        facts.append("website")
    elif website is None:
        facts.append("no website")
    else:
        facts.append("website has no domain name")

    corporate_email = (
        enrichment.email_status == "valid"
        and not enrichment.free_email
        and not enrichment.disposable_email
    )
    if matches:
        points += COMPANY_EMAIL_MATCH_POINTS
        facts.append("email domain matches website")
    elif has_site:
        if enrichment.email_matches_website is False:
            facts.append("email domain differs from website")
        else:
            facts.append("no email domain to compare")
    elif corporate_email:
        points += COMPANY_EMAIL_NO_WEBSITE_POINTS
        facts.append("company email domain")
    elif enrichment.email_status == "valid":
        facts.append("email not on a company domain")
    else:
        facts.append("no valid email domain")
    return points, "; ".join(facts)


def _source_reliability(lead: Mapping[str, Any]) -> tuple[int, str]:
    source = text_or_none(lead.get("source"))
    if source is None:
        return NO_SOURCE_POINTS, "no source"
    key = normalize_source(source)
    points = SOURCE_RELIABILITY.get(key)
    if points is None:
        return UNKNOWN_SOURCE_POINTS, f"unknown source '{key}' (low default)"
    return points, f"source '{key}' rated {points}/{_MAX['sourceReliability']}"


def score_lead(
    lead: Mapping[str, Any], enrichment: Enrichment, criteria: CampaignCriteria | None
) -> ScoreResult:
    """Score one lead (snake_case keys: first_name, last_name, email, company, position,
    source, linkedin_url, phone, website) against its campaign's criteria."""
    email, profile, company, source, campaign = COMPONENTS
    return ScoreResult(
        (
            _component(email, _email_validity(enrichment)),
            _component(profile, _profile_completeness(lead, enrichment)),
            _component(company, _company_data(lead, enrichment)),
            _component(source, _source_reliability(lead)),
            _component(campaign, campaign_match(lead, criteria)),
        )
    )


def _component(spec: ComponentSpec, result: tuple[int, str]) -> ComponentScore:
    return _component_score(spec.key, *result, spec.max_points)


@lru_cache(maxsize=4096)
def _component_score(key: str, points: int, reason: str, max_points: int) -> ComponentScore:
    # ComponentScore is immutable and most (points, reason) pairs repeat from lead to lead:
    # sharing instances is cheaper than building five frozen dataclasses per lead.
    return ComponentScore(key, points, max_points, reason)


def describe_scoring() -> list[dict[str, Any]]:
    """The component table for the docs and the UI: key, label, maxPoints, help."""
    return [
        {"key": s.key, "label": s.label, "maxPoints": s.max_points, "help": s.help}
        for s in COMPONENTS
    ]
