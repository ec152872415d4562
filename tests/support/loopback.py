"""Test traffic stays on this machine: in the test processes and in every app server they
start, a connection to an address outside the loopback range (127.0.0.0/8, ::1) fails, and
so does resolving a name other than ``localhost``, which would send a query to the network's
DNS server.

A webhook URL on ``hooks.example.com`` typed by a test or made up by the fuzzer is thus
refused on the spot by the resolver, never looked up and never sent to. ``install`` runs in
``tests/conftest.py``; servers get it through ``loopback_only/sitecustomize.py``
(``devserver.start_app`` puts that folder first on their ``PYTHONPATH``)."""

from __future__ import annotations

import errno
import ipaddress
import socket
import sys
from typing import Any

LOOKUP_MARK = "NO-LOOKUP"
"""Written on stderr with each refused lookup: a test reads a server's log for it."""
LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
_installed = False


def is_loopback(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    if host.lower() in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _is_numeric(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    return True


def install() -> None:
    """Refuse, in this process, name lookups other than localhost and connections that
    leave the loopback range (Unix sockets are not concerned)."""
    global _installed
    if _installed:
        return
    _installed = True
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode("ascii", "replace") if isinstance(host, bytes) else host
        if name is not None and not (_is_numeric(name) or name.lower() in LOCAL_NAMES):
            print(f"{LOOKUP_MARK}: refused to look up {name!r}", file=sys.stderr, flush=True)
            raise socket.gaierror(
                socket.EAI_NONAME, f"tests look up no name but localhost, not {name!r}"
            )
        return real_getaddrinfo(host, *args, **kwargs)

    def _check(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address[0]):
            raise OSError(errno.ENETUNREACH, f"tests connect to loopback only, not {address[0]}")

    def connect(self: socket.socket, address: Any) -> None:
        _check(self, address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        _check(self, address)
        return real_connect_ex(self, address)

    socket.getaddrinfo = getaddrinfo
    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
