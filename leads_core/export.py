"""Leads written as CSV for a spreadsheet: the dashboard's exports.

Every cell is neutralized per OWASP's CSV injection guidance: a cell beginning with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'`` so that Excel,
LibreOffice or Google Sheets show it as text instead of running it as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from leads_core.models import Lead, iso_utc

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
MAX_EXPORT_ROWS = 100_000
"""Most leads in one dashboard download (about 30 MB): the file is built in the app's
memory, which must stay small at a million leads. Narrow the filters for more."""

#: (CSV header, Lead attribute). The headers are the API's field names, so an exported
#: file imports again with every column matched.
EXPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "id"),
    ("campaignId", "campaign_id"),
    ("firstName", "first_name"),
    ("lastName", "last_name"),
    ("email", "email"),
    ("company", "company"),
    ("position", "position"),
    ("source", "source"),
    ("linkedinUrl", "linkedin_url"),
    ("phone", "phone"),
    ("website", "website"),
    ("status", "status"),
    ("qualityScore", "quality_score"),
    ("notes", "notes"),
    ("createdAt", "created_at"),
    ("updatedAt", "updated_at"),
)


def neutralize(value: str) -> str:
    """``=SUM(A1)`` -> ``'=SUM(A1)``; anything else unchanged."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def _cell(value: object) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return iso_utc(value)  # type: ignore[arg-type]
    return neutralize(str(value))


def write_leads_csv(leads: Iterable[Lead], out: io.TextIOBase) -> int:
    """Write a header and one line per lead to ``out``; returns the number of leads."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([header for header, _ in EXPORT_COLUMNS])
    count = 0
    for lead in leads:
        writer.writerow([_cell(getattr(lead, name)) for _, name in EXPORT_COLUMNS])
        count += 1
    return count


def leads_csv_bytes(leads: Iterable[Lead]) -> bytes:
    """UTF-8 with a byte order mark, so Excel shows accents right on double-click."""
    out = io.StringIO()
    write_leads_csv(leads, out)
    return out.getvalue().encode("utf-8-sig")
