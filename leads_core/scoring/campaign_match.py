"""The "campaign match" score component: the checks a campaign sets (target positions,
target sources, required fields), each lead's points, and a reason a user can follow - what
matched, what did not, the campaign's targets and the points of each check.

A criterion the campaign does not set earns its points for every lead; so adding one lowers
the score of the leads that miss it, which the reason says when it happens."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from leads_core.fields import BY_NAME
from leads_core.scoring.criteria import CampaignCriteria, normalize_source
from leads_core.text import text_or_none

CAMPAIGN_POSITION_POINTS = 7
CAMPAIGN_SOURCE_POINTS = 4
CAMPAIGN_REQUIRED_POINTS = 4
CAMPAIGN_MATCH_POINTS = CAMPAIGN_POSITION_POINTS + CAMPAIGN_SOURCE_POINTS + CAMPAIGN_REQUIRED_POINTS


def campaign_match(lead: Mapping[str, Any], criteria: CampaignCriteria | None) -> tuple[int, str]:
    """Points and a reason a user can follow: each check the campaign sets, what matched
    and what did not, with its points; a check it does not set earns its points for every
    lead, which the reason says when another check failed (adding that check would lower
    the score of the leads that do not meet it)."""
    if criteria is None or criteria.is_empty():
        return CAMPAIGN_MATCH_POINTS, (
            "The campaign sets no criteria: every lead earns these points "
            f"(+{CAMPAIGN_MATCH_POINTS})"
        )
    checks = (
        _position_check(lead, criteria),
        _source_check(lead, criteria),
        _required_check(lead, criteria),
    )
    points = sum(check.points for check in checks)
    set_checks = [check for check in checks if check.set]
    met = sum(check.met for check in set_checks)
    parts = [f"Campaign criteria: {met} of {len(set_checks)} check(s) met"]
    parts += [check.reason for check in checks]
    if met < len(set_checks) and len(set_checks) < len(checks):
        parts.append(
            "Criteria the campaign does not set earn their points for every lead, so adding "
            "one lowers the score of the leads that miss it"
        )
    return points, ". ".join(parts)


@dataclass(frozen=True, slots=True)
class _Check:
    set: bool  # the campaign sets this criterion
    met: bool
    points: int
    reason: str


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join(values)


def _position_check(lead: Mapping[str, Any], criteria: CampaignCriteria) -> _Check:
    full = CAMPAIGN_POSITION_POINTS
    targets = criteria.target_positions
    if not targets:
        return _Check(False, True, full, f"No target position set (+{full})")
    position = text_or_none(lead.get("position"))
    if position is None:
        return _Check(
            True,
            False,
            0,
            "No position to compare with the campaign's target positions "
            f"({_quoted(targets)}) (+0 of {full})",
        )
    target = criteria.matching_position(position)
    if target is None:
        return _Check(
            True,
            False,
            0,
            f"Position '{position}' matches none of the campaign's target positions "
            f"({_quoted(targets)}) as whole words (+0 of {full})",
        )
    return _Check(
        True,
        True,
        full,
        f"Position '{position}' matches the campaign's target '{target}' (+{full})",
    )


def _source_check(lead: Mapping[str, Any], criteria: CampaignCriteria) -> _Check:
    full = CAMPAIGN_SOURCE_POINTS
    if not criteria._sources:
        return _Check(False, True, full, f"No target source set (+{full})")
    targets = _quoted(tuple(sorted(criteria._sources)))
    source = text_or_none(lead.get("source"))
    if source is None:
        return _Check(
            True,
            False,
            0,
            f"No source to compare with the campaign's target sources ({targets}) (+0 of {full})",
        )
    key = normalize_source(source)
    if key in criteria._sources:
        return _Check(
            True, True, full, f"Source '{key}' is one of the campaign's target sources (+{full})"
        )
    return _Check(
        True,
        False,
        0,
        f"Source '{key}' is not one of the campaign's target sources ({targets}) (+0 of {full})",
    )


def _required_check(lead: Mapping[str, Any], criteria: CampaignCriteria) -> _Check:
    full = CAMPAIGN_REQUIRED_POINTS
    required = criteria._required
    if not required:
        return _Check(False, True, full, f"No required field set (+{full})")
    absent = [_label(key) for _, key in required if text_or_none(lead.get(key)) is None]
    filled = len(required) - len(absent)
    points = int(full * filled / len(required))  # rounded down
    if not absent:
        names = _quoted(tuple(_label(key) for _, key in required))
        return _Check(True, True, points, f"Every required field is filled: {names} (+{full})")
    return _Check(
        True,
        False,
        points,
        f"{filled} of {len(required)} required field(s) filled, missing {_quoted(tuple(absent))} "
        f"(+{points} of {full})",
    )


def _label(key: str) -> str:
    """A lead field's name in words ("LinkedIn URL"); an unknown key as it is."""
    field = BY_NAME.get(key)
    return field.label if field else key
