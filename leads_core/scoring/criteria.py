"""A campaign's criteria as the scoring reads them: target positions (matched as whole
words), target sources and required fields, cleaned once so scoring a lead is cheap."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from leads_core.text import fold, text_or_none


def _strings(value: Any) -> tuple[str, ...]:
    """A tuple of the non-blank strings in a list/tuple (or a single string)."""
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Iterable):
        value = (value,)
    return tuple(t for t in (text_or_none(v) for v in value) if t is not None)


@lru_cache(maxsize=1024)
def normalize_source(value: str) -> str:
    """``" Cold-Call "`` -> ``"cold_call"``: lower-case, spaces and hyphens read as ``_``."""
    return "_".join(value.lower().replace("-", " ").split())


_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])([A-Z])")


def snake_name(name: str) -> str:
    """Lead field name in camelCase (as campaigns store it) -> the lead mapping's key."""
    return _CAMEL_HUMP.sub(r"_\1", name).lower()


@lru_cache(maxsize=256)
def _position_pattern(targets: tuple[str, ...]) -> re.Pattern[str] | None:
    """One case-insensitive pattern; group i+1 is target i, matched as whole words.

    Word boundaries are "not preceded/followed by a word character", which behaves like ``\\b``
    for ordinary targets and still works for targets that start or end with punctuation
    ("C++"). Whitespace inside a target matches any run of whitespace. Targets are folded
    (:func:`leads_core.text.fold`): matched against the folded position, accents and case
    are ignored ("Directeur Général" matches "directeur general").
    """
    if not targets:
        return None
    alternatives = (
        r"(?<!\w)(" + r"\s+".join(re.escape(word) for word in fold(target).split()) + r")(?!\w)"
        for target in targets
    )
    return re.compile("|".join(alternatives), re.IGNORECASE)


@dataclass(frozen=True)
class CampaignCriteria:
    """What a campaign targets; every criterion is optional."""

    target_positions: tuple[str, ...] = ()
    target_sources: tuple[str, ...] = ()
    required_fields: tuple[str, ...] = ()  # lead field names in camelCase: "phone", "company"...
    _positions_re: re.Pattern[str] | None = field(
        init=False, repr=False, compare=False, hash=False, default=None
    )
    _sources: frozenset[str] = field(
        init=False, repr=False, compare=False, hash=False, default=frozenset()
    )
    _required: tuple[tuple[str, str], ...] = field(
        init=False, repr=False, compare=False, hash=False, default=()
    )

    def __post_init__(self) -> None:
        # Accept lists (and stray blanks) from callers, keep the public fields as clean tuples.
        positions = _strings(self.target_positions)
        sources = _strings(self.target_sources)
        required = _strings(self.required_fields)
        set_ = object.__setattr__
        set_(self, "target_positions", positions)
        set_(self, "target_sources", sources)
        set_(self, "required_fields", required)
        set_(self, "_positions_re", _position_pattern(positions))
        set_(self, "_sources", frozenset(normalize_source(s) for s in sources))
        set_(self, "_required", tuple((name, snake_name(name)) for name in required))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> CampaignCriteria:
        """From a campaign's JSON criteria (``targetPositions``, ``targetSources``,
        ``requiredFields``; snake_case keys are accepted too). None gives empty criteria."""
        if not data:
            return cls()

        def pick(camel: str, snake: str) -> tuple[str, ...]:
            return _strings(data.get(camel, data.get(snake)))

        return cls(
            target_positions=pick("targetPositions", "target_positions"),
            target_sources=pick("targetSources", "target_sources"),
            required_fields=pick("requiredFields", "required_fields"),
        )

    def to_public(self) -> dict[str, list[str]]:
        return {
            "targetPositions": list(self.target_positions),
            "targetSources": list(self.target_sources),
            "requiredFields": list(self.required_fields),
        }

    @property
    def normalized_sources(self) -> frozenset[str]:
        """The target sources as :func:`normalize_source` writes them."""
        return self._sources

    def matching_position(self, position: str) -> str | None:
        """The first target position that ``position`` contains as whole words (accents and
        case ignored), or None."""
        if self._positions_re is None:
            return None
        match = self._positions_re.search(fold(position))
        if match is None or match.lastindex is None:  # each target is a group
            return None
        return self.target_positions[match.lastindex - 1]

    def is_empty(self) -> bool:
        return not (self.target_positions or self.target_sources or self.required_fields)
