"""Enrichment + score of one lead: the single place that turns stored fields into the
derived columns (``enrichment``, ``quality_score``, ``score_breakdown``, ``score_reasons``,
``search_text``). Used by the import, by edits and by campaign re-scoring."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from leads_core.fields import BY_NAME, SEARCHED
from leads_core.scoring.criteria import CampaignCriteria
from leads_core.scoring.enrichment import enrich
from leads_core.scoring.rules import score_lead
from leads_core.text import fold


@dataclass(frozen=True, slots=True)
class Assessment:
    enrichment: dict[str, Any]
    quality_score: int | None
    score_breakdown: dict[str, int] | None
    score_reasons: dict[str, str] | None
    search_text: str

    def columns(self) -> dict[str, Any]:
        return {
            "search_text": self.search_text,
            "enrichment": self.enrichment,
            "quality_score": self.quality_score,
            "score_breakdown": self.score_breakdown,
            "score_reasons": self.score_reasons,
        }


def assess(
    fields: Mapping[str, Any],
    criteria: CampaignCriteria | None,
    *,
    score: bool,
    region: str,
) -> Assessment:
    """``fields`` uses the table's snake_case names (first_name, email, ...)."""
    facts = enrich(
        email=fields.get("email"),
        phone=fields.get("phone"),
        website=fields.get("website"),
        region=region,
    )
    text = search_text(fields)
    if not score:
        return Assessment(facts.to_public(), None, None, None, text)
    result = score_lead(fields, facts, criteria)
    return Assessment(facts.to_public(), result.total, result.breakdown(), result.reasons(), text)


SEARCH_TEXT = 4000  # lead.search_text


def search_text(fields: Mapping[str, Any]) -> str:
    """What free-text search (``q``) looks in: the folded searched fields (name, email,
    company, position), the values of the lead's attributes (its file's other columns),
    then its notes - last, as the longest: what passes :data:`SEARCH_TEXT` characters is
    not searched.

    Stored with the lead so a search is one LIKE on one column, identical on both engines."""
    words = [str(fields[name]) for name in SEARCHED if name not in _LAST and fields.get(name)]
    attributes = fields.get("attributes") or {}
    words += [str(value) for value in attributes.values() if value]
    words += [str(fields[name]) for name in _LAST if fields.get(name)]
    return fold(" ".join(words))[:SEARCH_TEXT]


_LAST = tuple(name for name in SEARCHED if BY_NAME[name].kind == "long")
