"""The SSRF guard: which URLs a webhook may be sent to. Every case is an IP literal or a
name of the fake resolver (``tests/support/fake_dns.py``): nothing is looked up, nothing
sent."""

from __future__ import annotations

import ipaddress

import pytest

from leads_core.webhooks import netguard
from leads_core.webhooks.netguard import BlockedTarget, check_url
from tests.support.fake_dns import fake_resolve


def refused(url: str, *, allow_private: bool = False) -> str:
    with pytest.raises(BlockedTarget) as blocked:
        check_url(url, allow_private=allow_private, resolve=fake_resolve)
    return str(blocked.value)


def test_a_public_host_is_a_target_with_its_addresses() -> None:
    target = check_url(" https://dual.example.com/hook ", allow_private=False, resolve=fake_resolve)

    assert (target.url, target.host, target.port) == (
        "https://dual.example.com/hook",
        "dual.example.com",
        443,
    )
    assert target.addresses == (
        ipaddress.ip_address("93.184.215.14"),
        ipaddress.ip_address("2606:2800:21f:cb07:6820:80da:af6b:8b2c"),
    )
    assert (
        check_url("http://93.184.215.14:8080/x", allow_private=False, resolve=fake_resolve).port
        == 8080
    )


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1/", "127.0.0.1 is a loopback address"),
        ("http://127.8.9.10:8000/", "127.8.9.10 is a loopback address"),
        ("http://[::1]:9/", "::1 is a loopback address"),
        ("http://10.0.0.1/", "10.0.0.1 is a private address"),
        ("http://172.16.5.4/", "172.16.5.4 is a private address"),
        ("http://192.168.1.1/", "192.168.1.1 is a private address"),
        ("http://[fd12::1]/", "fd12::1 is a private address"),
        ("http://169.254.10.10/", "169.254.10.10 is a link-local address"),
        ("http://[fe80::1]/", "fe80::1 is a link-local address"),
        ("http://0.0.0.0/", "0.0.0.0 is the unspecified address"),
        ("http://[::]/", ":: is the unspecified address"),
        ("http://100.64.0.1/", "100.64.0.1 is not a public address"),  # shared (CGNAT)
        ("http://224.0.0.1/", "224.0.0.1 is not a public address"),  # multicast
        ("http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1 (::ffff:7f00:1) is a loopback address"),
        ("http://[::ffff:10.0.0.1]/", "is a private address"),
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254 is a cloud metadata address"),
        ("http://100.100.100.200/", "100.100.100.200 is a cloud metadata address"),
        ("http://[fd00:ec2::254]/", "fd00:ec2::254 is a cloud metadata address"),
        ("https://intranet.example.com/", "intranet.example.com (10.0.0.8) is a private address"),
        ("https://sneaky.example.com/", "sneaky.example.com (127.0.0.1) is a loopback address"),
        ("https://metadata.example.com/", "(169.254.169.254) is a cloud metadata address"),
    ],
)
def test_inside_addresses_are_refused_saying_why(url: str, why: str) -> None:
    message = refused(url)

    assert why in message
    assert "webhooks are sent to public addresses" in message


@pytest.mark.parametrize("url", ["http://10.0.0.1/", "http://127.0.0.1/", "http://[fe80::1]/"])
def test_the_refusal_of_a_local_address_says_how_to_allow_it(url: str) -> None:
    assert "LEADS_WEBHOOKS_ALLOW_PRIVATE=1 allows the local network" in refused(url)


@pytest.mark.parametrize(
    "url", ["http://169.254.169.254/", "http://0.0.0.0/", "http://[::]/", "http://224.0.0.1/"]
)
def test_no_hint_to_allow_what_allow_private_still_refuses(url: str) -> None:
    assert "LEADS_WEBHOOKS_ALLOW_PRIVATE" not in refused(url)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://hooks.example.com/", "must start with https:// or http://"),
        ("file:///etc/passwd", "must start with https:// or http://"),
        ("gopher://127.0.0.1:25/", "must start with https:// or http://"),
        ("hooks.example.com/leads", "must start with https:// or http://"),
        ("http:///path", "has no host name"),
        ("https://user:pw@hooks.example.com/", "may not hold a user name or password"),
        ("http://hooks.example.com:99999/", "not a valid URL"),
        ("http://[::1/", "not a valid URL"),
        ("https://unknown.example.com/", "'unknown.example.com' could not be resolved"),
    ],
)
def test_what_is_no_http_url_to_a_known_host_is_refused(url: str, why: str) -> None:
    assert why in refused(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://[::1]:9/",
        "http://10.0.0.1/",
        "http://192.168.1.20/",
        "http://169.254.10.10/",
        "https://intranet.example.com/",
        "http://[::ffff:127.0.0.1]/",
    ],
)
def test_allow_private_lets_the_local_network_through(url: str) -> None:
    assert check_url(url, allow_private=True, resolve=fake_resolve).url == url


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/",
        "http://[fd00:ec2::254]/",
        "http://0.0.0.0/",
        "http://[::]/",
        "http://224.0.0.1/",
        "ftp://127.0.0.1/",
    ],
)
def test_allow_private_still_refuses_metadata_unspecified_multicast_and_other_schemes(
    url: str,
) -> None:
    refused(url, allow_private=True)


def test_an_ip_literal_is_not_looked_up() -> None:
    """The system resolver gives a literal back as it is (getaddrinfo with no lookup)."""
    assert netguard.system_resolver("127.0.0.1", 80) == ["127.0.0.1"]
    assert netguard.system_resolver("::1", 80) == ["::1"]
