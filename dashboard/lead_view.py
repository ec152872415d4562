"""How one lead reads on its page: field labels, the score's reasons and the enrichment
facts as lines that wrap (Markdown, user text escaped), the history as rows."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from dashboard.safe import EMPTY, md
from leads_core import fields
from leads_core.scoring.rules import COMPONENTS
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


FIELD_WORDS = {"owner_id": "owner"}
"""A changed column in words, where its name does not say it."""


def display_name(lead: Lead) -> str:
    name = " ".join(part for part in (lead.first_name, lead.last_name) if part)
    return name or lead.email or lead.linkedin_url or lead.id


def _field_words(name: str | None) -> str:
    """A history entry's field (the API's name, ``linkedinUrl``) as its label ("LinkedIn URL")."""
    if not name:
        return ""
    if name == OWNER_FIELD:
        return "Owner"
    field = fields.BY_API_NAME.get(name) or fields.BY_NAME.get(name)
    return field.label if field is not None else _words(name)


def _words(key: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r" \1", key).lower().capitalize()


def _fact(value: Any) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return EMPTY if value is None else str(value)


def enrichment_lines(enrichment: Mapping[str, Any] | None) -> list[str]:
    """One Markdown line per fact, "**Email status**: valid", the value escaped (a company
    domain or an email problem comes from what the lead holds). In the labels' order:
    PostgreSQL's JSONB keeps keys in an order of its own."""
    order = {key: i for i, key in enumerate(_ENRICHMENT_LABELS)}
    facts = sorted((enrichment or {}).items(), key=lambda fact: order.get(fact[0], len(order)))
    return [
        f"**{_ENRICHMENT_LABELS.get(key, _words(key))}**: {md(_fact(value))}"
        for key, value in facts
    ]


def reason_lines(breakdown: Mapping[str, int], reasons: Mapping[str, str] | None) -> list[str]:
    """One Markdown line per score component, "**Email validity** 25/25 - the reason", the
    reason escaped (it quotes the lead's job title, company or source)."""
    lines = []
    for component in COMPONENTS:
        points = f"{breakdown.get(component.key, 0)}/{component.max_points}"
        reason = (reasons or {}).get(component.key) or ""
        lines.append(f"**{component.label}** {points}" + (f" - {md(reason)}" if reason else ""))
    return lines


def history_rows(
    history: Sequence[LeadActivity], owner_name: Callable[[str | None], str] | None = None
) -> list[dict[str, Any]]:
    """Newest first; an owner change names the users (``owner_name``: id -> name)."""

    def value(entry: LeadActivity, text: str | None) -> str:
        if entry.field == OWNER_FIELD and owner_name is not None:
            return owner_name(text)
        return text or ""

    return [
        {
            "When": f"{entry.created_at:%Y-%m-%d %H:%M:%S} UTC",
            "What": _KINDS.get(entry.kind, entry.kind),
            "Field": _field_words(entry.field),
            "From": value(entry, entry.old_value),
            "To": value(entry, entry.new_value),
            "By": entry.actor or "",
        }
        for entry in reversed(history)
    ]


OWNER_FIELD = "ownerId"  # the history's field of an owner change


def owner_choices(enabled: Sequence[str], current: str | None) -> list[str | None]:
    """The Owner select of the lead page: unassigned, the enabled users, and the lead's
    owner if that user is disabled now (kept as it is unless changed)."""
    extra = [current] if current is not None and current not in enabled else []
    return [None, *enabled, *extra]
