"""A file's columns -> what each one becomes: a lead field (by its header, by its values
or by the caller's mapping), a full name to split, an attribute kept on the lead, or
nothing (ignored on request).

Matching by header uses the synonyms each field declares in ``leads_core.fields``: a
header in ``headers`` beats one in ``weak_headers`` (Outlook's "Title" is Mr./Ms. beside
its "Job Title"); otherwise the first column wins. A vendor's prefix or suffix is set
aside when the whole header is unknown ("Person - Email - Work" is an email). A column
whose header says nothing is matched by its values (``files.values``), and a link column
is checked by its values (LinkedIn's ``URL`` holds profile links, not web sites).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from leads_core.errors import ValidationFailed
from leads_core.fields import BY_API_NAME, FIELDS
from leads_core.files import values

LEAD_FIELDS: tuple[str, ...] = tuple(f.api_name for f in FIELDS)
"""What a column can be mapped to: the lead fields' API names."""

HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    f.api_name: (f.api_name, *f.headers, *f.weak_headers) for f in FIELDS
}
"""Header names recognised for each lead field (the registry's, plus its API name)."""

FULL_NAME = "fullName"
"""Mapping target: a full name, split into first and last name (``nameparser``)."""
ATTRIBUTE = "attribute"
"""Mapping target: keep the column on each lead, under its header, in ``attributes``."""
IGNORE = "ignore"
"""Mapping value meaning "do not import this column" (``None`` and ``""`` mean the same)."""
TARGETS: tuple[str, ...] = (*LEAD_FIELDS, FULL_NAME, ATTRIBUTE)

FULL_NAME_HEADERS: tuple[str, ...] = (
    "Name",
    "Full Name",
    "Contact Name",
    "Contact Full Name",
    "Lead Name",
    "Person Name",
    "Contact",
    "Nom complet",
    "Prénom et nom",
    "Nom et prénom",
)
PRODUCT_COLUMNS = frozenset(
    {"id", "campaignid", "qualityscore", "createdat", "updatedat", "problem"}
)
"""Headers of our own files that are not lead fields: an export's id, campaign, score and
times, a problem-rows file's Problem. Ignored, not kept as attributes, so such a file
imports again as it was (a new id, the campaign chosen, a new score)."""
EXPORT_CAMPAIGN = "campaign"
"""An export's campaign name beside its ``campaignId``: ignored too, but only in a file
that has ``campaignId`` (another file's "Campaign" column is the user's, kept)."""
MatchedBy = Literal["header", "values", "mapping"]
_NON_ALNUM = re.compile(r"[\W_]+")
_PREFIXES = ("person", "contact", "lead", "prospect", "primary")
_SUFFIXES = ("value", "work", "home", "other", "main", "primary", "1")
_WEAK = 1  # tier of a weak synonym or a prefixed/suffixed match; 0 is a plain synonym


def normalise_header(header: str) -> str:
    """The form headers are compared in: BOM removed, accents removed (NFKD),
    case-folded, every non-alphanumeric character dropped.

    >>> normalise_header(" Prénom ")
    'prenom'
    >>> normalise_header("E-mail_Address")
    'emailaddress'
    """
    text = unicodedata.normalize("NFKD", header.replace("\ufeff", ""))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _NON_ALNUM.sub("", text.casefold())


def _build_lookup() -> dict[str, tuple[str, int]]:
    lookup: dict[str, tuple[str, int]] = {}
    named = [(f.api_name, (f.api_name, *f.headers), f.weak_headers) for f in FIELDS]
    for target, strong, weak in [*named, (FULL_NAME, FULL_NAME_HEADERS, ())]:
        for tier, synonyms in ((0, strong), (_WEAK, weak)):
            for synonym in synonyms:
                key = normalise_header(synonym)
                owner, _ = lookup.setdefault(key, (target, tier))
                if owner != target:  # pragma: no cover - guarded by a test
                    raise AssertionError(f"header {synonym!r} claimed by {owner} and {target}")
    return lookup


_LOOKUP: dict[str, tuple[str, int]] = _build_lookup()


_RENAMED = re.compile(r"(.+) \(\d+\)")  # "Email (2)": a repeated header, renamed


def header_target(header: str) -> tuple[str, int] | None:
    """``(target, tier)`` a header names, or None: a field's API name or ``fullName``."""
    renamed = _RENAMED.fullmatch(header)
    if renamed is not None and (found := header_target(renamed.group(1))) is not None:
        return found[0], _WEAK  # a second "Email" column: kept, and a fallback
    key = normalise_header(header)
    found = _LOOKUP.get(key)
    if found is not None or not key:
        return found
    # "Person - Email - Work": a vendor's prefix and suffix around a known header.
    for prefix in ("", *_PREFIXES):
        for suffix in ("", *_SUFFIXES):
            if (prefix or suffix) and key.startswith(prefix) and key.endswith(suffix):
                inner = key[len(prefix) : len(key) - len(suffix)]
                if inner and (found := _LOOKUP.get(inner)) is not None:
                    return found[0], _WEAK
    return None


def detect_mapping(headers: Sequence[str]) -> dict[str, str | None]:
    """Each header's lead field by its name alone, or None: a plain synonym beats a weak
    one, then the first column wins (``{"Title": None, "Job Title": "position"}``)."""
    best: dict[str, tuple[int, int]] = {}
    for position, header in enumerate(headers):
        found = header_target(header)
        if found is not None and found[0] != FULL_NAME:
            target, tier = found
            if target not in best or (tier, position) < best[target]:
                best[target] = (tier, position)
    winners = {position: target for target, (_, position) in best.items()}
    return {header: winners.get(position) for position, header in enumerate(headers)}


# --------------------------------------------------------------------------- the plan


@dataclass
class ColumnPlan:
    """What becomes of each column of a file (by position; headers are distinct)."""

    headers: list[str]
    mapping: dict[str, str | None]  # header -> field, fullName, attribute, or None (ignored)
    matched_by: dict[str, MatchedBy | None]
    fallbacks: dict[str, list[int]] = field(default_factory=dict)
    """Field -> positions of further columns meaning it (kept as attributes), whose value
    a row uses when the field's own column is blank there (Apollo's several phones)."""

    def positions(self, target: str) -> list[int]:
        return [i for i, h in enumerate(self.headers) if self.mapping[h] == target]

    @property
    def fields(self) -> list[tuple[str, int]]:
        return [(t, i) for i, h in enumerate(self.headers) if (t := self.mapping[h]) in BY_API_NAME]

    @property
    def attribute_columns(self) -> list[str]:
        return [h for h in self.headers if self.mapping[h] == ATTRIBUTE]

    @property
    def ignored_columns(self) -> list[str]:
        return [h for h in self.headers if self.mapping[h] is None]


def plan_columns(
    headers: list[str],
    columns: Sequence[Sequence[str]],
    explicit: Mapping[str, str | None] | None = None,
) -> ColumnPlan:
    """Decide each column: the caller's ``explicit`` mapping first, then headers, then
    values (``columns[i]`` is a sample of column ``i``'s cells); the rest are attributes.
    A full-name column is split unless first and last name both have a column."""
    chosen = _check_explicit(headers, explicit or {})
    mapping: dict[str, str | None] = {}
    matched_by: dict[str, MatchedBy | None] = {}
    for header, target in chosen.items():
        mapping[header], matched_by[header] = target, "mapping"
    taken = {t for t in chosen.values() if t is not None and t != ATTRIBUTE}
    # target -> (tier, column blank in the sample, position): a plain synonym first, then a
    # column with values (old Google Contacts' empty "Occupation" before its job titles).
    candidates: dict[str, list[tuple[int, bool, int]]] = {}
    ours = set(PRODUCT_COLUMNS)
    if "campaignid" in {normalise_header(h) for h in headers}:
        ours.add(EXPORT_CAMPAIGN)
    for position, header in enumerate(headers):
        if header in chosen:
            continue
        if normalise_header(header) in ours:
            mapping[header], matched_by[header] = None, "header"
            continue
        found = header_target(header)
        if found is None:
            continue
        target, tier = found
        if target == FULL_NAME or BY_API_NAME[target].kind == "url":
            # A link or a name column is what its values are: LinkedIn's "URL" holds
            # profile links, a "Contact" column may hold e-mail addresses.
            seen = values.classify(columns[position])
            if seen is not None and seen != target:
                target, tier = seen, _WEAK
                matched_by[header] = "values"
        blank = not any(cell.strip() for cell in columns[position])
        candidates.setdefault(target, []).append((tier, blank, position))
    fallbacks: dict[str, list[int]] = {}
    for target, ranks in candidates.items():
        ranked = [position for *_, position in sorted(ranks)]
        first, rest = ranked[0], ranked[1:]
        if target in taken:
            rest = ranked
        else:
            taken.add(target)
            mapping[headers[first]] = target
            matched_by.setdefault(headers[first], "header")
        for position in rest:
            mapping[headers[position]] = ATTRIBUTE
            matched_by.pop(headers[position], None)
        if rest and target in BY_API_NAME:
            fallbacks[target] = rest
    for position, header in enumerate(headers):
        if header in chosen or (header in mapping and mapping[header] != ATTRIBUTE):
            continue
        if matched_by.get(header) is not None:  # one of our own export's columns
            continue
        seen = values.classify(columns[position])
        if seen is not None and seen not in taken:
            taken.add(seen)
            mapping[header], matched_by[header] = seen, "values"
        else:
            mapping[header] = ATTRIBUTE
    full = [h for h in headers if mapping.get(h) == FULL_NAME and matched_by.get(h) != "mapping"]
    if full and {"firstName", "lastName"} <= taken:
        for header in full:  # first and last name have their own columns: keep it as is
            mapping[header] = ATTRIBUTE
            matched_by.pop(header, None)
    ordered = {h: mapping[h] for h in headers}
    return ColumnPlan(headers, ordered, {h: matched_by.get(h) for h in headers}, fallbacks)


# --------------------------------------------------------------------------- a caller's mapping


def _mapping_error(problems: list[str]) -> ValidationFailed:
    return ValidationFailed(
        "Invalid column mapping: " + "; ".join(problems),
        details=[{"field": "mapping", "message": problem} for problem in problems],
    )


_EXPECTED = 'expected an object {"column header": "leadField", "attribute" or null}'
MAX_MAPPING_CHARS = 100_000


def parse_mapping_json(raw: str | None) -> dict[str, str | None] | None:
    """A ``mapping`` given as JSON text (API form field, CLI flag); blank or JSON ``null``
    means none, as the API's schema allows (a form field cannot send a missing value).

    Only the JSON's shape is checked here (an object of strings or nulls; a nested value
    is refused before it is parsed deeply); what it says is checked against the file's
    headers by :func:`plan_columns`."""
    if raw is None or not raw.strip():
        return None
    if len(raw) > MAX_MAPPING_CHARS:
        raise _mapping_error([f"longer than {MAX_MAPPING_CHARS} characters"])
    try:
        value = json.loads(raw)
    except RecursionError:
        raise _mapping_error([f"nested too deeply; {_EXPECTED}"]) from None
    except json.JSONDecodeError as exc:
        raise _mapping_error([f"not valid JSON ({exc.msg})"]) from None
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _mapping_error([f"{_EXPECTED}, got {type(value).__name__}"])
    bad = [k for k, v in value.items() if v is not None and not isinstance(v, str)]
    if bad:
        raise _mapping_error([f"column {k!r}: {_EXPECTED}" for k in bad[:10]])
    return value


def _check_explicit(
    headers: list[str], explicit: Mapping[str, str | None]
) -> dict[str, str | None]:
    """The caller's mapping, checked against the file's headers: header -> target or None."""
    if not isinstance(explicit, Mapping):
        raise _mapping_error([f"{_EXPECTED}, got {type(explicit).__name__}"])
    problems: list[str] = []
    chosen: dict[str, str | None] = {}
    by_target: dict[str, str] = {}
    known = set(headers)
    for raw_header, raw_target in explicit.items():
        header = raw_header.strip() if isinstance(raw_header, str) else raw_header
        if header not in known:
            problems.append(
                f"column {raw_header!r} is not in the file "
                f"(headers found: {', '.join(map(repr, headers[:50]))})"
            )
            continue
        target = raw_target.strip() if isinstance(raw_target, str) else raw_target
        if target is None or target == "" or (isinstance(target, str) and target.lower() == IGNORE):
            chosen[header] = None
            continue
        if target not in TARGETS:
            problems.append(
                f"column {raw_header!r} is mapped to {raw_target!r}, which is not a lead field "
                f"(expected one of: {', '.join(TARGETS)}, or {IGNORE!r})"
            )
            continue
        if target != ATTRIBUTE and target in by_target:
            problems.append(
                f"columns {by_target[target]!r} and {raw_header!r} are both mapped to {target!r}"
            )
            continue
        by_target[target] = header
        chosen[header] = target
    if problems:
        raise _mapping_error(problems)
    return chosen
