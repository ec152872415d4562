"""Where a file's table is: which record is the header (after preambles, title rows and
blank lines), the columns' distinct names, and a full name split into first and last."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from nameparser import HumanName
from nameparser.config import CONSTANTS

from leads_core.errors import ValidationFailed
from leads_core.files.export import unneutralize
from leads_core.files.headers import header_target
from leads_core.files.values import kind_of

HEADER_SEARCH = 50  # records looked at for the header
MAX_COLUMNS = 500
MAX_HEADER = 200  # characters of a column's name kept (an attribute's key)


def _matches(record: Sequence[str]) -> int:
    """How many distinct lead fields a record's cells name as headers; -1 for a record
    holding an e-mail address, a link or a phone number, which is data, not a header
    (a data row whose source cell says "LinkedIn" is no header)."""
    if any(kind_of(cell.strip()) for cell in record):
        return -1
    targets = {found[0] for cell in record if (found := header_target(cell)) is not None}
    return len(targets)


def find_header(records: Sequence[Sequence[str]]) -> int:
    """The index of the header record: among the first non-blank records, the first one
    naming the most lead fields; when none names any, the first one about as wide as the
    widest (a title row above the header has one cell)."""
    head = [
        (i, r)
        for i, r in enumerate(records[: HEADER_SEARCH * 4])
        if any(cell.strip() for cell in r)
    ][:HEADER_SEARCH]
    if not head:
        raise ValidationFailed(
            "The file has no header line: the first non-blank line must name the columns.",
            details=[{"field": "file", "message": "no header line"}],
        )
    scored = [(_matches(r), i) for i, r in head]
    best = max(score for score, _ in scored)
    if best > 0:
        return next(i for score, i in scored if score == best)
    widths = [(sum(1 for cell in r if cell.strip()), i) for i, r in head]
    widest = max(width for width, _ in widths)
    return next(i for width, i in widths if width >= 0.6 * widest)


def header_score(records: list[list[str]]) -> float:
    """How well a reading of the first records finds a header (delimiter choice): the
    fields it names, then how many next records have its width."""
    if not any(any(cell.strip() for cell in r) for r in records):
        return 0.0
    index = find_header(records)
    header = records[index]
    width = len(header)
    same = sum(len(r) == width for r in records[index + 1 :] if r)
    return _matches(header) + (0.01 * same / len(records) if width > 1 else 0.0)


def unique_headers(cells: Sequence[str]) -> list[str]:
    """Each column's name, distinct: an empty one is "Column N", a repeated one
    "Email (2)". Linear: each name keeps the next number to try."""
    if len(cells) > MAX_COLUMNS:
        raise ValidationFailed(
            f"The file has {len(cells)} columns; at most {MAX_COLUMNS} are read. Remove "
            "the columns you do not need and upload it again.",
            details=[{"field": "file", "message": f"more than {MAX_COLUMNS} columns"}],
        )
    headers: list[str] = []
    seen: set[str] = set()
    next_number: dict[str, int] = {}
    for position, cell in enumerate(cells, start=1):
        name = unneutralize(cell.replace("\ufeff", "").strip())[:MAX_HEADER]
        name = name or f"Column {position}"
        unique = name
        if unique in seen:
            n = next_number.get(name, 2)
            while f"{name} ({n})" in seen:
                n += 1
            unique = f"{name} ({n})"
            next_number[name] = n + 1
        seen.add(unique)
        headers.append(unique)
    return headers


_SIMPLE = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)


@lru_cache(maxsize=4096)
def split_name(full: str) -> tuple[str, str]:
    """``"Zoë Müller"`` -> ``("Zoë", "Müller")``; ``"Smith, John"`` -> ``("John", "Smith")``;
    ``"Dr. Mary Ann Smith PhD"`` -> ``("Mary", "Ann Smith")``: titles and suffixes dropped,
    middle names kept with the last name (a greeting uses the first)."""
    words = full.split()
    simple = len(words) == 2 and all(_SIMPLE.fullmatch(w) for w in words)
    if simple and words[0].lower().strip(".") not in CONSTANTS.titles:
        return words[0], words[1]  # the common case, 100x faster than nameparser
    name = HumanName(full)
    first = name.first or ""
    last = " ".join(part for part in (name.middle, name.last) if part)
    if not first and not last:
        return full.strip(), ""
    return first, last
