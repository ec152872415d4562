"""A resolver for the SSRF guard's tests: a few made-up names, and IP literals as
themselves. Nothing is looked up: no packet leaves the process."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

NAMES: dict[str, list[str]] = {
    "hooks.example.com": ["93.184.215.14"],  # public
    "dual.example.com": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
    "intranet.example.com": ["10.0.0.8"],  # private
    "sneaky.example.com": ["93.184.215.14", "127.0.0.1"],  # one inside is enough to refuse
    "metadata.example.com": ["169.254.169.254"],
}


def fake_resolve(host: str, port: int) -> Sequence[str]:
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    if host not in NAMES:
        raise OSError(f"no such host {host}")
    return NAMES[host]
