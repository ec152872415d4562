"""Offline facts about a lead: email syntax, free/disposable/role mail, phone, company domain.

Everything here is pure and offline (no DNS, no HTTP, no database). :func:`enrich` is called
once per imported row, so it is built to be cheap on large imports:

* Email syntax is decided by ``email_validator.validate_email(..., check_deliverability=False)``.
  The expensive part of that call (IDNA checks of the domain) is done once per *domain*
  (:func:`_domain_check`, ``lru_cache``). The local part of the common address shape (plain
  ASCII "dot-atom" local part, a single ``@``) is then checked with the same RFC 5322 rule
  email-validator applies, which costs about a microsecond. Every other address (quoted or
  internationalised local parts, display names, invalid domains, over-long addresses...) goes to
  ``validate_email`` itself, cached per address (:func:`_validate_full`), so the result and the
  error message are always exactly what email-validator says for the full address.
  ``tests/scoring/test_enrichment.py`` checks that equivalence on a corpus of tricky addresses.
* Domain facts (free mail, disposable) are cached per domain, phone parsing per
  ``(phone, region)``, website domains per URL.

:func:`normalize_email` and :func:`normalize_linkedin_url` are the cheap keys used to find
duplicate leads; they never call email-validator.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

import phonenumbers
from disposable_email_domains import blocklist as _DISPOSABLE_BLOCKLIST
from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES

from leads_core.scoring.mailboxes import FREE_EMAIL_BRANDS, FREE_EMAIL_DOMAINS, ROLE_LOCAL_PARTS
from leads_core.text import text_or_none

__all__ = [
    "Enrichment",
    "enrich",
    "normalize_email",
    "normalize_linkedin_url",
    "domain_from_url",
]

# RFC 5322 3.2.3 dot-atom-text, ASCII only: the rule email-validator applies first to a local part.
_ATEXT = r"a-zA-Z0-9_!#$%&'*+\-/=?^`{|}~"
_ASCII_DOT_ATOM = re.compile(rf"[{_ATEXT}]+(?:\.[{_ATEXT}]+)*")
_RFC2142_MAILBOXES = frozenset(CASE_INSENSITIVE_MAILBOX_NAMES)  # normalised to lower case
_EMAIL_MAX_LENGTH = 254  # octets, RFC 3696 errata 1690; the limit email-validator enforces

_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*://")
_HOST_NAME = re.compile(r"[\w-]+(?:\.[\w-]+)+")
_LINKEDIN_HOST = re.compile(r"^(?:[a-z0-9\-]+\.)*linkedin\.com$")


@dataclass(frozen=True, slots=True)
class Enrichment:
    """Facts about one lead, computed offline by :func:`enrich`."""

    email_status: str  # "valid" | "invalid" | "missing"
    email_normalized: str | None  # email-validator's normalized form; None if missing/invalid
    email_error: str | None  # email-validator's message when invalid, else None
    email_domain: str | None  # lower-cased domain part (also for invalid addresses)
    free_email: bool  # consumer mailbox provider (FREE_EMAIL_DOMAINS / FREE_EMAIL_BRANDS)
    disposable_email: bool  # throw-away provider (disposable-email-domains blocklist)
    role_email: bool  # local part in ROLE_LOCAL_PARTS
    email_matches_website: bool | None  # None when the email domain or the website is missing
    phone_e164: str | None  # "+33612345678" when the number is valid, else None
    phone_valid: bool | None  # None when no phone was given
    company_domain: str | None  # website domain, else a corporate email domain, else None

    def to_public(self) -> dict[str, Any]:
        """camelCase JSON form, as returned by the API."""
        return {
            "emailStatus": self.email_status,
            "emailNormalized": self.email_normalized,
            "emailError": self.email_error,
            "emailDomain": self.email_domain,
            "freeEmail": self.free_email,
            "disposableEmail": self.disposable_email,
            "roleEmail": self.role_email,
            "emailMatchesWebsite": self.email_matches_website,
            "phoneE164": self.phone_e164,
            "phoneValid": self.phone_valid,
            "companyDomain": self.company_domain,
        }


# --------------------------------------------------------------------------- normalisation


def normalize_email(value: str | None) -> str | None:
    """Dedupe key for an email: stripped and lower-cased; None when empty. No validation."""
    if value is None:
        return None
    value = value.strip().lower()
    return value or None


def _strip_url(value: str) -> str:
    """Lower-cased URL without scheme, leading ``www.``, query, fragment and trailing slashes."""
    url = value.strip().lower()
    match = _SCHEME.match(url)
    if match:
        url = url[match.end() :]
    elif url.startswith("//"):
        url = url[2:]
    for sep in ("#", "?"):
        cut = url.find(sep)
        if cut != -1:
            url = url[:cut]
    if url.startswith("www."):
        url = url[4:]
    return url.rstrip("/")


def normalize_linkedin_url(value: str | None) -> str | None:
    """Dedupe key for a LinkedIn profile URL.

    ``"https://fr.LinkedIn.com/in/MarieDubois/?trk=x"`` -> ``"linkedin.com/in/mariedubois"``:
    lower-cased, without scheme, ``www.``/country/mobile subdomain, query string, fragment and
    trailing slash; percent-escapes are decoded so that ``d%C3%A9`` and ``dé`` compare equal.
    Any other URL gets the same normalisation (scheme, ``www.``, query, fragment and trailing
    slash stripped, lower-cased). Returns None for empty values.
    """
    if value is None:
        return None
    url = _strip_url(value)
    if "%" in url:
        url = unquote(url).lower()
    if not url:
        return None
    host, slash, path = url.partition("/")
    if _LINKEDIN_HOST.match(host):
        host = "linkedin.com"
    return host + slash + path


@lru_cache(maxsize=65536)
def domain_from_url(value: str | None) -> str | None:
    """Host name of a website URL, lower-cased and without ``www.``; None when there is none.

    ``"https://www.TechCorp.com/about"`` and ``"techcorp.com"`` both give ``"techcorp.com"``.
    Values that have no dotted host name (``"n/a"``, ``"TechCorp"``) give None.
    """
    if value is None:
        return None
    url = value.strip().lower()
    match = _SCHEME.match(url)
    if match:
        url = url[match.end() :]
    elif url.startswith("//"):
        url = url[2:]
    for sep in ("/", "?", "#", "\\"):
        cut = url.find(sep)
        if cut != -1:
            url = url[:cut]
    host = url.rpartition("@")[2]  # drop user:password@
    if host.startswith("["):
        return None  # IPv6 literal, not a company domain
    host = host.partition(":")[0].rstrip(".")
    while host.startswith("www."):
        host = host[4:]
    if not _HOST_NAME.fullmatch(host) or host.rpartition(".")[2].isdigit():
        return None  # no dotted host name, or an IPv4 address
    return host


# --------------------------------------------------------------------------- email


@dataclass(frozen=True, slots=True)
class _DomainCheck:
    domain: str  # email-validator's normalized (Unicode, lower-case) domain
    ascii_domain: str  # IDNA form


@lru_cache(maxsize=65536)
def _domain_check(domain_part: str) -> _DomainCheck | None:
    """The domain as email-validator normalizes it, or None when it rejects it."""
    try:
        result = validate_email("a@" + domain_part, check_deliverability=False)
    except EmailNotValidError:
        return None
    return _DomainCheck(result.domain, result.ascii_domain)


@lru_cache(maxsize=65536)
def _validate_full(address: str) -> tuple[str | None, str | None]:
    """``(normalized, None)`` or ``(None, error message)`` straight from email-validator."""
    try:
        result = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        return None, str(exc)
    return result.normalized, None


def _fast_validate(address: str) -> str | None:
    """Normalized form of a common-shape valid address, or None to ask email-validator.

    Mirrors ``validate_email`` for an ASCII dot-atom local part and a single ``@``: the local
    part is kept as written (RFC 2142 mailbox names such as ``Info`` are lower-cased), the
    domain is normalized by the cached domain check, and the three lengths email-validator
    checks (as given, normalized, IDNA) must fit in 254 octets.
    """
    local, at, domain_part = address.partition("@")
    if not at or "@" in domain_part or not _ASCII_DOT_ATOM.fullmatch(local):
        return None
    checked = _domain_check(domain_part)
    if checked is None:
        return None
    if local.lower() in _RFC2142_MAILBOXES:
        local = local.lower()
    normalized = local + "@" + checked.domain
    limit = _EMAIL_MAX_LENGTH - len(local) - 1
    if (
        len(domain_part.encode()) > limit
        or len(checked.domain.encode()) > limit
        or len(checked.ascii_domain) > limit
    ):
        return None
    return normalized


def _check_email(address: str) -> tuple[str | None, str | None]:
    normalized = _fast_validate(address)
    if normalized is not None:
        return normalized, None
    return _validate_full(address)


def is_valid_email(address: str) -> bool:
    """Whether email-validator accepts ``address`` with its default (public-domain) rules,
    by the cached fast path above: the common case of ``leads_core.validation``'s check."""
    return _check_email(address)[0] is not None


def _is_free_domain(domain: str) -> bool:
    if domain in FREE_EMAIL_DOMAINS:
        return True
    brand, _, suffix = domain.partition(".")
    if brand not in FREE_EMAIL_BRANDS or not suffix:
        return False
    labels = suffix.split(".")
    return len(labels) <= 2 and all(0 < len(label) <= 3 for label in labels)


def _is_disposable_domain(domain: str) -> bool:
    # Also catches random subdomains of a listed provider (x7f.mailinator.com).
    labels = domain.split(".")
    return any(".".join(labels[i:]) in _DISPOSABLE_BLOCKLIST for i in range(len(labels) - 1))


@lru_cache(maxsize=65536)
def _domain_facts(domain: str) -> tuple[bool, bool]:
    """``(free_email, disposable_email)`` for a lower-case email domain."""
    disposable = _is_disposable_domain(domain)
    if not disposable and not domain.isascii():
        with contextlib.suppress(UnicodeError):  # Python's IDNA 2003 codec rejects some names
            disposable = _is_disposable_domain(domain.encode("idna").decode("ascii"))
    return _is_free_domain(domain), disposable


def _is_role_local(local: str) -> bool:
    local = local.lower()
    return local in ROLE_LOCAL_PARTS or local.partition("+")[0] in ROLE_LOCAL_PARTS


def _same_site(email_domain: str, site_domain: str) -> bool:
    if email_domain.startswith("www."):
        email_domain = email_domain[4:]
    if site_domain.startswith("www."):
        site_domain = site_domain[4:]
    return (
        email_domain == site_domain
        or email_domain.endswith("." + site_domain)
        or site_domain.endswith("." + email_domain)
    )


# --------------------------------------------------------------------------- phone


@lru_cache(maxsize=65536)
def _phone_e164(phone: str, region: str | None) -> str | None:
    """E.164 form of a valid number, else None. ``region`` reads numbers without +country."""
    try:
        number = phonenumbers.parse(phone, region.strip().upper() if region else None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# --------------------------------------------------------------------------- enrich


def enrich(
    *, email: str | None, phone: str | None, website: str | None, region: str = "FR"
) -> Enrichment:
    """Compute the offline :class:`Enrichment` of one lead.

    ``region`` (ISO 3166 alpha-2) is used to read phone numbers written without ``+country``.
    Whitespace-only values count as missing.
    """
    email = text_or_none(email)
    phone = text_or_none(phone)
    website = text_or_none(website)

    email_normalized = email_error = email_domain = None
    free_email = disposable_email = role_email = False
    if email is None:
        email_status = "missing"
    else:
        email_normalized, email_error = _check_email(email)
        if email_normalized is not None:
            email_status = "valid"
            local, _, email_domain = email_normalized.rpartition("@")
        else:
            email_status = "invalid"
            local, at, raw_domain = email.rpartition("@")
            email_domain = (raw_domain.strip().lower() or None) if at else None
        role_email = bool(local) and _is_role_local(local)
        if email_domain is not None:
            free_email, disposable_email = _domain_facts(email_domain)

    site_domain = domain_from_url(website)
    if email_domain is None or site_domain is None:
        email_matches_website = None
    else:
        email_matches_website = _same_site(email_domain, site_domain)

    if phone is None:
        phone_e164 = phone_valid = None
    else:
        phone_e164 = _phone_e164(phone, region)
        phone_valid = phone_e164 is not None

    company_domain: str | None
    if site_domain is not None:
        company_domain = site_domain
    elif email_status == "valid" and not free_email and not disposable_email:
        company_domain = email_domain
    else:
        company_domain = None

    return Enrichment(
        email_status=email_status,
        email_normalized=email_normalized,
        email_error=email_error,
        email_domain=email_domain,
        free_email=free_email,
        disposable_email=disposable_email,
        role_email=role_email,
        email_matches_website=email_matches_website,
        phone_e164=phone_e164,
        phone_valid=phone_valid,
        company_domain=company_domain,
    )
