"""Text helpers shared by every layer: NUL characters dropped, blank text read as missing,
case and accents folded."""

from __future__ import annotations

import unicodedata
from typing import Any


def drop_nul(value: Any) -> Any:
    """NUL characters are not text (PostgreSQL cannot store them): dropped on input, so
    both engines store the same thing."""
    if isinstance(value, str) and "\x00" in value:
        return value.replace("\x00", "")
    return value


def fold(text: str) -> str:
    """Case- and accent-insensitive form: "Société" and "SOCIETE" both give "societe"."""
    if text.isascii():  # nothing to decompose (most names): 20x faster than the loop below
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def text_or_none(value: Any) -> str | None:
    """Stripped text, or None for None / empty / whitespace-only values."""
    if value is None:
        return None
    if not isinstance(value, str):
        value = str(value)
    value = value.strip()
    return value or None
