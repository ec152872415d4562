"""Time as the product stores and shows it: aware UTC timestamps, written ISO 8601 with Z."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Aware UTC timestamp (SQLModel's column type stores it as UTC on both engines)."""
    return datetime.now(UTC)


def iso_utc(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def as_utc(value: datetime) -> datetime:
    """Aware UTC. A time without an offset is UTC: what a client sends without one, and what
    the database gives back (SQLite keeps no offset)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
