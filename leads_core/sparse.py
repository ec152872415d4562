"""Sparse field sets: ``fields=firstName,email`` answers each lead's ``id`` and those fields
only (``GET /v1/leads``). The names are the list's (``LeadPublic``), as the API writes them."""

from __future__ import annotations

from leads_core.errors import ValidationFailed
from leads_core.schemas import LeadPublic

#: API name -> attribute name, in the list's order.
FIELD_NAMES: dict[str, str] = {
    field.alias or name: name for name, field in LeadPublic.model_fields.items()
}
_NAME = "(" + "|".join(FIELD_NAMES) + ")"
FIELDS_PATTERN = rf"^\s*({_NAME}(\s*,\s*{_NAME})*)?\s*$"


def fields_help() -> str:
    return (
        "Only these fields of each lead (and `id`), comma-separated: "
        f"{', '.join(FIELD_NAMES)}. Empty: every field. An unknown name -> 422."
    )


def included_fields(raw: str | None) -> set[str] | None:
    """The attributes ``fields=`` asks for, ``id`` always among them; None for every field.
    422 naming ``fields`` (and listing the valid names) for a name that is not a field."""
    names = [name.strip() for name in (raw or "").split(",") if name.strip()]
    if not names:
        return None
    if unknown := [name for name in names if name not in FIELD_NAMES]:
        problem = f"unknown field {unknown[0][:60]!r}; use some of {', '.join(FIELD_NAMES)}"
        raise ValidationFailed(
            f"fields: {problem}",
            details=[{"field": "fields", "location": "query", "message": problem}],
        )
    return {"id", *(FIELD_NAMES[name] for name in names)}
