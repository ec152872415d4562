"""The lead's fields, each declared once: what a person fills in about a lead.

:data:`FIELDS` lists them in their canonical order. Each :class:`LeadField` says what the
field is called (``name`` in the database and Python, ``api_name`` on the wire and in
CSV headers, ``label`` for people), how long it may be, how its values are read and shown
(``kind``), which part of the lead it describes (``section``), what it takes part in
(scored, editable, requirable by a campaign, exported, listed, searched, profile
completeness) and the CSV headers that mean it. Everything else is derived from here:
the table's columns (``storage.models``), the API's data models (``schemas``), the CSV
header matching (``files.headers``), the export columns (``files.export``), the
dashboard's grid and lead form, a campaign's "required fields" choices and the scoring's
profile fields. Adding a field to a lead is one entry here plus a migration.

The columns a lead has beyond these (id, campaign, score, timestamps...) are the
product's own and are declared with the table in ``leads_core.storage.models``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from pydantic.alias_generators import to_camel

from leads_core.validation import Check


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

Kind = Literal["text", "url", "status", "long"]
"""How a value is read and shown: one line of text, a link, a status from
:data:`LEAD_STATUSES`, or long text (several lines)."""

Section = Literal["person", "contact", "pipeline"]
"""Which part of the lead a field describes - who the person is; where the lead came from
and how to reach them; the work on the lead. The API lists a lead as its id, the person,
its score, the contact, the pipeline (the contract's order)."""


@dataclass(frozen=True)
class LeadField:
    name: str  # snake_case: the column and the attribute
    label: str  # for people: form labels, grid headers
    max_length: int
    section: Section
    kind: Kind = "text"
    lower: bool = False  # stored lower-cased ("LinkedIn" -> "linkedin")
    scored: bool = True  # feeds the score or the enrichment: a change re-scores the lead
    editable: bool = True  # in the dashboard's grid and lead form, and by PATCH
    requirable: bool = True  # a campaign may require it (the "campaign match" points)
    exported: bool = True  # a column of the CSV exports
    listed: bool = True  # in the API's list items (otherwise only in a lead's details)
    searched: bool = False  # free-text search (``q``) looks in it
    check: Check | None = None  # what a value must look like (``leads_core.validation``)
    profile: bool = False  # earns "profile completeness" points when filled
    headers: tuple[str, ...] = ()  # CSV headers meaning this field (besides api_name)
    # Headers that mean this field only when no column has one of ``headers``: Outlook's
    # "Title" is Mr./Ms. beside its "Job Title", a generic "URL" may be a profile link.
    weak_headers: tuple[str, ...] = ()

    @property
    def api_name(self) -> str:
        """The JSON field and CSV header name: ``linkedin_url`` -> ``linkedinUrl``."""
        return to_camel(self.name)

    @property
    def in_sentence(self) -> str:
        """The label inside a sentence: "first name", but "LinkedIn URL"."""
        first, _, rest = self.label.partition(" ")
        if first[1:].islower():
            first = first.lower()
        return f"{first} {rest}" if rest else first


#: CSV header synonyms, as people write them (real exports: LinkedIn Sales Navigator /
#: Connections, HubSpot, Salesforce, Apollo, Outlook, Google Contacts, lemlist,
#: Phantombuster, and French spellings). They are compared after
#: ``files.headers.normalise_header``, so case, spaces, ``_ - .`` and accents do not
#: matter: "First Name", "first_name", "FirstName" and "first-name" are one synonym.
#: Deliberately *absent*: "Company Linkedin Url" (the company page, not the person),
#: "Email Status" / "Email Confidence" (Apollo verification columns), "Secondary Email",
#: "Lifecycle Stage", "Stage" and "Sales Navigator URL" (not a public profile URL). A full
#: name ("Name", "Full Name") is split into first and last name by the import
#: (``files.headers.FULL_NAME_HEADERS``).
FIELDS: tuple[LeadField, ...] = (
    LeadField(
        "first_name",
        "First name",
        1000,
        "person",
        searched=True,
        profile=True,
        headers=(
            "First Name",
            "Firstname",
            "Given Name",
            "Forename",
            "Contact First Name",
            "Prénom",
        ),
        weak_headers=("First",),
    ),
    LeadField(
        "last_name",
        "Last name",
        1000,
        "person",
        searched=True,
        profile=True,
        headers=(
            "Last Name",
            "Lastname",
            "Surname",
            "Family Name",
            "Contact Last Name",
            "Nom",
            "Nom de famille",
        ),
        weak_headers=("Last",),
    ),
    LeadField(
        "email",
        "Email",
        320,
        "person",
        searched=True,
        check="email",
        headers=(
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
            "Courriel",
            "Adresse e-mail",
            "Adresse mail",
            "Adresse électronique",
        ),
        weak_headers=("Mail",),
    ),
    LeadField(
        "company",
        "Company",
        1000,
        "person",
        searched=True,
        headers=(
            "Company Name",
            "companyName",
            "Current Company",
            "Organisation",
            "Organization Name",
            "Organization 1 - Name",
            "Account Name",
            "Company / Account",
            "Employer",
            "Entreprise",
            "Nom de l'entreprise",
            "Société",
            "Raison sociale",
        ),
        weak_headers=(
            "Account",
            "Organization",
        ),
    ),
    LeadField(
        "position",
        "Position",
        1000,
        "person",
        searched=True,
        profile=True,
        headers=(
            "Job Title",
            "jobTitle",
            "Current Title",
            "Organization 1 - Title",
            "Organization Title",
            "Job Role",
            "Designation",
            "Poste",
            "Fonction",
            "Intitulé du poste",
        ),
        weak_headers=(
            "Title",
            "Role",
            "Job",
            "Occupation",
        ),
    ),
    LeadField(
        "source",
        "Source",
        100,
        "contact",
        lower=True,
        headers=(
            "Lead Source",
            "Original Source",
            "Contact Source",
            "Origine",
            "Provenance",
        ),
    ),
    LeadField(
        "linkedin_url",
        "LinkedIn URL",
        1000,
        "contact",
        kind="url",
        profile=True,
        check="linkedin",
        headers=(
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
    ),
    LeadField(
        "phone",
        "Phone",
        100,
        "contact",
        profile=True,
        headers=(
            "Phone Number",
            "First Phone",
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
    ),
    LeadField(
        "website",
        "Website",
        1000,
        "contact",
        kind="url",
        check="web",
        headers=(
            "Company Website",
            "Website URL",
            "Website 1 - Value",
            "Web Site",
            "Web Page",
            "Domain",
            "Company Domain",
            "Company Domain Name",
            "Company URL",
            "Homepage",
            "Site web",
            "Site internet",
        ),
        weak_headers=(
            "URL",
            "Web",
            "Site",
        ),
    ),
    LeadField(
        "status",
        "Status",
        20,
        "pipeline",
        kind="status",
        scored=False,
        requirable=False,
        headers=(
            "Lead Status",
            "Contact Status",
            "Statut",
            "Statut du lead",
        ),
    ),
    LeadField(
        "notes",
        "Notes",
        20000,
        "pipeline",
        kind="long",
        scored=False,
        requirable=False,
        listed=False,
        searched=True,
        headers=(
            "Note",
            "Comments",
            "Comment",
            "Remarks",
            "Description",
            "Commentaire",
            "Commentaires",
            "Remarques",
        ),
    ),
)

BY_NAME: dict[str, LeadField] = {field.name: field for field in FIELDS}
BY_API_NAME: dict[str, LeadField] = {field.api_name: field for field in FIELDS}
SCORED: tuple[str, ...] = tuple(f.name for f in FIELDS if f.scored)
"""Fields that feed the score or enrichment: changing one re-scores the lead."""
SEARCHED: tuple[str, ...] = tuple(f.name for f in FIELDS if f.searched)
EDITABLE: tuple[LeadField, ...] = tuple(f for f in FIELDS if f.editable)
REQUIRABLE: tuple[str, ...] = tuple(f.api_name for f in FIELDS if f.requirable)
"""What a campaign may list in ``requiredFields`` (API names)."""
LONGEST: int = max(f.max_length for f in FIELDS)
"""The longest value any field holds (a history entry keeps an old and a new one)."""
