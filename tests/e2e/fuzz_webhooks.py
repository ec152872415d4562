"""Fuzzing /v1/webhooks without sending anything off loopback.

A webhook URL the fuzzer makes up could name any host: saved, the server would look the
name up (a DNS query to the machine's resolver, off loopback) and the delivery worker would
POST events to it. So the fuzz server runs with ``LEADS_WEBHOOKS_ALLOW_PRIVATE=1`` and every
generated ``url`` that the SSRF guard would resolve is replaced, just before the request
is sent, by :data:`SINK` (schemathesis' ``before_call`` hook, which then re-checks whether
the case is still a positive or negative one). What is left reaches the server as
generated: URLs the guard refuses without resolving anything (no scheme, ``ftp:``, no host,
a bad port...) and loopback IP literals. After the run the test checks that every stored
endpoint's URL is a loopback IP literal.

Should the hook miss one, the server still looks nothing up: like every server the tests
start, it refuses every name but ``localhost`` and notes it in its log
(``tests.support.loopback``), which the test reads.

:data:`SINK` is the discard port of 127.0.0.1: privileged, so no test server listens
there, and a delivery attempt is refused at once."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

import httpx
import schemathesis

from leads_core.text import drop_nul
from leads_core.webhooks.netguard import BlockedTarget, check_url
from tests.support import loopback

SINK = "http://127.0.0.1:9/fuzz"
LOOKUP_MARK = loopback.LOOKUP_MARK
PATHS = ("/webhooks", "/webhooks/{webhook_id}")


class _WouldResolve(Exception):
    """The guard would have looked this host up."""


def _literal_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _probe(host: str, port: int) -> list[str]:
    if not _literal_loopback(host):
        raise _WouldResolve(host)
    return [host]


def stays_on_loopback(url: str) -> bool:
    """True when the server, given ``url`` in any form it may clean it to, resolves no
    name and allows nothing but a loopback address."""
    cleaned = drop_nul(url)
    for variant in (url, cleaned, cleaned.strip()):
        try:
            check_url(variant, allow_private=True, resolve=_probe)
        except BlockedTarget:
            continue
        except _WouldResolve:
            return False
    return True


@schemathesis.hook
def before_call(context: Any, case: Any, **kwargs: Any) -> None:
    """Schemathesis calls this before every request of the run (all phases)."""
    if case.operation.path not in PATHS or not isinstance(case.body, dict):
        return
    url = case.body.get("url")
    if isinstance(url, str) and not stays_on_loopback(url):
        case.body["url"] = SINK


def create_endpoints(base_url: str, api_key: str, count: int) -> list[str]:
    """Endpoints for the fuzzer to read and change (to :data:`SINK`)."""
    ids = []
    for n in range(count):
        response = httpx.post(
            f"{base_url}/v1/webhooks",
            json={"url": SINK, "events": ["lead.created"], "description": f"fuzz {n}"},
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=30,
        )
        response.raise_for_status()
        ids.append(response.json()["id"])
    return ids


def off_loopback_endpoints(base_url: str, api_key: str) -> list[str]:
    """The stored endpoints' URLs whose host is not a loopback IP literal (none, or the
    hook above let one through)."""
    response = httpx.get(
        f"{base_url}/v1/webhooks", headers={"Authorization": f"Bearer {api_key}"}, timeout=30
    )
    response.raise_for_status()
    urls = [hook["url"] for hook in response.json()["webhooks"]]
    return [url for url in urls if not _literal_loopback(urlsplit(url).hostname or "")]
