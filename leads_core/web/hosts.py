"""Which host names the server answers to: the defence against DNS rebinding.

A web page at ``http://evil.example:8501`` whose name an attacker re-points to 127.0.0.1
is, to the browser, same-origin with the server on this machine: it may read every answer.
What still gives it away is the name it uses: its requests say ``Host: evil.example:8501``
and, on a WebSocket or a POST, ``Origin: http://evil.example:8501``. So the server answers
only the names it is known by: ``localhost``, ``127.0.0.1`` and ``::1`` (any port), plus
those in ``LEADS_ALLOWED_HOSTS`` (the public name a reverse proxy passes on).

Pure functions; :mod:`leads_core.web.guard` applies them to every request.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

#: Names every server answers to: this machine's, which no page elsewhere can use.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_PORT = re.compile(r"^[0-9]{1,5}$")


def normalize_host_name(name: str) -> str:
    """A host name or IP address as compared: lower-case, no trailing dot, IPv6 without
    brackets and in its short form. ValueError when it is neither a DNS name nor an IP
    address (a port, a scheme, a path or a ``*`` are not part of a name)."""
    text = name.strip().lower().removesuffix(".")
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
        return str(ipaddress.IPv6Address(text))  # ValueError when it is not one
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        pass
    if len(text) > 253 or not all(_LABEL.match(label) for label in text.split(".")):
        raise ValueError(f"not a host name or IP address: {name.strip()!r}")
    return text


def parse_host_names(raw: str) -> tuple[str, ...]:
    """``LEADS_ALLOWED_HOSTS``'s comma-separated names, normalized, without repeats."""
    names = [normalize_host_name(part) for part in raw.split(",") if part.strip()]
    return tuple(dict.fromkeys(names))


def allowed_hosts(extra: Iterable[str] = ()) -> frozenset[str]:
    """The loopback names plus ``extra`` (already normalized)."""
    return frozenset((*LOOPBACK_HOSTS, *extra))


def host_name(host_header: str | None) -> str | None:
    """The name in a ``Host`` header (``name``, ``name:port``, ``[v6]``, ``[v6]:port``),
    normalized; None when the header is missing or malformed (a bare IPv6 address, a
    user, a path, a port that is not a number)."""
    if not host_header:
        return None
    text = host_header.strip()
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            return None
        name, rest = text[: end + 1], text[end + 1 :]
    else:
        name, sep, port = text.partition(":")
        rest = f"{sep}{port}"
    if rest and not (rest.startswith(":") and _PORT.match(rest[1:])):
        return None
    try:
        return normalize_host_name(name) if name else None
    except ValueError:
        return None


def is_allowed_host(host_header: str | None, allowed: frozenset[str]) -> bool:
    """Whether a ``Host`` header names one of the ``allowed`` names (any port)."""
    name = host_name(host_header)
    return name is not None and name in allowed


def is_allowed_origin(origin: str, allowed: frozenset[str]) -> bool:
    """Whether an ``Origin`` header (``scheme://host[:port]``) names an allowed host over
    http or https. ``null`` (a sandboxed frame, a file) and anything else is refused."""
    try:
        parts = urlsplit(origin.strip())
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or parts.path or parts.query or parts.fragment:
        return False
    if "@" in parts.netloc:
        return False
    return is_allowed_host(parts.netloc, allowed)


def relative_location(location: str, host_header: str | None) -> str:
    """A redirect's ``Location`` that names this server by the request's ``Host`` (as
    Starlette's trailing-slash redirects do), made relative to the server: ``/path?query``.
    Any other location is returned unchanged. A path starting with ``//`` (or ``/\\``, which
    browsers read the same) would name another host, so its leading slashes become one."""
    try:
        parts = urlsplit(location)
    except ValueError:
        return location
    if not parts.netloc or host_header is None:
        return location
    if parts.netloc.lower() != host_header.strip().lower():
        return location
    path = "/" + parts.path.lstrip("/\\")
    return path + (f"?{parts.query}" if parts.query else "")
