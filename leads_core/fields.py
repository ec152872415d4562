"""The lead's fields: statuses and what each field is."""

from __future__ import annotations

from enum import StrEnum


class LeadStatus(StrEnum):
    NEW = "new"
    CONTACTED = "contacted"
    REPLIED = "replied"
    QUALIFIED = "qualified"
    CONVERTED = "converted"
    REJECTED = "rejected"


LEAD_STATUSES: tuple[str, ...] = tuple(s.value for s in LeadStatus)

STATUS_SYNONYMS: dict[str, str] = {
    # HubSpot "Lead Status" and common CRM words, so exports import as they are.
    "open": "new",
    "attempted_to_contact": "contacted",
    "in_progress": "contacted",
    "connected": "replied",
    "open_deal": "qualified",
    "sql": "qualified",
    "mql": "qualified",
    "customer": "converted",
    "won": "converted",
    "unqualified": "rejected",
    "bad_timing": "rejected",
    "lost": "rejected",
}
