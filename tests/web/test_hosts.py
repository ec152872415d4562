"""leads_core.web.hosts: the names the server answers to, read from Host and Origin headers,
and redirects that never name the request's host."""

from __future__ import annotations

import pytest

from leads_core.web.hosts import (
    LOOPBACK_HOSTS,
    allowed_hosts,
    host_name,
    is_allowed_host,
    is_allowed_origin,
    normalize_host_name,
    parse_host_names,
    relative_location,
)

DEFAULT = allowed_hosts()
WITH_PUBLIC = allowed_hosts(["leads.example.test"])


def test_the_loopback_names_are_always_allowed() -> None:
    assert LOOPBACK_HOSTS == ("localhost", "127.0.0.1", "::1")
    assert allowed_hosts() == frozenset({"localhost", "127.0.0.1", "::1"})
    assert allowed_hosts(["leads.example.test"]) == allowed_hosts() | {"leads.example.test"}


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("localhost", "localhost"),
        ("localhost:8501", "localhost"),
        ("LOCALHOST.:8501", "localhost"),
        ("127.0.0.1:8501", "127.0.0.1"),
        ("[::1]:8501", "::1"),
        ("[::1]", "::1"),
        ("[0:0:0:0:0:0:0:1]:80", "::1"),
        ("Leads.Example.Test:443", "leads.example.test"),
        (" leads.example.test ", "leads.example.test"),
    ],
)
def test_host_name_of_a_host_header(header: str, name: str) -> None:
    assert host_name(header) == name


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "::1",  # an IPv6 address needs its brackets
        "::1:8501",
        "[::1",
        "[::1]8501",
        "[::1]:http",
        "[localhost]",
        "localhost:",
        "localhost:8501:1",
        "localhost:abc",
        "localhost:123456",
        "user@localhost",
        "localhost/path",
        "localhost?x",
        "evil.example\\@localhost",
        "*",
        "-bad-.example",
        ":8501",
    ],
)
def test_malformed_host_headers_name_nothing(header: str | None) -> None:
    assert host_name(header) is None
    assert not is_allowed_host(header, WITH_PUBLIC)


@pytest.mark.parametrize(
    ("header", "allowed"),
    [
        ("localhost:8501", True),
        ("127.0.0.1:8501", True),
        ("[::1]:8501", True),
        ("evil.example:8501", False),
        ("localhost.evil.example", False),
        ("127.0.0.2:8501", False),  # loopback, but not a name the server is known by
        ("0.0.0.0:8501", False),
        ("leads.example.test", False),  # only where the setting lists it
        ("[::ffff:127.0.0.1]:8501", False),
    ],
)
def test_is_allowed_host_by_default(header: str, allowed: bool) -> None:
    assert is_allowed_host(header, DEFAULT) is allowed


def test_a_configured_name_is_allowed_with_any_port() -> None:
    assert is_allowed_host("leads.example.test", WITH_PUBLIC)
    assert is_allowed_host("LEADS.example.test:8443", WITH_PUBLIC)
    assert not is_allowed_host("sub.leads.example.test", WITH_PUBLIC)
    assert not is_allowed_host("leads.example.test.evil.example", WITH_PUBLIC)


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("http://127.0.0.1:8501", True),
        ("http://localhost:8501", True),
        ("https://[::1]:8501", True),
        ("https://leads.example.test", True),
        ("http://evil.example:8501", False),
        ("null", False),
        ("file://", False),
        ("ftp://localhost", False),
        ("http://localhost:8501/path", False),
        ("http://user@localhost:8501", False),
        ("http://[::1", False),
        ("", False),
    ],
)
def test_is_allowed_origin(origin: str, allowed: bool) -> None:
    assert is_allowed_origin(origin, WITH_PUBLIC) is allowed


def test_setting_names_are_normalized_and_checked() -> None:
    assert parse_host_names("") == ()
    assert parse_host_names(" Leads.Example.Test., [::1] ,10.0.0.5,leads.example.test,") == (
        "leads.example.test",
        "::1",
        "10.0.0.5",
    )
    assert normalize_host_name("fe80:0:0::1") == "fe80::1"
    for wrong in ["http://leads.example.test", "leads.example.test:443", "*", "*.example.test"]:
        with pytest.raises(ValueError, match="not a host name or IP address"):
            normalize_host_name(wrong)


@pytest.mark.parametrize(
    ("location", "host", "expected"),
    [
        # Starlette's trailing-slash redirect: absolute, built from the Host header.
        ("http://127.0.0.1:8501/v1/leads?page=2", "127.0.0.1:8501", "/v1/leads?page=2"),
        ("http://LOCALHOST:8501/x", "localhost:8501", "/x"),
        ("http://127.0.0.1:8501", "127.0.0.1:8501", "/"),
        # A path that would read as another host once relative keeps one slash.
        ("http://127.0.0.1:8501//evil.example/x", "127.0.0.1:8501", "/evil.example/x"),
        ("http://127.0.0.1:8501/\\evil.example", "127.0.0.1:8501", "/evil.example"),
        # Already relative, or elsewhere on purpose (a sign-in provider): unchanged.
        ("/leads", "127.0.0.1:8501", "/leads"),
        ("../mcp", "127.0.0.1:8501", "../mcp"),
        (
            "https://sso.example.test/authorize",
            "127.0.0.1:8501",
            "https://sso.example.test/authorize",
        ),
        ("http://127.0.0.1:8501/x", None, "http://127.0.0.1:8501/x"),
    ],
)
def test_relative_location(location: str, host: str | None, expected: str) -> None:
    assert relative_location(location, host) == expected
