"""What a lead's email, web site and LinkedIn link must look like, checked in one place.

A field declares its rule in the registry (``LeadField.check``): ``email`` (a syntactically
valid address, no DNS look-up; internal and special-use domains such as ``.test`` or
``.internal`` are accepted, as for users' emails), ``web`` (an http(s) URL with a host name)
or ``linkedin`` (an http(s) address on linkedin.com or one of its subdomains). A bare host
such as ``acme.com/about`` or ``www.linkedin.com/in/x`` is read as ``https://`` + it, as
people write them. :func:`problem` says what is wrong with a value; the API's and the
dashboard's edits (``schemas.LeadUpdate``) refuse it, an import keeps it in the lead's
attributes (``ingest.prepare``)."""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from leads_core.scoring.enrichment import is_valid_email

Check = Literal["email", "web", "linkedin"]

_HOST = re.compile(r"(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9-]{1,63}", re.I)
_BARE = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+(:\d{1,5})?([/?#]\S*)?$", re.I)
_LINKEDIN = re.compile(r"^([a-z0-9-]+\.)*linkedin\.com$", re.I)
_WHAT = {
    "email": "a valid email address",
    "web": "an http(s) web address",
    "linkedin": "a linkedin.com address",
}


def problem(check: Check, value: str) -> str | None:
    """None when ``value`` passes ``check``; otherwise what is wrong, quoting the value."""
    if check == "email":
        valid = _is_email(value)
    else:
        host = _url_host(value)
        valid = host is not None and (check == "web" or _LINKEDIN.match(host) is not None)
    return None if valid else f"{value[:200]!r} is not {_WHAT[check]}"


def _is_email(value: str) -> bool:
    if is_valid_email(value):  # valid under the stricter public rules, cached per domain
        return True
    try:
        validate_email(
            value, check_deliverability=False, globally_deliverable=False, test_environment=True
        )
    except EmailNotValidError:
        return False
    return True


def _url_host(value: str) -> str | None:
    """The host name of an http(s) URL (or of a bare ``host/path``); None when it is not one."""
    text = value.strip()
    if any(c.isspace() for c in text):
        return None
    if "://" not in text:
        if not _BARE.match(text):
            return None
        text = "https://" + text
    try:
        parts = urlsplit(text)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host or not _HOST.fullmatch(host):
        return None
    return host
