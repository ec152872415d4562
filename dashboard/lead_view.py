"""How one lead reads on its page: field labels, enrichment facts and history as rows."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from leads_core import fields
from leads_core.storage.models import Lead, LeadActivity

FORM_FIELDS: tuple[fields.LeadField, ...] = fields.EDITABLE
"""The lead form's fields, in the registry's order (``leads_core.fields``)."""
_ENRICHMENT_LABELS = {
    "emailStatus": "Email status",
    "emailNormalized": "Email (normalized)",
    "emailError": "Email problem",
    "emailDomain": "Email domain",
    "freeEmail": "Free-mail address",
    "disposableEmail": "Disposable address",
    "roleEmail": "Role address (info@, sales@…)",
    "emailMatchesWebsite": "Email domain matches website",
    "phoneE164": "Phone (international)",
    "phoneValid": "Valid phone number",
    "companyDomain": "Company domain",
}
ACTIVITY_LABELS = {
    "call": "📞 Call",
    "email": "✉️ Email",
    "meeting": "🤝 Meeting",
    "note": "📝 Note",
}
"""The activities a user logs (``leads_core.schemas.ACTIVITY_TYPES``), with their icons."""
_KINDS = {
    "created": "Created",
    "field_change": "Field changed",
    "status_change": "Status changed",
    "rescored": "Re-scored",
    "task": "✅ Task",
    **ACTIVITY_LABELS,
}


def display_name(lead: Lead) -> str:
    name = " ".join(part for part in (lead.first_name, lead.last_name) if part)
    return name or lead.email or lead.linkedin_url or lead.id


def _words(key: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r" \1", key).lower().capitalize()


def _fact(value: Any) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return "-" if value is None else str(value)


def enrichment_rows(enrichment: Mapping[str, Any] | None) -> list[dict[str, str]]:
    return [
        {"Fact": _ENRICHMENT_LABELS.get(key, _words(key)), "Value": _fact(value)}
        for key, value in (enrichment or {}).items()
    ]


def history_rows(history: Sequence[LeadActivity]) -> list[dict[str, Any]]:
    """Newest first."""
    return [
        {
            "When": f"{entry.created_at:%Y-%m-%d %H:%M:%S} UTC",
            "What": _KINDS.get(entry.kind, entry.kind),
            "Field": entry.field or "",
            "From": entry.old_value or "",
            "To": entry.new_value or "",
            "By": entry.actor or "",
        }
        for entry in reversed(history)
    ]
