"""CSV headers -> lead fields: the automatic matching (by the header synonyms each field
declares in ``leads_core.fields``) and a caller's own mapping, checked against the file."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence

from leads_core.errors import ValidationFailed
from leads_core.fields import FIELDS

LEAD_FIELDS: tuple[str, ...] = tuple(field.api_name for field in FIELDS)
"""What a column can be mapped to: the lead fields' API names."""

HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    field.api_name: (field.api_name, *field.headers) for field in FIELDS
}
"""Header names recognised for each lead field (the registry's, plus its API name)."""


#: The mapping value meaning "do not import this column" (``None`` and ``""``
#: mean the same).
IGNORE = "ignore"
_NON_ALNUM = re.compile(r"[\W_]+")


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


def _build_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for field in LEAD_FIELDS:
        for synonym in (field, *HEADER_SYNONYMS[field]):
            key = normalise_header(synonym)
            owner = lookup.setdefault(key, field)
            if owner != field:  # pragma: no cover - guarded by a test
                raise AssertionError(f"header synonym {synonym!r} claimed by {owner} and {field}")
    return lookup


_LOOKUP: dict[str, str] = _build_lookup()


def detect_mapping(headers: Sequence[str]) -> dict[str, str | None]:
    """Match each header to a lead field by :data:`HEADER_SYNONYMS`.

    Returns ``{header: field or None}`` in header order. The first header that
    matches a field wins; later headers matching the same field map to
    ``None``. A header repeated in ``headers`` keeps its first result.
    """
    mapping: dict[str, str | None] = {}
    taken: set[str] = set()
    for header in headers:
        if header in mapping:
            continue
        field = _LOOKUP.get(normalise_header(header))
        if field is not None and field in taken:
            field = None
        if field is not None:
            taken.add(field)
        mapping[header] = field
    return mapping


# --------------------------------------------------------------------------- a caller's mapping


def _mapping_error(problems: list[str]) -> ValidationFailed:
    return ValidationFailed(
        "Invalid column mapping: " + "; ".join(problems),
        details=[{"field": "mapping", "message": problem} for problem in problems],
    )


def parse_mapping_json(raw: str | None) -> dict[str, str | None] | None:
    """A ``mapping`` given as JSON text (API form field, CLI flag); blank or JSON ``null``
    means none, as the API's schema allows (a form field cannot send a missing value).

    Only the JSON is read here; what it says is checked against the file's headers by
    :func:`read_csv_bytes`."""
    if raw is None or not raw.strip():
        return None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise _mapping_error([f"not valid JSON ({exc.msg})"]) from None
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _mapping_error(
            [
                'expected an object {"CSV header": "leadField" or null}, '
                f"got {type(value).__name__}"
            ]
        )
    return value


def resolve_mapping(
    headers: list[str], explicit: Mapping[str, str | None] | None
) -> dict[str, str | None]:
    if explicit is None:
        return detect_mapping(headers)
    if not isinstance(explicit, Mapping):
        raise _mapping_error(
            [
                'expected an object {"CSV header": "leadField" or null}, '
                f"got {type(explicit).__name__}"
            ]
        )
    if not explicit:
        return detect_mapping(headers)
    problems: list[str] = []
    chosen: dict[str, str | None] = {}
    by_field: dict[str, str] = {}
    for raw_header, raw_target in explicit.items():
        header = raw_header.strip() if isinstance(raw_header, str) else raw_header
        if header not in headers:
            problems.append(
                f"column {raw_header!r} is not in the file "
                f"(headers found: {', '.join(map(repr, headers))})"
            )
            continue
        target = raw_target.strip() if isinstance(raw_target, str) else raw_target
        if target is None or target == "" or (isinstance(target, str) and target.lower() == IGNORE):
            chosen[header] = None
            continue
        if target not in LEAD_FIELDS:
            problems.append(
                f"column {raw_header!r} is mapped to {raw_target!r}, which is not a lead field "
                f"(expected one of: {', '.join(LEAD_FIELDS)}, or {IGNORE!r})"
            )
            continue
        if target in by_field:
            problems.append(
                f"columns {by_field[target]!r} and {raw_header!r} are both mapped to {target!r}"
            )
            continue
        by_field[target] = header
        chosen[header] = target
    if problems:
        raise _mapping_error(problems)
    # Other columns auto-match, but cannot take a field the caller assigned.
    auto = detect_mapping([h for h in headers if h not in chosen and h not in by_field.values()])
    result: dict[str, str | None] = {}
    for header in headers:
        if header in chosen:
            result[header] = chosen[header]
        else:
            field = auto.get(header)
            result[header] = None if field in by_field else field
    return result
