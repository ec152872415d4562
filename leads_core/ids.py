"""Opaque random ids with the contract's prefixes (``lead_…``, ``cmp_…``)."""

from __future__ import annotations

import secrets

_ALPHABET = "0123456789abcdefghijkmnopqrstuvwxyz"  # no 'l', easy to read back


def new_id(prefix: str) -> str:
    return new_ids(prefix, 1)[0]


def new_ids(prefix: str, count: int, length: int = 14) -> list[str]:
    """Many ids at once: one ``token_bytes`` call instead of one per character."""
    raw = secrets.token_bytes(count * length)
    n = len(_ALPHABET)
    chars = [_ALPHABET[b % n] for b in raw]  # 256 % 35 bias is irrelevant for opaque ids
    return [f"{prefix}_{''.join(chars[i * length : (i + 1) * length])}" for i in range(count)]
