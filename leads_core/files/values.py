"""What a column holds, told by its cells: e-mail addresses, LinkedIn profile links,
phone numbers or web sites. Used for a column whose header says nothing ("Contact",
"Reach") and to check a link column ("URL"). A column is recognised when at least 80 %
of its non-blank sampled cells look alike."""

from __future__ import annotations

import re
from collections.abc import Sequence

SAMPLE = 200  # cells of a column looked at
SHARE = 0.8

_EMAIL = re.compile(r"[^@\s<>(),;:\"]+@[^@\s<>(),;:\"]+\.[A-Za-z]{2,}")
_LINKEDIN = re.compile(r"(?:https?://)?(?:[\w-]+\.)?linkedin\.com/(?:in|pub)/\S+", re.IGNORECASE)
_WEBSITE = re.compile(
    r"(?:https?://)?(?:www\.)?[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9-]+)*\.[a-z]{2,24}"
    r"(?::\d+)?(?:[/?#]\S*)?",
    re.IGNORECASE,
)
_PHONE = re.compile(r"\+?[\d\s().\-/]{6,30}(?:\s*(?:x|ext\.?)\s*\d{1,6})?", re.IGNORECASE)
_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}")


def _is_phone(cell: str) -> bool:
    if not _PHONE.fullmatch(cell) or _DATE.match(cell):
        return False
    digits = sum(ch.isdigit() for ch in cell)
    if not 7 <= digits <= 15:
        return False
    # Bare digits are a phone only as a national number (0612345678); an id otherwise.
    return not cell.isdigit() or cell.startswith("0")


def kind_of(cell: str) -> str | None:
    """The lead field one cell looks like, or None."""
    if _EMAIL.fullmatch(cell):
        return "email"
    if _LINKEDIN.fullmatch(cell):
        return "linkedinUrl"
    if _is_phone(cell):
        return "phone"
    if _WEBSITE.fullmatch(cell) and not cell.replace(".", "").isdigit():
        return "website"
    return None


def classify(column: Sequence[str]) -> str | None:
    """The lead field (API name) a column's cells are, or None when they do not agree."""
    cells = [c for c in (cell.strip() for cell in column[:SAMPLE]) if c]
    if not cells:
        return None
    counts: dict[str, int] = {}
    for cell in cells:
        kind = kind_of(cell)
        if kind is not None:
            counts[kind] = counts.get(kind, 0) + 1
    if not counts:
        return None
    kind, count = max(counts.items(), key=lambda item: item[1])
    return kind if count >= SHARE * len(cells) else None
