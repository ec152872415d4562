"""Where a webhook may be sent: refuse URLs whose host is, or resolves to, an address inside
the network (SSRF).

Refused: loopback, private, link-local, shared (CGNAT), multicast, reserved and unspecified
addresses, and the cloud metadata services - everything that is not a global unicast
address. ``allow_private`` (``LEADS_WEBHOOKS_ALLOW_PRIVATE=1``) lets loopback, private and
link-local addresses through, for a receiver on the same machine or network; the metadata
addresses stay refused. The check runs when an endpoint is saved (422) and again before each
delivery, on the addresses the delivery then connects to (a name may resolve elsewhere later).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]

METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)
"""Cloud instance metadata services (AWS, ECS, Alibaba, AWS over IPv6): never a receiver."""
SCHEMES = {"http": 80, "https": 443}
LOCAL_HINT = " only (LEADS_WEBHOOKS_ALLOW_PRIVATE=1 allows the local network)"


class BlockedTarget(ValueError):
    """The URL may not be a webhook target; the message says why, for the person who typed it."""


@dataclass(frozen=True)
class Target:
    """A checked URL: its host and port, and the addresses it resolved to (all allowed)."""

    url: str
    host: str
    port: int
    addresses: tuple[Address, ...]


def system_resolver(host: str, port: int) -> list[str]:
    """The host's addresses, as the operating system resolves them (an IP literal is
    returned as is, with no lookup)."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in found))


def refusal(address: Address, *, allow_private: bool) -> str | None:
    """Why ``address`` may not be a target, or None when it may."""
    if address.version == 6 and address.ipv4_mapped is not None:  # ::ffff:10.0.0.1
        return refusal(address.ipv4_mapped, allow_private=allow_private)
    if address in METADATA:
        return "a cloud metadata address"
    if address.is_global and not address.is_multicast:
        return None
    if address.is_unspecified:  # 0.0.0.0 and :: count as private to ipaddress
        return "the unspecified address"
    inside = address.is_loopback or address.is_private or address.is_link_local
    if allow_private and inside and not (address.is_unspecified or address.is_multicast):
        return None
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_private:
        return "a private address"
    return "not a public address"


def check_url(url: str, *, allow_private: bool, resolve: Resolver = system_resolver) -> Target:
    """The URL's target when it is an http(s) URL whose host resolves only to allowed
    addresses; otherwise :class:`BlockedTarget` saying why."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as bad:
        raise BlockedTarget(f"not a valid URL: {bad}") from None
    if parts.scheme not in SCHEMES:
        raise BlockedTarget("the URL must start with https:// or http://")
    host = parts.hostname
    if not host:
        raise BlockedTarget("the URL has no host name")
    if parts.username is not None or parts.password is not None:
        raise BlockedTarget("the URL may not hold a user name or password")
    port = port or SCHEMES[parts.scheme]
    try:
        addresses = tuple(ipaddress.ip_address(a.split("%")[0]) for a in resolve(host, port))
    except (OSError, UnicodeError, ValueError):
        raise BlockedTarget(f"the host {host!r} could not be resolved") from None
    if not addresses:
        raise BlockedTarget(f"the host {host!r} could not be resolved")
    for address in addresses:
        reason = refusal(address, allow_private=allow_private)
        if reason is not None:
            where = host if str(address) == host else f"{host} ({address})"
            allowed_if_private = refusal(address, allow_private=True) is None
            hint = LOCAL_HINT if allowed_if_private else ""
            raise BlockedTarget(f"{where} is {reason}: webhooks are sent to public addresses{hint}")
    return Target(url=url.strip(), host=host, port=port, addresses=addresses)
