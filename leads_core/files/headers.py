"""CSV headers -> lead fields: the field list, the documented synonyms of each field
(HubSpot, Apollo, Sales Navigator, French exports) and the automatic matching."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence

from leads_core.errors import ValidationFailed

LEAD_FIELDS: tuple[str, ...] = (
    "firstName",
    "lastName",
    "email",
    "company",
    "position",
    "linkedinUrl",
    "phone",
    "website",
    "source",
    "status",
    "notes",
)

#: Header names recognised for each lead field, as people write them (real
#: exports: LinkedIn Sales Navigator / Connections, HubSpot, Salesforce, Apollo,
#: Outlook, Google Contacts, lemlist, Phantombuster, and French spellings).
#: Matching is done on :func:`normalise_header` of both sides, so case, spaces,
#: ``_ - .`` and accents do not matter: "First Name", "first_name", "FirstName"
#: and "first-name" are one synonym. The field's own name is always accepted.
#:
#: Deliberately *absent*: "Company Linkedin Url" (the company page, not the
#: person), "Email Status" / "Email Confidence" (Apollo verification columns),
#: "Secondary Email", "Lifecycle Stage", "Stage", "Full Name" / "Name"
#: (there is no full-name field) and "Sales Navigator URL" (not a public
#: profile URL).
HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "firstName": (
        "firstName",
        "First Name",
        "Firstname",
        "First",
        "Given Name",
        "Forename",
        "Contact First Name",
        "Prénom",
    ),
    "lastName": (
        "lastName",
        "Last Name",
        "Lastname",
        "Last",
        "Surname",
        "Family Name",
        "Contact Last Name",
        "Nom",
        "Nom de famille",
    ),
    "email": (
        "email",
        "E-mail",
        "Email Address",
        "E-mail Address",
        "E-mail 1",
        "E-mail 1 - Value",
        "Email 1",
        "Work Email",
        "Business Email",
        "Professional Email",
        "Primary Email",
        "Contact Email",
        "Mail",
        "Courriel",
        "Adresse e-mail",
        "Adresse mail",
        "Adresse électronique",
    ),
    "company": (
        "company",
        "Company Name",
        "companyName",
        "Current Company",
        "Organization",
        "Organisation",
        "Organization Name",
        "Organization 1 - Name",
        "Account Name",
        "Account",
        "Employer",
        "Entreprise",
        "Nom de l'entreprise",
        "Société",
        "Raison sociale",
    ),
    "position": (
        "position",
        "Job Title",
        "jobTitle",
        "Title",
        "Current Title",
        "Organization 1 - Title",
        "Role",
        "Job Role",
        "Job",
        "Occupation",
        "Designation",
        "Poste",
        "Fonction",
        "Intitulé du poste",
    ),
    "linkedinUrl": (
        "linkedinUrl",
        "LinkedIn",
        "LinkedIn Link",
        "LinkedIn Profile",
        "LinkedIn Profile URL",
        "linkedinProfileUrl",
        "linkedinProfile",
        "Person Linkedin Url",
        "Person LinkedIn",
        "Contact LinkedIn URL",
        "Profile URL",
        "profileUrl",
        "URL LinkedIn",
        "Profil LinkedIn",
    ),
    "phone": (
        "phone",
        "Phone Number",
        "Phone 1",
        "Phone 1 - Value",
        "Mobile",
        "Mobile Phone",
        "Mobile Phone Number",
        "Mobile Number",
        "Cell",
        "Cell Phone",
        "Work Phone",
        "Work Direct Phone",
        "Direct Phone",
        "Business Phone",
        "Corporate Phone",
        "Other Phone",
        "Home Phone",
        "Telephone",
        "Tel",
        "Téléphone",
        "Numéro de téléphone",
        "Portable",
    ),
    "website": (
        "website",
        "Company Website",
        "Website URL",
        "Website 1 - Value",
        "Web Site",
        "Web Page",
        "Web",
        "Domain",
        "Company Domain",
        "Company Domain Name",
        "Company URL",
        "Homepage",
        "URL",
        "Site",
        "Site web",
        "Site internet",
    ),
    "source": (
        "source",
        "Lead Source",
        "Original Source",
        "Contact Source",
        "Origine",
        "Provenance",
    ),
    "status": (
        "status",
        "Lead Status",
        "Contact Status",
        "Statut",
        "Statut du lead",
    ),
    "notes": (
        "notes",
        "Note",
        "Comments",
        "Comment",
        "Remarks",
        "Description",
        "Commentaire",
        "Commentaires",
        "Remarques",
    ),
}

#: The mapping value meaning "do not import this column" (``None`` and ``""``
#: mean the same).
IGNORE = "ignore"
_NON_ALNUM = re.compile(r"[\W_]+")


def normalise_header(header: str) -> str:
    """The form headers are compared in: BOM removed, accents removed (NFKD),
    case-folded, every non-alphanumeric character dropped.

    >>> normalise_header(" Prénom ")
    'prenom'
    >>> normalise_header("E-mail_Address")
    'emailaddress'
    """
    text = unicodedata.normalize("NFKD", header.replace("\ufeff", ""))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _NON_ALNUM.sub("", text.casefold())


def _build_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for field in LEAD_FIELDS:
        for synonym in (field, *HEADER_SYNONYMS[field]):
            key = normalise_header(synonym)
            owner = lookup.setdefault(key, field)
            if owner != field:  # pragma: no cover - guarded by a test
                raise AssertionError(f"header synonym {synonym!r} claimed by {owner} and {field}")
    return lookup


_LOOKUP: dict[str, str] = _build_lookup()


def detect_mapping(headers: Sequence[str]) -> dict[str, str | None]:
    """Match each header to a lead field by :data:`HEADER_SYNONYMS`.

    Returns ``{header: field or None}`` in header order. The first header that
    matches a field wins; later headers matching the same field map to
    ``None``. A header repeated in ``headers`` keeps its first result.
    """
    mapping: dict[str, str | None] = {}
    taken: set[str] = set()
    for header in headers:
        if header in mapping:
            continue
        field = _LOOKUP.get(normalise_header(header))
        if field is not None and field in taken:
            field = None
        if field is not None:
            taken.add(field)
        mapping[header] = field
    return mapping


# --------------------------------------------------------------------------- a caller's mapping


def _mapping_error(problems: list[str]) -> ValidationFailed:
    return ValidationFailed(
        "Invalid column mapping: " + "; ".join(problems),
        details=[{"field": "mapping", "message": problem} for problem in problems],
    )


def parse_mapping_json(raw: str | None) -> dict[str, str | None] | None:
    """A ``mapping`` given as JSON text (API form field, CLI flag); blank or JSON ``null``
    means none, as the API's schema allows (a form field cannot send a missing value).

    Only the JSON is read here; what it says is checked against the file's headers by
    :func:`read_csv_bytes`."""
    if raw is None or not raw.strip():
        return None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise _mapping_error([f"not valid JSON ({exc.msg})"]) from None
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _mapping_error(
            [
                'expected an object {"CSV header": "leadField" or null}, '
                f"got {type(value).__name__}"
            ]
        )
    return value


def resolve_mapping(
    headers: list[str], explicit: Mapping[str, str | None] | None
) -> dict[str, str | None]:
    if explicit is None:
        return detect_mapping(headers)
    if not isinstance(explicit, Mapping):
        raise _mapping_error(
            [
                'expected an object {"CSV header": "leadField" or null}, '
                f"got {type(explicit).__name__}"
            ]
        )
    if not explicit:
        return detect_mapping(headers)
    problems: list[str] = []
    chosen: dict[str, str | None] = {}
    by_field: dict[str, str] = {}
    for raw_header, raw_target in explicit.items():
        header = raw_header.strip() if isinstance(raw_header, str) else raw_header
        if header not in headers:
            problems.append(
                f"column {raw_header!r} is not in the file "
                f"(headers found: {', '.join(map(repr, headers))})"
            )
            continue
        target = raw_target.strip() if isinstance(raw_target, str) else raw_target
        if target is None or target == "" or (isinstance(target, str) and target.lower() == IGNORE):
            chosen[header] = None
            continue
        if target not in LEAD_FIELDS:
            problems.append(
                f"column {raw_header!r} is mapped to {raw_target!r}, which is not a lead field "
                f"(expected one of: {', '.join(LEAD_FIELDS)}, or {IGNORE!r})"
            )
            continue
        if target in by_field:
            problems.append(
                f"columns {by_field[target]!r} and {raw_header!r} are both mapped to {target!r}"
            )
            continue
        by_field[target] = header
        chosen[header] = target
    if problems:
        raise _mapping_error(problems)
    # Other columns auto-match, but cannot take a field the caller assigned.
    auto = detect_mapping([h for h in headers if h not in chosen and h not in by_field.values()])
    result: dict[str, str | None] = {}
    for header in headers:
        if header in chosen:
            result[header] = chosen[header]
        else:
            field = auto.get(header)
            result[header] = None if field in by_field else field
    return result
