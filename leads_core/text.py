"""Text helpers shared by every layer: NUL characters dropped, case and accents folded."""

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
